"""The models tuner knows: encoding, training price, per-example limit, retirement date.

Prices and dates change, so this is data: the built-in tables can be overridden or extended by
`[[models]]` tables in the user's settings. Each service has its own table: OpenAI's (from
FACTS.md, OpenAI's pricing and deprecation pages; Azure OpenAI uses it too) in `catalog.openai`,
Together AI's in `catalog.together`. `catalog.choice.default_catalog(service)` gives the
built-in one, `catalog.choice.settings_catalog` the one a settings profile uses, overrides
applied (they live apart because they import the tables, and the tables import this module).

`Catalog.resolve` turns any model id a user may type or a job may report into a catalog entry:
aliases (`gpt-4o-mini`), fine-tuned ids (`ft:BASE:ORG:SUFFIX:ID`) and their checkpoints
(`...:ckpt-step-N`) resolve to their base model; an unknown dated snapshot of a known family
(`gpt-4o-2099-01-01`) gets the family's encoding but no prices; anything else is unknown and is
counted with the most recent encoding, clearly labelled as an estimate.

What one entry says is in `models`; how the user's `[[models]]` entries are checked and applied
is in `overrides`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from datetime import date

from tuner.data.catalog.models import (
    PRICE_FIELDS,
    ModelFamily,
    ModelInfo,
    Resolution,
    retired,
)
from tuner.data.catalog.overrides import CatalogError, apply_overrides
from tuner.data.service_kinds import (
    OPENAI,
    RulesFamily,
    ServiceFacts,
    UnknownService,
    facts_for,
)
from tuner.data.tokens.encodings import DEFAULT_ENCODING

# OpenAI stops all new fine-tuning jobs on its own platform after this day (FACTS.md).
OPENAI_FINE_TUNING_CLOSES = date(2027, 1, 6)

# The model a file is counted and priced for when nobody names one (OpenAI's cheapest current
# fine-tunable model; `tuner.config`'s default_model has the same value).
OPENAI_DEFAULT_MODEL = "gpt-4o-mini-2024-07-18"

# OpenAI's model families: what a catalog counts a snapshot it has no entry for with, by default.
OPENAI_FAMILIES: tuple[ModelFamily, ...] = (
    ModelFamily("gpt-4.1-nano", "o200k_base"),
    ModelFamily("gpt-4.1-mini", "o200k_base"),
    ModelFamily("gpt-4.1", "o200k_base"),
    ModelFamily("gpt-4o-mini", "o200k_base"),
    ModelFamily("gpt-4o", "o200k_base"),
    ModelFamily("gpt-4.5", "o200k_base"),
    ModelFamily("gpt-5", "o200k_base", "-."),
    ModelFamily("o1", "o200k_base"),
    ModelFamily("o3", "o200k_base"),
    ModelFamily("o4-mini", "o200k_base"),
    ModelFamily("gpt-4", "cl100k_base"),
    ModelFamily("gpt-3.5-turbo", "cl100k_base"),
    ModelFamily("davinci-002", "cl100k_base"),
    ModelFamily("babbage-002", "cl100k_base"),
)


class Catalog:
    """A set of `ModelInfo` by id, with aliases, for one service. Immutable: overrides make a
    new catalog.

    `service` is the service kind it prices for (`openai`, `azure`, `together`); the validator
    applies that service's rules unless told otherwise. `default_model` is the model a file is
    counted and priced for when nobody names one. `families` resolve snapshots tuner has no entry
    for; `unknown_encoding` counts anything else (an estimate, and said to be one).
    `price_source` says where the built-in prices come from when they need saying ("as
    published by Together in 2025-11; check its price list"), None for FACTS.md's table.
    """

    def __init__(
        self,
        models: Iterable[ModelInfo],
        *,
        service: str = OPENAI,
        default_model: str | None = None,
        families: tuple[ModelFamily, ...] = OPENAI_FAMILIES,
        unknown_encoding: str = DEFAULT_ENCODING,
        price_source: str | None = None,
    ) -> None:
        try:
            # What the table's service is: its rules family decides how strict the table is.
            self.facts: ServiceFacts = facts_for(service)
        except UnknownService as exc:
            raise CatalogError(str(exc)) from None
        self._models: dict[str, ModelInfo] = {}
        for info in models:
            self._models[info.id] = info
        self._aliases: dict[str, str] = {}
        for info in self._models.values():
            for alias in info.aliases:
                if alias in self._models:
                    raise CatalogError(f"model {info.id!r}: alias {alias!r} is a model id")
                self._aliases[alias] = info.id
        self._lowered = {model_id.lower(): model_id for model_id in self._models}
        self.service = service
        self._default_model = default_model
        self._families = tuple(sorted(families, key=lambda f: len(f.prefix), reverse=True))
        self.unknown_encoding = unknown_encoding
        self.price_source = price_source
        # The table as built, before any override: what `builtin_prices` compares with.
        self._built: Catalog = self

    def __iter__(self) -> Iterator[ModelInfo]:
        return iter(self._models.values())

    @property
    def models(self) -> tuple[ModelInfo, ...]:
        """Every entry, built-in order first, then models the user added."""
        return tuple(self._models.values())

    @property
    def default_model(self) -> str:
        """The model to count and price for when none is named: the service's usual choice
        (OpenAI's `OPENAI_DEFAULT_MODEL`; for another service built without one, its first
        entry)."""
        if self._default_model is not None:
            return self._default_model
        if self.facts.rules is RulesFamily.OPENAI:
            return OPENAI_DEFAULT_MODEL
        return next(iter(self._models), OPENAI_DEFAULT_MODEL)

    def __len__(self) -> int:
        return len(self._models)

    def __contains__(self, model_id: object) -> bool:
        return isinstance(model_id, str) and self.get(model_id) is not None

    def get(self, model_id: str) -> ModelInfo | None:
        """The entry for an exact id or alias (no fine-tuned ids, no families), in any case:
        Together's ids are mixed case (`Qwen/Qwen2.5-7B-Instruct`) and people type them as
        they remember them."""
        key = model_id.strip()
        info = self._models.get(key)
        if info is None:
            key = key.lower()
            info = self._models.get(self._aliases.get(key, key))
            if info is None:
                info = self._models.get(self._lowered.get(key, ""))
        return info

    def suggestion(self, model_id: str, others: Iterable[str] = ()) -> str | None:
        """The model a user most likely meant by `model_id`, a name nobody knows (`gpt-4o-mni`):
        the closest of this catalog's ids and aliases and of `others` (a service's own list),
        an alias given as the id it stands for (`gpt-4o-mini-2024-07-18`); None when nothing is
        close. Case is ignored, as `get` ignores it."""
        asked = model_id.strip().lower()
        names: dict[str, str] = {}
        for name in (*self._models, *self._aliases, *others):
            info = self.get(name)
            names.setdefault(name.lower(), info.id if info is not None else name)
        names.pop(asked, None)
        close = difflib.get_close_matches(asked, list(names), n=1, cutoff=0.75)
        return names[close[0]] if close else None

    def fine_tunable(self, today: date) -> list[ModelInfo]:
        """The models one can still start a fine-tuning job on at `today`."""
        return [info for info in self._models.values() if not retired(info, today)]

    def refusal(self, model_id: str, today: date) -> str | None:
        """Why a new job on `model_id` would be refused for its base model's retirement (one
        sentence naming the date and the models that are still fine-tunable), or None."""
        info = self.resolve(model_id).info
        if info is None or not retired(info, today):
            return None
        still = ", ".join(m.id for m in self.fine_tunable(today)) or "none known"
        return (
            f"{info.id} was retired on {info.shutdown:%Y-%m-%d} and can no longer be "
            f"fine-tuned; fine-tunable models: {still}"
        )

    def resolve(self, model_id: str) -> Resolution:
        """Understand any model id; see the module docstring. Never raises.

        Besides OpenAI's `ft:BASE:...` ids, a fine-tuned model named `ACCOUNT/STEM-SUFFIX-ID`
        (Together's output names) resolves to the entry whose id ends in `/STEM`.
        """
        raw = model_id.strip() if isinstance(model_id, str) else ""
        if raw.lower().startswith("ft:"):
            base = raw.split(":")[1]
            if not base:
                return Resolution(
                    None, raw, False, self._unknown_notice(raw), self.unknown_encoding
                )
            return self._resolve_base(base, asked=raw)
        if raw.lower().startswith("ft-") or ":ft-" in raw.lower():
            # A legacy (/v1/fine-tunes) model: its base is not in the id in a usable form.
            notice = (
                f"{raw!r} is a legacy fine-tuned model whose base tuner cannot tell: token counts "
                f"are an estimate with {DEFAULT_ENCODING} and prices are unknown"
            )
            return Resolution(None, raw, False, notice)
        if "/" in raw and self.get(raw) is None:
            base_info = self._output_name_base(raw)
            if base_info is not None:
                return self._resolve_base(base_info.id, asked=raw)
        return self._resolve_base(raw, asked=raw)

    def _output_name_base(self, name: str) -> ModelInfo | None:
        """The entry a fine-tuned model named `ACCOUNT/STEM-...` was trained from, or None."""
        last = name.rsplit("/", 1)[-1].lower()
        best: ModelInfo | None = None
        for info in self._models.values():
            stem = info.id.rsplit("/", 1)[-1].lower()
            longer = best is None or len(stem) > len(best.id.rsplit("/", 1)[-1])
            if "/" in info.id and last.startswith(stem + "-") and longer:
                best = info
        return best

    def _family(self, model_id: str) -> ModelFamily | None:
        """The known family `model_id` belongs to, by prefix."""
        lowered = model_id.lower()
        for family in self._families:
            if family.matches(lowered):
                return family
        return None

    def _unknown_notice(self, model_id: str) -> str:
        why = " (the most recent encoding)" if self.unknown_encoding == DEFAULT_ENCODING else ""
        return (
            f"tuner does not know the model {model_id!r}: token counts are an estimate with "
            f"{self.unknown_encoding}{why} and prices are unknown"
        )

    def _resolve_base(self, base: str, asked: str) -> Resolution:
        info = self.get(base)
        if info is not None:
            return Resolution(
                info,
                info.id,
                True,
                None,
                info.encoding,
                info.tokenizer_note is None,
                info.tokenizer_note,
                info.chat_template,
            )
        family = self._family(base)
        if family is not None:
            how = f" ({family.tokenizer_note})" if family.tokenizer_note else ""
            notice = (
                f"tuner has no figures for {base!r}: token counts use the {family.name} family's "
                f"{family.encoding}{how}, prices and the per-example limit are unknown"
            )
            return Resolution(
                None,
                base,
                False,
                notice,
                family.encoding,
                family.tokenizer_note is None,
                family.tokenizer_note,
                family.chat_template,
            )
        if not asked:
            asked = "(no model)"
        return Resolution(
            None, base or asked, False, self._unknown_notice(asked), self.unknown_encoding
        )

    def with_overrides(
        self, entries: Iterable[Mapping[str, object]], *, foreign_ok: bool = False
    ) -> Catalog:
        """A new catalog with the user's `[[models]]` entries applied, in order.

        An entry whose `id` (or alias) is known replaces only the fields it gives; a new `id`
        adds a model and must give `encoding`, except on another service's table than OpenAI's,
        where a known family of ids gives it (other figures default to unknown, the tokenizer
        note and chat template to the family's).
        With `foreign_ok`, an entry that only changes figures of a model this catalog does not
        have is left out: it belongs to another service's table (the global `[[models]]` serve
        every service). Raises `CatalogError` naming the entry and the field for anything that
        cannot be used.
        """
        # OpenAI's table stays strict (a typo of an id must not become a model); on another
        # service's table a new id of a known family counts like the family.
        strict = self.facts.rules is RulesFamily.OPENAI
        models, aliases, lowered = apply_overrides(
            self._models,
            self._aliases,
            entries,
            family_of=None if strict else self._family,
            foreign_ok=foreign_ok,
        )
        catalog = Catalog.__new__(Catalog)
        catalog._models = models
        catalog._aliases = aliases
        catalog._lowered = lowered
        catalog.service = self.service
        catalog.facts = self.facts
        catalog._default_model = self._default_model
        catalog._families = self._families
        catalog.unknown_encoding = self.unknown_encoding
        catalog.price_source = self.price_source
        catalog._built = self._built
        return catalog

    def builtin_prices(self, info: ModelInfo) -> bool:
        """True when `info`'s prices are the built-in table's (no user override changed them):
        then `price_source` is what they rest on. The built-in table is the one this catalog
        was made from, before `with_overrides`."""
        builtin = self._built.get(info.id)
        return builtin is not None and all(
            getattr(builtin, name) == getattr(info, name) for name in PRICE_FIELDS
        )


def encoding_name_for(model_id: str, catalog: Catalog) -> tuple[str, bool]:
    """(encoding to count `model_id` with, whether it is the model's real encoding)."""
    resolution = catalog.resolve(model_id)
    return resolution.encoding, resolution.encoding_known
