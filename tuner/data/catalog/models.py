"""What the catalog says of one model: its entry, how an id was understood, its family.

`ModelInfo` is one row of a service's table (prices, limits, encoding, retirement), `Resolution`
what `Catalog.resolve` made of an id a user typed or a job reported, and `ModelFamily` the
prefix by which an unknown snapshot of a known family is still counted right. They live apart
from `Catalog` (`lookup`) because most readers need only an entry: the estimate prices one, the
token counter reads its encoding, a screen marks its retirement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tuner.data.tokens.encodings import DEFAULT_ENCODING
from tuner.data.wording import plural

METHODS = ("supervised", "dpo", "reinforcement")
TRAINING_TYPES = ("lora", "full")


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One base model that can be fine-tuned. None means "not published / not known".

    `input_price_per_1m` / `output_price_per_1m` are what a *fine-tuned* model of this base costs
    to call, `base_input_price_per_1m` / `base_output_price_per_1m` what the base model itself
    costs (dollars per 1M tokens); each catalog says where its figures come from.
    `training_price_per_1m` is the price of the default way the service trains: OpenAI picks its
    method itself; Together trains LoRA adapters unless asked for full fine-tuning, priced as
    `full_training_price_per_1m`. Preference (DPO) training may cost more (`dpo_...`, None: the
    supervised price) and allow shorter examples (`dpo_example_token_limit`, None: the same
    limit). `training_types` lists `lora` / `full` where the user chooses (empty: the service
    does). `tokenizer_note` says why `encoding` is only tuner's stand-in for the model's own
    tokenizer (None: it is the model's own, counts are exact); `chat_template` names the
    template whose markup is counted (`chat_templates`; None: OpenAI's cookbook figures).
    """

    id: str
    encoding: str
    training_price_per_1m: float | None = None
    example_token_limit: int | None = None  # None: not published, limit checks are skipped
    input_price_per_1m: float | None = None  # fine-tuned model inference
    output_price_per_1m: float | None = None
    shutdown: date | None = None  # known retirement of the model (and its fine-tunes)
    methods: tuple[str, ...] = ("supervised",)
    aliases: tuple[str, ...] = ()
    full_training_price_per_1m: float | None = None
    dpo_training_price_per_1m: float | None = None
    dpo_full_training_price_per_1m: float | None = None
    dpo_example_token_limit: int | None = None
    training_types: tuple[str, ...] = ()
    tokenizer_note: str | None = None
    chat_template: str | None = None
    base_input_price_per_1m: float | None = None  # the base model's own inference
    base_output_price_per_1m: float | None = None

    @property
    def lora_only(self) -> bool:
        """True when the service trains only LoRA adapters of this model (no full fine-tuning)."""
        return self.training_types == ("lora",)

    def token_limit(self, *, preference: bool = False) -> int | None:
        """The longest example the service trains on, for supervised or preference training."""
        if preference and self.dpo_example_token_limit is not None:
            return self.dpo_example_token_limit
        return self.example_token_limit

    def price_per_1m(self, *, preference: bool = False, full: bool = False) -> float | None:
        """Dollars per 1M trained tokens for the method (supervised or preference) and, where the
        user chooses, full fine-tuning instead of LoRA; None when not known or not offered."""
        if full:
            if preference and self.dpo_full_training_price_per_1m is not None:
                return self.dpo_full_training_price_per_1m
            return self.full_training_price_per_1m
        if preference and self.dpo_training_price_per_1m is not None:
            return self.dpo_training_price_per_1m
        return self.training_price_per_1m


@dataclass(frozen=True, slots=True)
class Resolution:
    """How a model id was understood.

    `info` is the catalog entry (of the base model for fine-tuned ids), or None when tuner has
    no figures for it. `exact` is True when `info` is that entry. `encoding` is the encoding to
    count with and `encoding_known` whether it is the model's real one (True for a known family
    even without an entry). `notice` is one sentence for the user, or None when nothing is amiss.
    """

    info: ModelInfo | None
    base_id: str
    exact: bool
    notice: str | None
    encoding: str = DEFAULT_ENCODING
    encoding_known: bool = False
    tokenizer_note: str | None = None
    chat_template: str | None = None

    @property
    def count_note(self) -> str | None:
        """Why token counts for this model are an estimate, in a few words, or None when they
        are exact: `estimated with cl100k_base: tuner has no Llama 3 tokenizer offline`."""
        if self.encoding_known:
            return None
        reason = self.tokenizer_note or "tuner does not know this model's tokenizer"
        return f"estimated with {self.encoding}: {reason}"


# The fields that hold a price in dollars per 1M tokens, and those that hold a token limit.
PRICE_FIELDS = (
    "training_price_per_1m",
    "input_price_per_1m",
    "output_price_per_1m",
    "full_training_price_per_1m",
    "dpo_training_price_per_1m",
    "dpo_full_training_price_per_1m",
    "base_input_price_per_1m",
    "base_output_price_per_1m",
)
LIMIT_FIELDS = ("example_token_limit", "dpo_example_token_limit")


@dataclass(frozen=True, slots=True)
class ModelFamily:
    """Models known by the start of their id: what to count a snapshot tuner has no entry for
    with. An id belongs to the family when it is `prefix` (lower case) or continues it with one
    of `separators` ("gpt-4o-2099-01-01", "gpt-5.2"); the longest prefix wins, so "gpt-4o"
    beats "gpt-4". `label` names the family in messages."""

    prefix: str
    encoding: str
    separators: str = "-"
    label: str = ""
    tokenizer_note: str | None = None
    chat_template: str | None = None

    @property
    def name(self) -> str:
        return self.label or self.prefix

    def matches(self, model_id: str) -> bool:
        return model_id == self.prefix or (
            model_id.startswith(self.prefix) and model_id[len(self.prefix)] in self.separators
        )


def retired(info: ModelInfo, today: date) -> bool:
    """True once the model's retirement date has come (it and its fine-tunes stop serving)."""
    return info.shutdown is not None and info.shutdown <= today


def retirement_note(info: ModelInfo | None, today: date, *, near_days: int = 30) -> str | None:
    """`retired 2026-10-23`, `retires 2026-12-01 (in 12 days)`, or None when no date is near.

    What a model's name is marked with wherever a user picks or sees it: the job form, the
    model picker, the jobs list."""
    if info is None or info.shutdown is None:
        return None
    if info.shutdown <= today:
        return f"retired {info.shutdown:%Y-%m-%d}"
    days = (info.shutdown - today).days
    if days <= near_days:
        return f"retires {info.shutdown:%Y-%m-%d} (in {plural(days, 'day')})"
    return None
