"""The settings file as one typed, frozen `Settings` object: profiles, default model, overrides.

`settings.toml` (in the platform's config folder) is read with `tomllib` and checked here, so a
mistake is reported once, naming the file and the line, instead of surfacing later as a strange
failure. Saving edits the file in place (`tuner.config.settings_file`), keeping the user's
comments and keys tuner does not know.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast

from tuner.config.errors import ConfigError
from tuner.config.paths import settings_path
from tuner.config.service_facts import SERVICE_FACTS, ServiceFacts, facts_for
from tuner.config.toml_files import read_toml
from tuner.config.urls import shown_url, url_problem

DEFAULT_MODEL = "gpt-4o-mini-2024-07-18"

ProfileKind = Literal["openai", "azure", "together"]
KeySource = Literal["env", "file"]
KINDS: tuple[str, ...] = tuple(SERVICE_FACTS)
_KEY_SOURCES: tuple[str, ...] = ("env", "file")
# A profile's text fields, as settings.toml spells them.
PROFILE_STRINGS = (
    "base_url",
    "azure_endpoint",
    "api_version",
    "organization",
    "project",
    "default_model",
)
PROFILE_FIELDS = ("kind", *PROFILE_STRINGS)
# The fields that hold a service's address: only http:// and https:// are accepted.
URL_FIELDS = ("base_url", "azure_endpoint")


@dataclass(frozen=True, kw_only=True)
class ServiceAddress:
    """Which service, and where: what a profile names and a connection carries. Keyword-only,
    so the classes built on it keep their own first positional field."""

    kind: ProfileKind = "openai"
    base_url: str | None = None
    azure_endpoint: str | None = None
    api_version: str | None = None
    organization: str | None = None
    project: str | None = None

    @property
    def facts(self) -> ServiceFacts:
        """What tuner knows of this kind of service (its rules, limits and dates), for callers
        that must not compare the kind with a name."""
        return facts_for(self.kind)


@dataclass(frozen=True)
class Profile(ServiceAddress):
    """One service to talk to: OpenAI (or any OpenAI-compatible base_url), Azure OpenAI (its
    v1 API when `api_version = "v1"`, else the classic `api-version` paths), or Together AI.

    `models` are raw `[[profiles.NAME.models]]` tables: catalog overrides for this service only.
    `key_source = "env"` means the key is only ever taken from the environment.
    `default_model` is the base model estimates and new jobs start from on this service (the
    global `default_model` is an OpenAI model, which another service does not train).
    """

    name: str
    key_source: KeySource = "file"
    models: tuple[Mapping[str, Any], ...] = ()
    default_model: str | None = None


@dataclass(frozen=True)
class Settings:
    """The whole settings file as one typed value. Edit with `dataclasses.replace`."""

    default_model: str = DEFAULT_MODEL
    active_profile: str | None = None
    profiles: Mapping[str, Profile] = field(default_factory=dict)
    models: tuple[Mapping[str, Any], ...] = ()
    theme: str | None = None
    # `[keys]`: binding id -> key(s), e.g. `"screen.jobs" = "J"`, applied with App.set_keymap.
    keys: Mapping[str, str] = field(default_factory=dict)

    def profile(self, name: str | None = None) -> Profile | None:
        """The named profile, else the active one; None when there is none (plain env setup)."""
        wanted = name or self.active_profile
        if wanted is None:
            return None
        return self.profiles.get(wanted)

    def catalog_overrides(self) -> list[Mapping[str, Any]]:
        """Global `[[models]]` then the active profile's: later entries win in the catalog."""
        active = self.profile()
        return [*self.models, *(active.models if active else ())]

    def with_profile(self, profile: Profile, *, activate: bool = False) -> Settings:
        """A copy with `profile` added or replaced (and made active when asked)."""
        profiles = {**self.profiles, profile.name: profile}
        active = profile.name if activate else self.active_profile
        return replace(self, profiles=profiles, active_profile=active)


def _expect(value: Any, kind: type | tuple[type, ...], where: str, path: Path) -> Any:
    if value is not None and not isinstance(value, kind):
        raise ConfigError(f"{path}: {where} has the wrong type ({type(value).__name__})", path=path)
    return value


def _model_tables(value: Any, where: str, path: Path) -> tuple[Mapping[str, Any], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ConfigError(f"{path}: {where} must be an array of tables ([[...]])", path=path)
    return tuple(value)


def _parse_profile(name: str, table: Any, path: Path) -> Profile:
    where = f"[profiles.{name}]"
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {where} must be a table", path=path)
    kind = table.get("kind", "openai")
    if kind not in KINDS:
        raise ConfigError(f"{path}: {where} kind must be one of {', '.join(KINDS)}", path=path)
    key_source = table.get("key_source", "file")
    if key_source not in _KEY_SOURCES:
        raise ConfigError(f"{path}: {where} key_source must be 'env' or 'file'", path=path)
    strings = {}
    for key in PROFILE_STRINGS:
        strings[key] = _expect(table.get(key), str, f"{where} {key}", path)
    profile = Profile(
        name=name,
        kind=cast(ProfileKind, kind),
        key_source=cast(KeySource, key_source),
        models=_model_tables(table.get("models"), f"{where} models", path),
        **strings,
    )
    problem = address_problem(profile)
    if problem is not None:
        raise ConfigError(f"{path}: {where} {problem}", path=path)
    return profile


def address_problem(address: ServiceAddress) -> str | None:
    """What is wrong with a profile's `base_url` or `azure_endpoint` (`base_url 'file:///x'
    must start with http:// or https://`), or None. Checked when the settings are read and
    saved, so a URL no request can use is refused once, naming the profile, and never retried.
    """
    for name in URL_FIELDS:
        value = (getattr(address, name) or "").strip()
        problem = url_problem(value) if value else None
        if problem is not None:
            return f"{name} {shown_url(value)!r} {problem}"
    return None


def load_settings(path: Path | None = None) -> Settings:
    """Read settings.toml; a missing file gives the defaults, a malformed one a `ConfigError`."""
    path = path or settings_path()
    data = read_toml(path)
    profiles_table = data.get("profiles") or {}
    if not isinstance(profiles_table, dict):
        raise ConfigError(f"{path}: profiles must be a table ([profiles.NAME])", path=path)
    profiles = {name: _parse_profile(name, table, path) for name, table in profiles_table.items()}
    active = _expect(data.get("active_profile"), str, "active_profile", path)
    if active is not None and active not in profiles:
        raise ConfigError(
            f"{path}: active_profile {active!r} has no [profiles.{active}]", path=path
        )
    return Settings(
        default_model=_expect(data.get("default_model"), str, "default_model", path)
        or DEFAULT_MODEL,
        active_profile=active,
        profiles=profiles,
        models=_model_tables(data.get("models"), "models", path),
        theme=_expect(data.get("theme"), str, "theme", path),
        keys=_keys_table(data.get("keys"), path),
    )


def _keys_table(value: Any, path: Path) -> Mapping[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: keys must be a table ([keys])", path=path)
    for binding_id, keys in value.items():
        if not isinstance(keys, str) or not keys.strip():
            raise ConfigError(
                f'{path}: [keys] {binding_id} must be a key name such as "J" or "ctrl+j"',
                path=path,
            )
    return dict(value)
