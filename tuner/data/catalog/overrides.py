"""The user's `[[models]]` entries checked field by field and applied to a service's table.

Prices and dates change, so a user may correct or extend a built-in table from the settings
file. Every field is checked here, with an error naming the entry and the field
(`CatalogError`), so a typo is refused on load instead of pricing a job wrong later.
`Catalog.with_overrides` (`lookup`) builds its new catalog from what `apply_overrides` returns.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
from collections.abc import Callable, Iterable, Mapping
from datetime import date

from tuner.data.catalog.chat_templates import CHAT_TEMPLATES
from tuner.data.catalog.models import (
    LIMIT_FIELDS,
    METHODS,
    PRICE_FIELDS,
    TRAINING_TYPES,
    ModelFamily,
    ModelInfo,
)
from tuner.data.tokens.encodings import KNOWN_ENCODINGS


class CatalogError(ValueError):
    """A `[[models]]` entry in the settings cannot be used; the message names entry and field."""


# What an override table comes to: {id: entry}, {alias: id}, {lower-case id: id}.
ModelTables = tuple[dict[str, ModelInfo], dict[str, str], dict[str, str]]


def apply_overrides(
    models: Mapping[str, ModelInfo],
    aliases: Mapping[str, str],
    entries: Iterable[Mapping[str, object]],
    *,
    family_of: Callable[[str], ModelFamily | None] | None,
    foreign_ok: bool = False,
) -> ModelTables:
    """The table `models` (with its `aliases`) after the user's `[[models]]` entries, in order.

    An entry whose `id` (or alias) is known replaces only the fields it gives; a new `id` adds a
    model and must give `encoding`, unless `family_of` (None for OpenAI's strict table: a typo
    of an id must not become a model) finds a known family of ids, which gives it (other
    figures default to unknown, the tokenizer note and chat template to the family's).
    With `foreign_ok`, an entry that only changes figures of a model the table does not have
    is left out: it belongs to another service's table. Raises `CatalogError` naming the entry
    and the field for anything that cannot be used.
    """
    models = dict(models)
    aliases = dict(aliases)
    lowered = {model.id.lower(): model.id for model in models.values()}
    names = [f.name for f in dataclasses.fields(ModelInfo)]
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, Mapping):
            raise CatalogError(f"models entry {number}: expected a table of fields")
        model_id = entry.get("id")
        if not isinstance(model_id, str) or not model_id.strip():
            raise CatalogError(f"models entry {number}: field 'id' must be a model id string")
        model_id = model_id.strip()
        where = f"models entry {number} ({model_id})"
        unknown = set(entry) - set(names)
        if unknown:
            raise CatalogError(
                f"{where}: unknown field {sorted(unknown)[0]!r}; known fields are "
                + ", ".join(names)
            )
        changes = {k: _check_field(where, k, v) for k, v in entry.items() if k != "id"}
        existing = (
            models.get(model_id)
            or models.get(aliases.get(model_id, ""))
            or models.get(lowered.get(model_id.lower(), ""))
        )
        if existing is not None:
            info = dataclasses.replace(existing, **changes)  # type: ignore[arg-type]
        else:
            family = family_of(model_id) if family_of is not None else None
            if "encoding" not in changes:
                if family is None:
                    if foreign_ok:
                        continue
                    raise CatalogError(f"{where}: field 'encoding' is required for a new model")
                changes["encoding"] = family.encoding
            if family is not None and changes["encoding"] == family.encoding:
                changes.setdefault("tokenizer_note", family.tokenizer_note)
                changes.setdefault("chat_template", family.chat_template)
            info = ModelInfo(id=model_id, **changes)  # type: ignore[arg-type]
        models[info.id] = info
        lowered[info.id.lower()] = info.id
        for alias in info.aliases:
            if alias in models:
                raise CatalogError(f"{where}: field 'aliases': {alias!r} is a model id")
            aliases[alias] = info.id
    return models, aliases, lowered


def _check_field(where: str, name: str, value: object) -> object:
    """Validate and normalise one override field; raise `CatalogError` naming it."""

    def fail(expected: str) -> CatalogError:
        return CatalogError(f"{where}: field {name!r} must be {expected}, not {value!r}")

    if name == "encoding":
        if value not in KNOWN_ENCODINGS:
            raise fail("one of " + ", ".join(KNOWN_ENCODINGS))
        return value
    if name in PRICE_FIELDS:
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
    if name in LIMIT_FIELDS:
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
    if name in ("methods", "aliases", "training_types"):
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise fail("a list of strings")
        items = tuple(value)
        if not all(isinstance(item, str) and item for item in items):
            raise fail("a list of strings")
        if name == "methods" and not set(items) <= set(METHODS):
            raise fail("a list drawn from " + ", ".join(METHODS))
        if name == "training_types" and not set(items) <= set(TRAINING_TYPES):
            raise fail("a list drawn from " + ", ".join(TRAINING_TYPES))
        return items
    if name == "tokenizer_note":
        if value is None or (isinstance(value, str) and value.strip()):
            return value.strip() if isinstance(value, str) else None
        raise fail("a sentence saying why the counts are an estimate")
    if name == "chat_template":
        if value is None or value in CHAT_TEMPLATES:
            return value
        raise fail("one of " + ", ".join(CHAT_TEMPLATES))
    raise CatalogError(f"{where}: unknown field {name!r}")  # pragma: no cover - checked earlier
