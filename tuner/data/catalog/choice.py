"""Which catalog to price with: the built-in table of a service kind, or a settings profile's.

The tables (`openai.py`, `together.py`) are made of `lookup`'s types, so the code that picks one
of them cannot live in `lookup` without an import circle; here, beside them, nothing imports back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tuner.data.catalog.lookup import OPENAI_DEFAULT_MODEL, Catalog
from tuner.data.catalog.openai import OPENAI_MODELS, azure_models
from tuner.data.catalog.overrides import CatalogError
from tuner.data.catalog.together import together_catalog
from tuner.data.service_kinds import OPENAI, ModelTable, RulesFamily, UnknownService, facts_for

if TYPE_CHECKING:
    from tuner.config import Settings


_DEFAULTS: dict[str, Catalog] = {}


def default_catalog(service: str = OPENAI) -> Catalog:
    """The built-in table of a service kind, shared (catalogs are immutable): OpenAI's for
    `openai` and `azure`, Together AI's for `together`. Raises `CatalogError` for a kind tuner
    has no table for."""
    catalog = _DEFAULTS.get(service)
    if catalog is None:
        try:
            table = facts_for(service).model_table
        except UnknownService as exc:
            raise CatalogError(str(exc)) from None
        if table is ModelTable.TOGETHER:
            catalog = together_catalog()
        else:
            models = azure_models() if table is ModelTable.AZURE else OPENAI_MODELS
            catalog = Catalog(models, service=service, default_model=OPENAI_DEFAULT_MODEL)
        _DEFAULTS[service] = catalog
    return catalog


def settings_catalog(settings: Settings, profile_name: str | None = None) -> Catalog:
    """The catalog a settings profile prices with: the built-in table of its kind (OpenAI's
    when there is no profile) with the global `[[models]]` and then the profile's own
    `[[profiles.NAME.models]]` applied. `profile_name=None` means the active profile.

    On another service's table than OpenAI's, a global entry that only changes a model that
    table does not have is left out (it is about another service's model). Raises
    `CatalogError` naming the settings file and the entry at fault, or the profiles there are
    when `profile_name` names none of them.
    """
    from tuner.config import settings_path

    profile = settings.profile(profile_name)
    if profile_name is not None and profile is None:
        known = ", ".join(sorted(settings.profiles)) or "none"
        raise CatalogError(
            f"{settings_path()}: no profile named {profile_name!r} (profiles: {known})"
        )
    base = default_catalog(profile.kind if profile is not None else OPENAI)
    foreign_ok = base.facts.rules is not RulesFamily.OPENAI
    try:
        catalog = base.with_overrides(settings.models, foreign_ok=foreign_ok)
        if profile is not None and profile.models:
            catalog = catalog.with_overrides(profile.models)
    except CatalogError as exc:
        raise CatalogError(f"{settings_path()}: [[models]] {exc}") from None
    return catalog
