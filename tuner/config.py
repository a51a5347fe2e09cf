"""Settings, profiles, paths and the secrets file: everything tuner reads before it talks to anyone.

One TOML file (`settings.toml` in the platformdirs config dir) becomes one typed, frozen
`Settings` object. The API key lives apart, in `secrets.toml` (created 0600), and travels inside a
`Secret` wrapper whose repr is masked, so a `Connection` can be logged, printed or shown in a
traceback without leaking it. No network and no SDK here: `tuner.api` turns a `Connection` into a
client.

Key resolution: `OPENAI_API_KEY` in the environment wins, then the secrets file (unless the profile
says `key_source = "env"`). `OPENAI_BASE_URL` overrides the profile's `base_url`.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast

APP_NAME = "tuner"
DEFAULT_MODEL = "gpt-4o-mini-2024-07-18"
DEFAULT_PROFILE_NAME = "default"
SETTINGS_FILE = "settings.toml"
SECRETS_FILE = "secrets.toml"

ProfileKind = Literal["openai", "azure"]
KeySource = Literal["env", "file"]
_KINDS: tuple[str, ...] = ("openai", "azure")
_KEY_SOURCES: tuple[str, ...] = ("env", "file")


class ConfigError(Exception):
    """A settings or secrets file that cannot be used; the message names the file (and line)."""

    def __init__(self, message: str, *, path: Path | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line


# --------------------------------------------------------------------------- paths


def _dir_from_env(variable: str, default: str) -> Path:
    override = os.environ.get(variable)
    return Path(override).expanduser() if override else Path(default)


def config_dir() -> Path:
    """Where settings.toml and secrets.toml live (`TUNER_CONFIG_DIR` overrides); not created."""
    import platformdirs

    return _dir_from_env("TUNER_CONFIG_DIR", platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """Transcripts and follower cursors (`TUNER_DATA_DIR` overrides). Not created here."""
    import platformdirs

    return _dir_from_env("TUNER_DATA_DIR", platformdirs.user_data_dir(APP_NAME))


def cache_dir() -> Path:
    """Rebuildable data such as line indexes (`TUNER_CACHE_DIR` overrides). Not created here."""
    import platformdirs

    return _dir_from_env("TUNER_CACHE_DIR", platformdirs.user_cache_dir(APP_NAME))


def settings_path() -> Path:
    return config_dir() / SETTINGS_FILE


def secrets_path() -> Path:
    return config_dir() / SECRETS_FILE


# --------------------------------------------------------------------------- secret


class Secret:
    """A string that never shows itself: repr and str are masked; `reveal()` is explicit.

    Equality compares the hidden values, so frozen dataclasses holding one still compare well.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('****')"

    def __str__(self) -> str:
        return "****"

    def __format__(self, spec: str) -> str:
        return "****"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> Any:  # pickling would write the value somewhere: refuse
        raise TypeError("Secret values are not picklable")


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Profile:
    """One service to talk to: OpenAI, Azure OpenAI, or any OpenAI-compatible base_url.

    `models` are raw `[[profiles.NAME.models]]` tables: catalog overrides for this service only.
    `key_source = "env"` means the key is only ever taken from the environment.
    """

    name: str
    kind: ProfileKind = "openai"
    base_url: str | None = None
    azure_endpoint: str | None = None
    api_version: str | None = None
    organization: str | None = None
    project: str | None = None
    key_source: KeySource = "file"
    models: tuple[Mapping[str, Any], ...] = ()


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


def _toml_error_line(message: str) -> int | None:
    found = re.search(r"line (\d+)", message)
    return int(found.group(1)) if found else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}", path=path) from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not valid UTF-8", path=path, line=line) from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line = _toml_error_line(message)
        where = f"{path}:{line}" if line else str(path)
        raise ConfigError(f"{where}: invalid TOML: {message}", path=path, line=line) from None


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
    if kind not in _KINDS:
        raise ConfigError(f"{path}: {where} kind must be one of {', '.join(_KINDS)}", path=path)
    key_source = table.get("key_source", "file")
    if key_source not in _KEY_SOURCES:
        raise ConfigError(f"{path}: {where} key_source must be 'env' or 'file'", path=path)
    strings = {}
    for key in ("base_url", "azure_endpoint", "api_version", "organization", "project"):
        strings[key] = _expect(table.get(key), str, f"{where} {key}", path)
    return Profile(
        name=name,
        kind=cast(ProfileKind, kind),
        key_source=cast(KeySource, key_source),
        models=_model_tables(table.get("models"), f"{where} models", path),
        **strings,
    )


def load_settings(path: Path | None = None) -> Settings:
    """Read settings.toml; a missing file gives the defaults, a malformed one a `ConfigError`."""
    path = path or settings_path()
    data = _read_toml(path)
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


# --------------------------------------------------------------------------- TOML writing

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _toml_string(key)


def _toml_string(value: str) -> str:
    escaped = []
    for char in value:
        if char == "\\":
            escaped.append("\\\\")
        elif char == '"':
            escaped.append('\\"')
        elif char == "\n":
            escaped.append("\\n")
        elif char == "\t":
            escaped.append("\\t")
        elif char == "\r":
            escaped.append("\\r")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def _toml_value(value: Any) -> str:
    """Scalars, arrays and inline tables: enough for the settings' small shape."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        items = (f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items() if v is not None)
        return "{ " + ", ".join(items) + " }" if value else "{}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _toml_pairs(table: Mapping[str, Any]) -> list[str]:
    return [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items() if v is not None]


def dump_settings(settings: Settings) -> str:
    """The TOML text for `settings` (what `save_settings` writes); round-trips through load."""
    lines = _toml_pairs(
        {
            "default_model": settings.default_model,
            "active_profile": settings.active_profile,
            "theme": settings.theme,
        }
    )
    for model in settings.models:
        lines += ["", "[[models]]", *_toml_pairs(model)]
    for name, profile in settings.profiles.items():
        header = f"profiles.{_toml_key(name)}"
        lines += ["", f"[{header}]"]
        lines += _toml_pairs(
            {
                "kind": profile.kind,
                "base_url": profile.base_url,
                "azure_endpoint": profile.azure_endpoint,
                "api_version": profile.api_version,
                "organization": profile.organization,
                "project": profile.project,
                "key_source": profile.key_source,
            }
        )
        for model in profile.models:
            lines += ["", f"[[{header}.models]]", *_toml_pairs(model)]
    if settings.keys:
        lines += ["", "[keys]", *_toml_pairs(settings.keys)]
    return "\n".join(lines) + "\n"


def _atomic_write(path: Path, text: str, *, mode: int = 0o644) -> None:
    """Write beside the target then rename, so a crash leaves the old file or the new, never half.

    The temporary file is created with `mode` from the start (os.open), so a secret is never
    readable by others even for a moment; os.replace keeps that mode on the final name.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write settings.toml atomically (hand-written TOML: no extra dependency). Returns the path."""
    path = path or settings_path()
    _atomic_write(path, dump_settings(settings))
    return path


# --------------------------------------------------------------------------- secrets


def _profile_key_name(profile: Profile | str | None) -> str:
    if isinstance(profile, Profile):
        return profile.name
    return profile or DEFAULT_PROFILE_NAME


def save_api_key(profile_name: str | None, key: str, *, path: Path | None = None) -> Path:
    """Store `key` for a profile in secrets.toml (mode 0600, atomic replace). Returns the path."""
    path = path or secrets_path()
    data = _read_toml(path)
    keys = data.get("profiles") if isinstance(data.get("profiles"), dict) else {}
    keys = {name: dict(table) for name, table in keys.items() if isinstance(table, dict)}
    keys.setdefault(_profile_key_name(profile_name), {})["api_key"] = key
    lines = ["# tuner API keys. Keep this file private (mode 0600)."]
    for name, table in keys.items():
        lines += ["", f"[profiles.{_toml_key(name)}]", *_toml_pairs(table)]
    _atomic_write(path, "\n".join(lines) + "\n", mode=0o600)
    return path


def load_api_key(
    profile: Profile | str | None = None, *, path: Path | None = None
) -> Secret | None:
    """The key stored in secrets.toml for a profile (None when absent); env is not consulted."""
    path = path or secrets_path()
    data = _read_toml(path)
    profiles = data.get("profiles")
    table = profiles.get(_profile_key_name(profile)) if isinstance(profiles, dict) else None
    key = table.get("api_key") if isinstance(table, dict) else None
    return Secret(key) if isinstance(key, str) and key else None


# --------------------------------------------------------------------------- connection


@dataclass(frozen=True)
class Connection:
    """Everything needed to build a client. The key is a `Secret`, so repr never shows it.

    `api_key` is None when no key was found; the client factory turns that into a clear error.
    `key_origin` says where it came from ("env", "file"), for the settings screen.
    """

    profile_name: str | None
    kind: ProfileKind = "openai"
    base_url: str | None = None
    azure_endpoint: str | None = None
    api_version: str | None = None
    organization: str | None = None
    project: str | None = None
    api_key: Secret | None = None
    key_origin: str | None = None

    @property
    def label(self) -> str:
        """A short human name for the service, safe to show anywhere."""
        where = self.azure_endpoint if self.kind == "azure" else self.base_url
        return f"{self.profile_name or 'default'} ({where or 'api.openai.com'})"


def resolve_connection(
    settings: Settings | None = None,
    profile_name: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> Connection:
    """The connection for `profile_name` (else the active profile, else plain env variables).

    Raises `ConfigError` for an unknown profile or an Azure profile with no endpoint.
    """
    env = os.environ if env is None else env
    settings = settings if settings is not None else load_settings()
    if profile_name is not None and profile_name not in settings.profiles:
        known = ", ".join(sorted(settings.profiles)) or "none defined"
        raise ConfigError(f"no profile named {profile_name!r} (profiles: {known})")
    profile = settings.profile(profile_name) or Profile(name=DEFAULT_PROFILE_NAME)

    key: Secret | None = None
    origin: str | None = None
    env_key = env.get("OPENAI_API_KEY") or (
        env.get("AZURE_OPENAI_API_KEY") if profile.kind == "azure" else None
    )
    if env_key:
        key, origin = Secret(env_key), "env"
    elif profile.key_source == "file":
        key = load_api_key(profile)
        origin = "file" if key else None

    base_url = env.get("OPENAI_BASE_URL") or profile.base_url
    if profile.kind == "azure" and not profile.azure_endpoint:
        raise ConfigError(f"profile {profile.name!r} is an Azure profile but has no azure_endpoint")
    return Connection(
        profile_name=profile.name,
        kind=profile.kind,
        base_url=base_url,
        azure_endpoint=profile.azure_endpoint,
        api_version=profile.api_version,
        organization=profile.organization,
        project=profile.project,
        api_key=key,
        key_origin=origin,
    )
