"""Settings round-trip, malformed files, env overrides, the 0600 secrets file, masked keys."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tuner import config
from tuner.config import (
    ConfigError,
    Connection,
    Profile,
    Secret,
    Settings,
    load_api_key,
    load_settings,
    resolve_connection,
    save_api_key,
    save_settings,
)

KEY = "test-key-DO-NOT-LEAK-42"


def test_paths_follow_env_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNER_CONFIG_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("TUNER_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("TUNER_CACHE_DIR", str(tmp_path / "k"))
    assert config.config_dir() == tmp_path / "c"
    assert config.data_dir() == tmp_path / "d"
    assert config.cache_dir() == tmp_path / "k"
    assert config.settings_path() == tmp_path / "c" / "settings.toml"


def test_paths_default_to_platformdirs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TUNER_CONFIG_DIR")
    assert config.config_dir().name == "tuner"


def test_missing_file_gives_defaults() -> None:
    settings = load_settings()
    assert settings == Settings()
    assert settings.default_model == "gpt-4o-mini-2024-07-18"
    assert settings.catalog_overrides() == []


def test_round_trip() -> None:
    settings = Settings(
        default_model="gpt-4.1-mini-2025-04-14",
        active_profile="lab",
        theme="textual-dark",
        models=({"id": "my-model", "training_price_per_1m": 2.5, "aliases": ["m", "n"]},),
        profiles={
            "lab": Profile(
                name="lab",
                base_url="http://127.0.0.1:9/v1",
                organization="org-1",
                models=({"id": "lab-model", "encoding": "o200k_base", "limit": {"ctx": 4096}},),
            ),
            "az ure": Profile(
                name="az ure",
                kind="azure",
                azure_endpoint="https://example.invalid",
                api_version="2025-04-01-preview",
                key_source="env",
            ),
        },
    )
    path = save_settings(settings)
    assert path == config.settings_path()
    loaded = load_settings()
    assert loaded == settings
    assert [m["id"] for m in loaded.catalog_overrides()] == ["my-model", "lab-model"]


def test_strings_with_quotes_and_newlines_round_trip() -> None:
    settings = Settings(theme='a "quoted"\nline\\with\tescapes é')
    save_settings(settings)
    assert load_settings().theme == settings.theme


def test_malformed_toml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('default_model = "x"\n\n[profiles.a\nkind = "openai"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(path) in str(caught.value)
    assert caught.value.line == 3
    assert f"{path}:3" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[profiles.a]\nkind = "gcp"\n', "kind"),
        ('[profiles.a]\nkey_source = "keyring"\n', "key_source"),
        ('active_profile = "nope"\n', "nope"),
        ("default_model = 3\n", "default_model"),
        ("models = 3\n", "models"),
        ("keys = 3\n", "keys"),
        ('[keys]\n"screen.jobs" = 5\n', "screen.jobs"),
    ],
)
def test_wrong_values_are_config_errors(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=words):
        load_settings(path)


def test_keys_table_round_trips_for_remapping(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('[keys]\n"screen.jobs" = "J"\n"app.quit" = "ctrl+x"\n', encoding="utf-8")
    settings = load_settings(path)
    assert settings.keys == {"screen.jobs": "J", "app.quit": "ctrl+x"}
    save_settings(settings, path)
    assert load_settings(path).keys == settings.keys


def test_secrets_file_is_0600_and_stays_so() -> None:
    path = save_api_key("lab", KEY)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    save_api_key("other", "test-key")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_api_key("lab") == Secret(KEY)
    assert load_api_key("other") == Secret("test-key")
    assert load_api_key("missing") is None
    leftovers = [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_secrets_file_mode_ignores_a_permissive_umask() -> None:
    old = os.umask(0)
    try:
        path = save_api_key(None, KEY)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_api_key(None) == Secret(KEY)  # the "default" profile


def test_env_key_wins_over_file(monkeypatch: pytest.MonkeyPatch) -> None:
    save_api_key("default", "test-key")
    connection = resolve_connection(Settings())
    assert connection.api_key == Secret("test-key") and connection.key_origin == "file"
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    connection = resolve_connection(Settings())
    assert connection.api_key == Secret(KEY) and connection.key_origin == "env"


def test_key_source_env_ignores_the_file() -> None:
    settings = Settings(active_profile="p", profiles={"p": Profile("p", key_source="env")})
    save_api_key("p", "test-key")
    assert resolve_connection(settings).api_key is None


def test_base_url_env_overrides_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    profile = Profile("p", base_url="http://127.0.0.1:1/v1")
    settings = Settings(active_profile="p", profiles={"p": profile})
    assert resolve_connection(settings).base_url == "http://127.0.0.1:1/v1"
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:2/v1")
    assert resolve_connection(settings).base_url == "http://127.0.0.1:2/v1"


def test_named_profile_and_errors() -> None:
    settings = Settings(profiles={"a": Profile("a", base_url="http://127.0.0.1:3/v1")})
    assert resolve_connection(settings, "a").base_url == "http://127.0.0.1:3/v1"
    with pytest.raises(ConfigError, match="no profile named 'b'"):
        resolve_connection(settings, "b")
    azure = Settings(profiles={"z": Profile("z", kind="azure")})
    with pytest.raises(ConfigError, match="azure_endpoint"):
        resolve_connection(azure, "z")


def test_repr_never_shows_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    connection = resolve_connection(Settings())
    secret = Secret(KEY)
    for text in (repr(connection), str(connection), repr(secret), str(secret), f"{secret}"):
        assert KEY not in text
    assert repr(secret) == "Secret('****')"
    assert secret.reveal() == KEY
    assert KEY not in repr(Connection("x", api_key=secret))
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(secret)


def test_config_imports_no_sdk() -> None:
    code = "import sys, tuner.config; print('openai' in sys.modules, 'httpx2' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
