"""A service's URL: only http and https, refused when read; credentials in it refused when the
connection is resolved, and never shown anywhere (`shown_url`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuner.config import (
    ConfigError,
    Profile,
    Settings,
    load_settings,
    resolve_connection,
    save_settings,
)
from tuner.config.connections import connection_label
from tuner.config.urls import has_userinfo, shown_url, url_problem

PASSWORD = "hunter2-not-a-key"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"http://user:{PASSWORD}@llm.example.com/v1", "http://llm.example.com/v1"),
        (f"https://{PASSWORD}@llm.example.com:8443/v1?x=1", "https://llm.example.com:8443/v1?x=1"),
        ("http://a@b:c@host/v1", "http://host/v1"),  # up to the last @ before the path
        ("http://host/v1/@me", "http://host/v1/@me"),  # an @ in the path is no userinfo
        ("https://api.openai.com/v1", "https://api.openai.com/v1"),
        ("Azure OpenAI", "Azure OpenAI"),
    ],
)
def test_a_url_is_shown_without_its_user_and_password(url: str, shown: str) -> None:
    assert shown_url(url) == shown
    assert has_userinfo(url) is (url != shown)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("file:///etc/passwd", "must start with http:// or https://"),
        ("localhost:8000/v1", "must start with http:// or https://"),
        ("ftp://llm.example.com", "must start with http:// or https://"),
        ("https:///v1", "has no host"),
        ("http://host:port/v1", "is not a valid URL"),
        ("http://127.0.0.1:9/v1", None),
        ("HTTPS://api.together.ai", None),
    ],
)
def test_only_http_and_https_urls_with_a_host(url: str, problem: str | None) -> None:
    assert url_problem(url) == problem


def test_a_file_url_is_refused_when_the_settings_are_read(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('[profiles.local]\nbase_url = "file:///tmp/x"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert caught.value.message == (
        f"{path}: [profiles.local] base_url 'file:///tmp/x' must start with http:// or https://"
    )


def test_an_azure_endpoint_without_a_scheme_is_refused_when_read(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(
        '[profiles.az]\nkind = "azure"\nazure_endpoint = "r.openai.azure.com"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"\[profiles.az\] azure_endpoint 'r.openai.azure.com'"):
        load_settings(path)


def test_a_url_no_request_can_use_is_never_saved(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    bad = Settings(profiles={"x": Profile("x", base_url="file:///tmp/x")})
    with pytest.raises(ConfigError, match=r"\[profiles.x\] base_url"):
        save_settings(bad, path)
    assert not path.exists()  # the next start would have refused the whole file


@pytest.mark.parametrize("variable", ["OPENAI_BASE_URL", "TOGETHER_BASE_URL"])
def test_a_base_url_variable_is_checked_too(variable: str) -> None:
    kind = "together" if variable.startswith("TOGETHER") else "openai"
    settings = Settings(active_profile="p", profiles={"p": Profile("p", kind=kind)})
    with pytest.raises(ConfigError, match=f"{variable} 'file:///x' must start with http"):
        resolve_connection(settings, env={variable: "file:///x"})


@pytest.mark.parametrize(
    ("profile", "env", "named"),
    [
        (Profile("gw", base_url=f"http://me:{PASSWORD}@127.0.0.1:9/v1"), {}, "base_url"),
        (
            Profile("gw"),
            {"OPENAI_BASE_URL": f"http://me:{PASSWORD}@127.0.0.1:9/v1"},
            "OPENAI_BASE_URL",
        ),
        (
            Profile("gw", kind="together"),
            {"TOGETHER_BASE_URL": f"https://{PASSWORD}@127.0.0.1:9/together"},
            "TOGETHER_BASE_URL",
        ),
        (
            Profile("gw", kind="azure", azure_endpoint=f"https://me:{PASSWORD}@r.example.com"),
            {},
            "azure_endpoint",
        ),
    ],
)
def test_a_url_with_a_password_is_refused_and_the_password_never_shown(
    profile: Profile, env: dict[str, str], named: str
) -> None:
    settings = Settings(active_profile=profile.name, profiles={profile.name: profile})
    with pytest.raises(ConfigError) as caught:
        resolve_connection(settings, env=env)
    message = caught.value.message
    assert message.startswith(f"profile 'gw': {named} '")
    assert "basic auth in place of the API key" in message and "\n" not in message
    assert PASSWORD not in message and "me:" not in message


def test_no_url_shown_anywhere_holds_a_password() -> None:
    """Defence in depth: a connection made without `resolve_connection` still never shows one."""
    from tuner.config import Connection

    gateway = Connection("gw", base_url=f"http://me:{PASSWORD}@llm.example.com/v1")
    azure = Connection("az", kind="azure", azure_endpoint=f"https://me:{PASSWORD}@r.example.com")
    for connection in (gateway, azure):
        shown = [connection.where, connection_label("p", connection)]
        assert not any(PASSWORD in text or "me:" in text for text in shown), shown
    assert connection_label("gw", gateway, key=False) == "gw · llm.example.com"
