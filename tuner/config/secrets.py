"""API keys: the `Secret` wrapper that never shows itself, and the 0600 secrets file.

Keys live apart from the settings, in `secrets.toml` (created 0600, edited in place so the
user's comments and other profiles' keys stay), one `[profiles.NAME] api_key = "..."` table per
profile. A key travels inside a `Secret` whose repr and str are masked, so a `Connection` can be
logged, printed or shown in a traceback without leaking it. Keys are stripped of surrounding
whitespace on the way in and out: a key pasted from a CRLF `.env` file ends in `\\r`, which no
service accepts and no user can see. A key with a line break, a control character or a
character that is not ASCII inside it cannot go into an HTTP header at all: it is refused where
it is read (`ConfigError`, naming the profile and where the key came from, never the key), not
left to fail as a dropped connection at the first request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tuner.config.errors import ConfigError
from tuner.config.paths import secrets_path
from tuner.config.toml_files import atomic_write, read_toml

DEFAULT_PROFILE_NAME = "default"
SECRETS_HEADER = "# tuner API keys. Keep this file private (mode 0600)."


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


def clean_key(value: str | None, whose: str = "the key") -> Secret | None:
    """A key as typed or read (spaces and line ends around it dropped); None when empty.

    Raises `ConfigError` ("`whose` contains a line break") for a key no request can carry;
    `whose` names the key for the user ("the key for profile 'work' in secrets.toml")."""
    cleaned = (value or "").strip()
    if not cleaned:
        return None
    problem = key_problem(cleaned)
    if problem is not None:
        raise ConfigError(f"{whose} contains {problem}: set it again, without it")
    return Secret(cleaned)


def key_problem(key: str) -> str | None:
    """What in `key` an HTTP header cannot carry ("a line break", "a control character", "a
    character that is not ASCII"), or None. Never quotes the key."""
    if "\n" in key or "\r" in key:
        return "a line break"
    if any(ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F for char in key):
        return "a control character"
    if not key.isascii():
        return "a character that is not ASCII (a quote or dash changed by an editor?)"
    return None


def save_api_key(profile_name: str | None, key: str, *, path: Path | None = None) -> Path:
    """Store `key` for a profile in secrets.toml (mode 0600, atomic replace). Returns the path.

    The file is edited in place: comments, other profiles and unknown keys are kept.
    """
    import tomlkit

    path = path or secrets_path()
    read_toml(path)  # a broken file is reported (naming file and line), never overwritten
    try:
        document = tomlkit.parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        document = tomlkit.document()
        document.add(tomlkit.comment(SECRETS_HEADER[2:]))
    profiles = document.get("profiles")
    if not isinstance(profiles, dict):
        profiles = tomlkit.table(is_super_table=True)
        document["profiles"] = profiles
    name = profile_name or DEFAULT_PROFILE_NAME
    cleaned = clean_key(key, f"the key for profile {name!r}")
    if cleaned is None:
        raise ConfigError(f"the key for profile {name!r} is empty")
    table = profiles.get(name)
    if not isinstance(table, dict):
        table = tomlkit.table()
        profiles[name] = table
    table["api_key"] = cleaned.reveal()
    atomic_write(path, tomlkit.dumps(document), mode=0o600)
    return path


def load_api_key(profile_name: str | None = None, *, path: Path | None = None) -> Secret | None:
    """The key stored in secrets.toml for a profile (None when absent); env is not consulted.

    Raises `ConfigError` (naming the file and line, never its content) for a broken file, and
    (naming the profile and the file) for a key with a line break or a control character.
    """
    path = path or secrets_path()
    data = read_toml(path)
    profiles = data.get("profiles")
    name = profile_name or DEFAULT_PROFILE_NAME
    table = profiles.get(name) if isinstance(profiles, dict) else None
    key = table.get("api_key") if isinstance(table, dict) else None
    whose = f"the key for profile {name!r} in {path}"
    return clean_key(key, whose) if isinstance(key, str) else None
