"""Which key and URL a profile gets, and the words for where its key comes from."""

from __future__ import annotations

import pytest

from tuner.config import (
    ConfigError,
    Connection,
    Profile,
    Secret,
    Settings,
    key_state,
    resolve_connection,
    save_api_key,
)

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


TOGETHER = Profile("tg", kind="together")


def test_a_together_profile_reads_together_variables_and_never_an_openai_key() -> None:
    env = {
        "OPENAI_API_KEY": "test-key-openai",
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
        "TOGETHER_API_KEY": "test-key-together",
        "TOGETHER_BASE_URL": "http://127.0.0.1:8/together",
    }
    settings = Settings(active_profile="tg", profiles={"tg": TOGETHER})
    connection = resolve_connection(settings, env=env)
    assert connection.api_key is not None and connection.api_key.reveal() == "test-key-together"
    assert connection.base_url == "http://127.0.0.1:8/together"
    assert key_state(TOGETHER, env=env) == "from TOGETHER_API_KEY"
    # Without its own variable the OpenAI key is not borrowed: it belongs to another company.
    only_openai = {"OPENAI_API_KEY": "test-key-openai"}
    assert resolve_connection(settings, env=only_openai).api_key is None
    assert key_state(TOGETHER, env=only_openai) == "no key"


def test_each_kind_names_its_service_and_key_variable() -> None:
    def connection(profile: Profile):
        return resolve_connection(Settings(profiles={profile.name: profile}), profile.name, env={})

    assert connection(Profile("o")).service_name == "OpenAI"
    assert connection(Profile("o")).key_variable == "OPENAI_API_KEY"
    gateway = connection(Profile("g", base_url="https://gateway.example/v1"))
    assert gateway.service_name == "OpenAI-compatible"
    assert connection(AZURE).service_name == "Azure OpenAI"
    assert connection(AZURE).key_variable == "AZURE_OPENAI_API_KEY"
    v1 = connection(Profile("v", kind="azure", azure_endpoint="https://r", api_version="v1"))
    assert v1.azure_v1 and v1.service_name == "Azure OpenAI v1"
    together = connection(TOGETHER)
    assert together.service_name == "Together AI"
    assert together.key_variable == "TOGETHER_API_KEY"
    assert together.where == "https://api.together.ai"


# A key no HTTP header can carry: named where it is read, never shown.
INNER = "test-key-\nsecond-half"


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("test-key-\nsecond-half", "a line break"),
        ("test-key-\r\nsecond-half", "a line break"),
        ("test-key-\x1b[2Jhalf", "a control character"),
        ("test-key-\x7fhalf", "a control character"),
        ("test-key-\u2013half", "a character that is not ASCII"),
    ],
)
def test_a_key_from_the_environment_with_a_line_break_is_named(key: str, problem: str) -> None:
    settings = Settings(active_profile="work", profiles={"work": Profile("work")})
    with pytest.raises(ConfigError) as caught:
        resolve_connection(settings, env={"OPENAI_API_KEY": key})
    message = caught.value.message
    assert message.startswith(f"OPENAI_API_KEY (the key for profile 'work') contains {problem}")
    assert "half" not in message and "test-key" not in message
    # The settings screen's "key" line says the same, never the key.
    with pytest.raises(ConfigError, match=problem):
        key_state(Profile("work"), env={"OPENAI_API_KEY": key})


def test_a_key_in_the_secrets_file_with_a_line_break_is_named() -> None:
    from tuner.config import secrets_path

    path = secrets_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[profiles.work]\napi_key = "test-key-\\nsecond-half"\n', encoding="utf-8")
    settings = Settings(active_profile="work", profiles={"work": Profile("work")})
    with pytest.raises(ConfigError) as caught:
        resolve_connection(settings, env={})
    message = caught.value.message
    assert message.startswith(f"the key for profile 'work' in {path} contains a line break")
    assert "second-half" not in message and "test-key" not in message


def test_a_key_with_a_line_break_is_never_saved() -> None:
    from tuner.config import secrets_path

    with pytest.raises(ConfigError, match="the key for profile 'work' contains a line break"):
        save_api_key("work", INNER)
    assert not secrets_path().exists()
    save_api_key("work", " test-key\r\n")  # around it, line ends are only dropped
    assert key_state(Profile("work"), env={}) == "key saved"


def test_same_account_is_the_same_profile_or_the_same_key_at_the_same_address() -> None:
    from tuner.config.connections import same_account

    def at(name: str, url: str, key: str, kind: str = "openai") -> Connection:
        return Connection(profile_name=name, kind=kind, base_url=url, api_key=Secret(key))

    work = at("work", "https://api.openai.com/v1", "k1")
    assert same_account(work, at("work", "http://elsewhere/v1", "k2"))  # one profile
    assert same_account(work, at("work-again", "https://api.openai.com/v1/", "k1"))
    assert not same_account(work, at("personal", "https://api.openai.com/v1", "k2"))
    assert not same_account(work, at("gateway", "https://llm.example.com/v1", "k1"))
    assert not same_account(work, at("tg", "https://api.openai.com/v1", "k1", kind="together"))
