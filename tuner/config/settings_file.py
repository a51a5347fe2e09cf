"""Saving `Settings` by editing settings.toml in place: only what changed is touched.

The settings file is the user's: it carries their comments (the README's own example does),
keys tuner does not know (from a newer version, or notes of their own), an order they chose and
a mode they set. A save therefore parses the file with tomlkit, changes exactly the values that
differ from the `Settings` being saved, removes only what tuner manages and the user removed
(a deleted profile, a dropped price override), and writes it back atomically with the same mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tuner.config.errors import ConfigError
from tuner.config.paths import settings_path
from tuner.config.settings import PROFILE_FIELDS, Profile, Settings, address_problem
from tuner.config.toml_files import atomic_write, read_toml

# Keys tuner owns in each table: one of these missing from the `Settings` is removed from the
# file; any other key is the user's and stays.
TOP_KEYS = ("default_model", "active_profile", "theme", "models", "profiles", "keys")
PROFILE_KEYS = (*PROFILE_FIELDS, "key_source", "models")


def _profile_data(profile: Profile) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(profile, name) for name in PROFILE_FIELDS}
    if profile.key_source != "file":
        data["key_source"] = profile.key_source
    if profile.models:
        data["models"] = [dict(model) for model in profile.models]
    return {key: value for key, value in data.items() if value is not None}


def settings_data(settings: Settings) -> dict[str, Any]:
    """`settings` as the plain data the file holds (None and empty values left out)."""
    data: dict[str, Any] = {
        "default_model": settings.default_model,
        "active_profile": settings.active_profile,
        "theme": settings.theme,
        "models": [dict(model) for model in settings.models] or None,
        "profiles": {name: _profile_data(p) for name, p in settings.profiles.items()} or None,
        "keys": dict(settings.keys) or None,
    }
    return {key: value for key, value in data.items() if value is not None}


def _plain(value: Any) -> Any:
    """A tomlkit item as plain Python data, to compare it with what is wanted."""
    unwrap = getattr(value, "unwrap", None)
    return unwrap() if callable(unwrap) else value


def _sync_table(table: Any, wanted: Mapping[str, Any], managed: tuple[str, ...] | None) -> None:
    """Make `table` hold `wanted`: changed values replaced, new ones added, managed keys that
    are no longer wanted removed (`managed` None: every key of the table is managed)."""
    import tomlkit

    for key in list(table.keys()):
        if key not in wanted and (managed is None or key in managed):
            del table[key]
    for key, value in wanted.items():
        if key in table and _plain(table[key]) == value:
            continue
        current = table.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            _sync_table(current, value, _managed_below(key))
            continue
        if isinstance(value, Mapping):
            new = tomlkit.table(is_super_table=key == "profiles")
            _sync_table(new, value, _managed_below(key))
            table[key] = new
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            array = tomlkit.aot()
            for entry in value:
                array.append(tomlkit.item(dict(entry)))
            table[key] = array
        else:
            table[key] = value


def _managed_below(key: str) -> tuple[str, ...] | None:
    """Which keys tuner owns inside the table named `key`."""
    if key == "profiles":
        return None  # every profile table is tuner's: a deleted profile goes
    if key == "keys":
        return None
    return PROFILE_KEYS


def dump_settings(settings: Settings, existing: str = "") -> str:
    """The text of the settings file after saving `settings` over `existing`."""
    import tomlkit

    document = tomlkit.parse(existing) if existing else tomlkit.document()
    _sync_table(document, settings_data(settings), TOP_KEYS)
    return tomlkit.dumps(document)


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write `settings` into settings.toml, changing only what differs. Returns the path.

    Raises `ConfigError` when the existing file is broken (it is reported, never overwritten)
    or a profile's URL could not be read back (a scheme other than http or https), and
    `OSError` when it cannot be written.
    """
    path = path or settings_path()
    for profile in settings.profiles.values():
        problem = address_problem(profile)
        if problem is not None:
            raise ConfigError(f"[profiles.{profile.name}] {problem}", path=path)
    read_toml(path)  # refuses a broken file with its line number
    try:
        existing = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        existing = ""
    atomic_write(path, dump_settings(settings, existing))
    return path
