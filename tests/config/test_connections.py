"""Which key and URL a profile gets, and the words for where its key comes from."""

from __future__ import annotations

import pytest

from tuner.config import Profile, Settings, key_state, resolve_connection, save_api_key

AZURE = Profile("az", kind="azure", azure_endpoint="https://r.openai.azure.com")


def test_key_state_names_every_source(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = Profile("p")
    assert key_state(plain, env={}) == "no key"
    save_api_key("p", "test-key-saved")
    assert key_state(plain, env={}) == "key saved"
    assert key_state(plain, env={"OPENAI_API_KEY": "test-key"}) == "from OPENAI_API_KEY"
    env_only = Profile("p", key_source="env")
    assert key_state(env_only, env={}).startswith("no key (this profile reads it")


def test_an_azure_profile_takes_the_azure_variable() -> None:
    env = {"AZURE_OPENAI_API_KEY": "test-key-azure"}
    assert key_state(AZURE, env=env) == "from AZURE_OPENAI_API_KEY"
    assert key_state(Profile("p"), env=env) == "no key"  # not for an OpenAI profile
    settings = Settings(active_profile="az", profiles={"az": AZURE})
    connection = resolve_connection(settings, env=env)
    assert connection.api_key is not None and connection.api_key.reveal() == "test-key-azure"
    assert connection.key_origin == "env"


def test_line_ends_and_spaces_never_reach_a_request() -> None:
    env = {"OPENAI_API_KEY": " test-key\r", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1\r\n"}
    connection = resolve_connection(Settings(), env=env)
    assert connection.api_key is not None and connection.api_key.reveal() == "test-key"
    assert connection.base_url == "http://127.0.0.1:9/v1"
