"""The models tuner knows: encoding, training price, per-example limit, retirement date.

Prices and dates change, so this is data: the built-in table (from FACTS.md, OpenAI's pricing and
deprecation pages) can be overridden or extended by `[[models]]` tables in the user's settings.

`Catalog.resolve` turns any model id a user may type or a job may report into a catalog entry:
aliases (`gpt-4o-mini`), fine-tuned ids (`ft:BASE:ORG:SUFFIX:ID`) and their checkpoints
(`...:ckpt-step-N`) resolve to their base model; an unknown dated snapshot of a known family
(`gpt-4o-2099-01-01`) gets the family's encoding but no prices; anything else is unknown and is
counted with the most recent encoding, clearly labelled as an estimate.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from tuner.data.encodings import DEFAULT_ENCODING, KNOWN_ENCODINGS

if TYPE_CHECKING:
    from tuner.config import Settings

# OpenAI stops all new fine-tuning jobs on its own platform after this day (FACTS.md).
OPENAI_FINE_TUNING_CLOSES = date(2027, 1, 6)

METHODS = ("supervised", "dpo", "reinforcement")


class CatalogError(ValueError):
    """A `[[models]]` entry in the settings cannot be used; the message names entry and field."""


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One base model that can be fine-tuned. None means "not published / not known"."""

    id: str
    encoding: str
    training_price_per_1m: float | None = None
    example_token_limit: int | None = None  # None: not published, limit checks are skipped
    input_price_per_1m: float | None = None  # fine-tuned model inference
    output_price_per_1m: float | None = None
    shutdown: date | None = None  # known retirement of the model (and its fine-tunes)
    methods: tuple[str, ...] = ("supervised",)
    aliases: tuple[str, ...] = ()


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


_BUILTIN: tuple[ModelInfo, ...] = (
    ModelInfo(
        "gpt-4.1-2025-04-14",
        "o200k_base",
        25.00,
        None,
        3.00,
        12.00,
        methods=("supervised", "dpo"),
        aliases=("gpt-4.1",),
    ),
    ModelInfo(
        "gpt-4.1-mini-2025-04-14",
        "o200k_base",
        5.00,
        None,
        0.80,
        3.20,
        methods=("supervised", "dpo"),
        aliases=("gpt-4.1-mini",),
    ),
    ModelInfo(
        "gpt-4.1-nano-2025-04-14",
        "o200k_base",
        1.50,
        None,
        0.20,
        0.80,
        shutdown=date(2026, 10, 23),
        methods=("supervised", "dpo"),
        aliases=("gpt-4.1-nano",),
    ),
    ModelInfo(
        "gpt-4o-2024-08-06",
        "o200k_base",
        25.00,
        65_536,
        3.75,
        15.00,
        methods=("supervised", "dpo"),
        aliases=("gpt-4o",),
    ),
    ModelInfo(
        "gpt-4o-mini-2024-07-18",
        "o200k_base",
        3.00,
        65_536,
        0.30,
        1.20,
        aliases=("gpt-4o-mini",),
    ),
    ModelInfo(
        "gpt-3.5-turbo-0125",
        "cl100k_base",
        8.00,
        16_385,
        3.00,
        6.00,
        shutdown=date(2026, 10, 23),
        aliases=("gpt-3.5-turbo",),
    ),
    ModelInfo("gpt-3.5-turbo-1106", "cl100k_base", 8.00, 16_385, 3.00, 6.00),
    # Shut down for new fine-tunes on 2024-06-13 (OpenAI deprecations, 2023-11-06 notice).
    ModelInfo(
        "gpt-3.5-turbo-0613", "cl100k_base", 8.00, 4_096, 3.00, 6.00, shutdown=date(2024, 6, 13)
    ),
)

# Families: the encoding of any snapshot whose id is the prefix or continues it with one of the
# separators ("gpt-4o-2099-01-01", "gpt-5.2"). Longest prefix wins, so "gpt-4o" beats "gpt-4".
_FAMILY_ENCODINGS: dict[str, tuple[str, str]] = {
    "gpt-4.1-nano": ("o200k_base", "-"),
    "gpt-4.1-mini": ("o200k_base", "-"),
    "gpt-4.1": ("o200k_base", "-"),
    "gpt-4o-mini": ("o200k_base", "-"),
    "gpt-4o": ("o200k_base", "-"),
    "gpt-4.5": ("o200k_base", "-"),
    "gpt-5": ("o200k_base", "-."),
    "o1": ("o200k_base", "-"),
    "o3": ("o200k_base", "-"),
    "o4-mini": ("o200k_base", "-"),
    "gpt-4": ("cl100k_base", "-"),
    "gpt-3.5-turbo": ("cl100k_base", "-"),
    "davinci-002": ("cl100k_base", "-"),
    "babbage-002": ("cl100k_base", "-"),
}
_FAMILIES_LONGEST_FIRST = sorted(_FAMILY_ENCODINGS, key=len, reverse=True)


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
        return f"retires {info.shutdown:%Y-%m-%d} (in {days} day{'' if days == 1 else 's'})"
    return None


def _family(model_id: str) -> str | None:
    """The known family `model_id` belongs to, by prefix."""
    for prefix in _FAMILIES_LONGEST_FIRST:
        if model_id == prefix or (
            model_id.startswith(prefix) and model_id[len(prefix)] in _FAMILY_ENCODINGS[prefix][1]
        ):
            return prefix
    return None


def _unknown_notice(model_id: str) -> str:
    return (
        f"tuner does not know the model {model_id!r}: token counts are an estimate with "
        f"{DEFAULT_ENCODING} (the most recent encoding) and prices are unknown"
    )


class Catalog:
    """A set of `ModelInfo` by id, with aliases. Immutable: overrides make a new catalog."""

    def __init__(self, models: Iterable[ModelInfo]) -> None:
        self._models: dict[str, ModelInfo] = {}
        for info in models:
            self._models[info.id] = info
        self._aliases: dict[str, str] = {}
        for info in self._models.values():
            for alias in info.aliases:
                if alias in self._models:
                    raise CatalogError(f"model {info.id!r}: alias {alias!r} is a model id")
                self._aliases[alias] = info.id

    def __iter__(self) -> Iterator[ModelInfo]:
        return iter(self._models.values())

    @property
    def models(self) -> tuple[ModelInfo, ...]:
        """Every entry, built-in order first, then models the user added."""
        return tuple(self._models.values())

    def __len__(self) -> int:
        return len(self._models)

    def __contains__(self, model_id: object) -> bool:
        return isinstance(model_id, str) and self.get(model_id) is not None

    def get(self, model_id: str) -> ModelInfo | None:
        """The entry for an exact id or alias (no fine-tuned ids, no families)."""
        key = model_id.strip()
        info = self._models.get(key)
        if info is None:
            key = key.lower()
            info = self._models.get(self._aliases.get(key, key))
        return info

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
        """Understand any model id; see the module docstring. Never raises."""
        raw = model_id.strip() if isinstance(model_id, str) else ""
        if raw.lower().startswith("ft:"):
            base = raw.split(":")[1]
            if not base:
                return Resolution(None, raw, False, _unknown_notice(raw))
            return self._resolve_base(base, asked=raw)
        if raw.lower().startswith("ft-") or ":ft-" in raw.lower():
            # A legacy (/v1/fine-tunes) model: its base is not in the id in a usable form.
            notice = (
                f"{raw!r} is a legacy fine-tuned model whose base tuner cannot tell: token counts "
                f"are an estimate with {DEFAULT_ENCODING} and prices are unknown"
            )
            return Resolution(None, raw, False, notice)
        return self._resolve_base(raw, asked=raw)

    def _resolve_base(self, base: str, asked: str) -> Resolution:
        info = self.get(base)
        if info is not None:
            return Resolution(info, info.id, True, None, info.encoding, True)
        family = _family(base.lower())
        if family is not None:
            encoding = _FAMILY_ENCODINGS[family][0]
            notice = (
                f"tuner has no figures for {base!r}: token counts use the {family} family's "
                f"{encoding}, prices and the per-example limit are unknown"
            )
            return Resolution(None, base, False, notice, encoding, True)
        if not asked:
            asked = "(no model)"
        return Resolution(None, base or asked, False, _unknown_notice(asked))

    def with_overrides(self, entries: Iterable[Mapping[str, object]]) -> Catalog:
        """A new catalog with the user's `[[models]]` entries applied, in order.

        An entry whose `id` (or alias) is known replaces only the fields it gives; a new `id`
        adds a model and must give `encoding` (other figures default to unknown). Raises
        `CatalogError` naming the entry and the field for anything that cannot be used.
        """
        models = dict(self._models)
        aliases = dict(self._aliases)
        for number, entry in enumerate(entries, start=1):
            if not isinstance(entry, Mapping):
                raise CatalogError(f"models entry {number}: expected a table of fields")
            model_id = entry.get("id")
            if not isinstance(model_id, str) or not model_id.strip():
                raise CatalogError(f"models entry {number}: field 'id' must be a model id string")
            model_id = model_id.strip()
            where = f"models entry {number} ({model_id})"
            unknown = set(entry) - {f.name for f in dataclasses.fields(ModelInfo)}
            if unknown:
                raise CatalogError(
                    f"{where}: unknown field {sorted(unknown)[0]!r}; known fields are "
                    + ", ".join(f.name for f in dataclasses.fields(ModelInfo))
                )
            changes = {k: _check_field(where, k, v) for k, v in entry.items() if k != "id"}
            existing = models.get(model_id) or models.get(aliases.get(model_id, ""))
            if existing is not None:
                info = dataclasses.replace(existing, **changes)
            else:
                if "encoding" not in changes:
                    raise CatalogError(f"{where}: field 'encoding' is required for a new model")
                info = ModelInfo(id=model_id, **changes)  # type: ignore[arg-type]
            models[info.id] = info
            for alias in info.aliases:
                if alias in models:
                    raise CatalogError(f"{where}: field 'aliases': {alias!r} is a model id")
                aliases[alias] = info.id
        catalog = Catalog.__new__(Catalog)
        catalog._models = models
        catalog._aliases = aliases
        return catalog


def _check_field(where: str, name: str, value: object) -> object:
    """Validate and normalise one override field; raise `CatalogError` naming it."""

    def fail(expected: str) -> CatalogError:
        return CatalogError(f"{where}: field {name!r} must be {expected}, not {value!r}")

    if name == "encoding":
        if value not in KNOWN_ENCODINGS:
            raise fail("one of " + ", ".join(KNOWN_ENCODINGS))
        return value
    if name in ("training_price_per_1m", "input_price_per_1m", "output_price_per_1m"):
        if value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
        ):
            raise fail("a price in dollars per 1M tokens (a number >= 0)")
        return float(value)
    if name == "example_token_limit":
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise fail("a whole number of tokens > 0")
        return value
    if name == "shutdown":
        if value is None or (isinstance(value, date) and not isinstance(value, datetime.datetime)):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise fail('a date ("YYYY-MM-DD")')
    if name in ("methods", "aliases"):
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise fail("a list of strings")
        items = tuple(value)
        if not all(isinstance(item, str) and item for item in items):
            raise fail("a list of strings")
        if name == "methods" and not set(items) <= set(METHODS):
            raise fail("a list drawn from " + ", ".join(METHODS))
        return items
    raise CatalogError(f"{where}: unknown field {name!r}")  # pragma: no cover - checked earlier


def encoding_name_for(model_id: str, catalog: Catalog) -> tuple[str, bool]:
    """(encoding to count `model_id` with, whether it is the model's real encoding)."""
    resolution = catalog.resolve(model_id)
    return resolution.encoding, resolution.encoding_known


_DEFAULT: Catalog | None = None


def default_catalog() -> Catalog:
    """The built-in table (FACTS.md), shared: catalogs are immutable."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Catalog(_BUILTIN)
    return _DEFAULT


def settings_catalog(settings: Settings) -> Catalog:
    """The built-in table with the settings' `[[models]]` overrides (global, then the active
    profile's). Raises `CatalogError` naming the settings file and the entry at fault."""
    from tuner.config import settings_path

    try:
        return default_catalog().with_overrides(settings.catalog_overrides())
    except CatalogError as exc:
        raise CatalogError(f"{settings_path()}: [[models]] {exc}") from None
