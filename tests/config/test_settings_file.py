"""Saving settings edits the user's file in place: comments, order, unknown keys and mode stay.

Every kind of save the app makes is tried on a file written the way a person writes one (the
README's own example, with comments and keys tuner does not know).
"""

from __future__ import annotations

import dataclasses
import os
import stat
from pathlib import Path

import pytest

from tuner.config import (
    ConfigError,
    Profile,
    Settings,
    load_settings,
    save_api_key,
    save_settings,
    secrets_path,
    settings_path,
)
from tuner.ui.services import with_price_override

USERS_FILE = """\
# My tuner settings. Keep the work profile first.
default_model = "gpt-4o-mini-2024-07-18"   # the cheap one
active_profile = "work"
editor_note = "tuner does not know this key"

[profiles.work]                  # OpenAI, or any OpenAI-compatible server
kind = "openai"
base_url = "https://my-gateway.example/v1"
team = "ml-platform"             # mine, not tuner's

[profiles.azure]                 # Azure OpenAI, through the SDK's Azure client
kind = "azure"
azure_endpoint = "https://my-resource.openai.azure.com"
api_version = "2024-10-21"

[[models]]                       # prices change: override the catalog, or add a model
id = "gpt-4o-mini-2024-07-18"
training_price_per_1m = 3.0

[keys]                           # remap any binding by its id
"screen.jobs" = "J"

[plugins.future]                 # a table from a newer tuner
enabled = true
"""


@pytest.fixture
def users_file() -> Path:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(USERS_FILE, encoding="utf-8")
    path.chmod(0o600)
    return path


def kept(text: str) -> None:
    """What a save must never lose."""
    for comment in (
        "# My tuner settings. Keep the work profile first.",
        "# the cheap one",
        "# mine, not tuner's",
        "# OpenAI, or any OpenAI-compatible server",
        "# remap any binding by its id",
    ):
        assert comment in text, comment
    assert 'editor_note = "tuner does not know this key"' in text
    assert 'team = "ml-platform"' in text
    assert "[plugins.future]" in text and "enabled = true" in text


def saves(path: Path) -> list[tuple[str, object]]:
    """(what, the settings after it) for every kind of save the app and screens make."""
    settings = load_settings(path)
    work = settings.profiles["work"]
    return [
        ("theme toggle", dataclasses.replace(settings, theme="light")),
        ("default model", dataclasses.replace(settings, default_model="gpt-4.1-2025-04-14")),
        ("switch profile", dataclasses.replace(settings, active_profile="azure")),
        (
            "edit profile",
            settings.with_profile(dataclasses.replace(work, base_url="https://other.example/v1")),
        ),
        ("new profile", settings.with_profile(Profile("local", base_url="http://127.0.0.1:1"))),
        ("price override", with_price_override(settings, "gpt-4.1-2025-04-14", 20.0)),
        ("price dropped", with_price_override(settings, "gpt-4o-mini-2024-07-18", None)),
        ("remap", dataclasses.replace(settings, keys={"screen.jobs": "J", "app.help": "h"})),
    ]


@pytest.mark.parametrize("index", range(8))
def test_every_save_keeps_comments_unknown_keys_and_mode(users_file: Path, index: int) -> None:
    what, changed = saves(users_file)[index]
    save_settings(changed)  # type: ignore[arg-type]
    text = users_file.read_text(encoding="utf-8")
    kept(text)
    assert stat.S_IMODE(users_file.stat().st_mode) == 0o600, what
    assert load_settings(users_file) == changed, what


def test_only_what_changed_is_touched(users_file: Path) -> None:
    settings = load_settings(users_file)
    save_settings(dataclasses.replace(settings, theme="light"))
    text = users_file.read_text(encoding="utf-8")
    assert text.replace('theme = "light"\n', "") == USERS_FILE
    save_settings(load_settings(users_file))  # nothing changed: nothing moves
    assert users_file.read_text(encoding="utf-8") == text


def test_deleting_a_profile_removes_only_its_table(users_file: Path) -> None:
    settings = load_settings(users_file)
    profiles = {k: v for k, v in settings.profiles.items() if k != "azure"}
    save_settings(dataclasses.replace(settings, profiles=profiles))
    text = users_file.read_text(encoding="utf-8")
    assert "[profiles.azure]" not in text and "azure_endpoint" not in text
    kept(text)


def test_a_broken_file_is_refused_not_overwritten(users_file: Path) -> None:
    users_file.write_text(USERS_FILE + "[unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        save_settings(Settings(theme="light"))
    assert str(users_file) in str(caught.value)
    assert users_file.read_text(encoding="utf-8").endswith("[unclosed\n")


def test_a_new_file_follows_the_umask() -> None:
    path = settings_path()
    old = os.umask(0o027)
    try:
        save_settings(load_settings())
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_linked_settings_file_is_written_through_the_link(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "settings.toml"
    real.parent.mkdir()
    real.write_text(USERS_FILE, encoding="utf-8")
    link = settings_path()
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(real)
    save_settings(dataclasses.replace(load_settings(), theme="light"))
    assert link.is_symlink() and 'theme = "light"' in real.read_text(encoding="utf-8")


def test_saving_a_key_keeps_the_secrets_files_comments_and_other_keys() -> None:
    path = secrets_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '# my keys\n[profiles.work]\napi_key = "test-key-work"  # rotated monthly\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    save_api_key("azure", "test-key-azure\r\n")  # pasted from a CRLF .env file
    text = path.read_text(encoding="utf-8")
    assert "# my keys" in text and "# rotated monthly" in text and "test-key-work" in text
    assert 'api_key = "test-key-azure"' in text  # stripped
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
