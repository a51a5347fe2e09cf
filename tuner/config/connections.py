"""From settings and environment to one `Connection`: which service, which URL, which key.

Key resolution, the same everywhere (the commands, the app, the settings screen's "key" line):
the service's variable in the environment wins (`OPENAI_API_KEY`, then `AZURE_OPENAI_API_KEY`
for an Azure profile; `TOGETHER_API_KEY` for a Together profile, which never sends an OpenAI
key to another company), then the secrets file (unless the profile says `key_source = "env"`).
`OPENAI_BASE_URL` overrides an OpenAI profile's `base_url`, `TOGETHER_BASE_URL` a Together
one's. Values from the environment are stripped of surrounding whitespace, so
a CRLF `.env` file's `\\r` never reaches a request.

A connection is refused (`ConfigError`, naming the profile or the variable) when its key could
not go into a header (a line break inside it), when its URL is not http or https, or when the
URL carries a user name or password: the HTTP client would send those as basic auth in place
of the API key, and they would show wherever the URL is shown. Every URL is shown through
`tuner.config.urls.shown_url` in any case.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tuner.config.errors import ConfigError
from tuner.config.secrets import DEFAULT_PROFILE_NAME, Secret, clean_key, load_api_key
from tuner.config.settings import (
    URL_FIELDS,
    Profile,
    ServiceAddress,
    Settings,
    address_problem,
    load_settings,
)
from tuner.config.urls import has_userinfo, shown_url, url_problem


@dataclass(frozen=True)
class Connection(ServiceAddress):
    """Everything needed to reach a service. The key is a `Secret`, so repr never shows it.

    `api_key` is None when no key was found; opening the service turns that into a clear error.
    `key_origin` says where it came from ("env", "file"), for the settings screen.
    """

    profile_name: str | None
    api_key: Secret | None = None
    key_origin: str | None = None

    @property
    def where(self) -> str:
        """Where requests go, safe to show anywhere (never a user name or password)."""
        if self.kind == "azure":
            return shown_url(self.azure_endpoint or "Azure OpenAI")
        return shown_url(self.base_url or DEFAULT_BASE_URLS[self.kind])

    @property
    def service_name(self) -> str:
        """Which service, in the words the title and messages use."""
        if self.kind == "azure":
            return "Azure OpenAI v1" if self.azure_v1 else "Azure OpenAI"
        if self.kind == "together":
            return "Together AI"
        if self.base_url and self.base_url.rstrip("/") != DEFAULT_BASE_URLS["openai"]:
            return "OpenAI-compatible"
        return "OpenAI"

    @property
    def key_variable(self) -> str:
        """The environment variable a key for this service is read from, for hints."""
        return KEY_VARIABLES[self.kind][-1]

    @property
    def azure_v1(self) -> bool:
        """An Azure profile on the v1 API (`/openai/v1/`, the plain OpenAI client)."""
        return self.kind == "azure" and (self.api_version or "").strip().lower() == "v1"


DEFAULT_BASE_URLS = {
    "openai": "https://api.openai.com/v1",
    "together": "https://api.together.ai",
    "azure": "",
}
KEY_VARIABLES = {
    "openai": ("OPENAI_API_KEY",),
    "azure": ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY"),
    "together": ("TOGETHER_API_KEY",),
}
BASE_URL_VARIABLES = {"openai": "OPENAI_BASE_URL", "together": "TOGETHER_BASE_URL"}


def env_key(profile: Profile, env: Mapping[str, str]) -> tuple[str, Secret] | None:
    """(variable name, key) of the environment variable that gives `profile` its key.

    Raises `ConfigError` naming the variable and the profile for a key with a line break or a
    control character in it."""
    for name in KEY_VARIABLES[profile.kind]:
        key = clean_key(env.get(name), f"{name} (the key for profile {profile.name!r})")
        if key is not None:
            return name, key
    return None


def key_state(
    profile: Profile,
    *,
    env: Mapping[str, str] | None = None,
    secrets: Path | None = None,
    saved: bool | None = None,
) -> str:
    """Where `profile`'s key comes from, never the key: "from OPENAI_API_KEY", "key saved",
    "no key". `saved` answers for the secrets file when the caller keeps keys elsewhere."""
    found = env_key(profile, os.environ if env is None else env)
    if found is not None:
        return f"from {found[0]}"
    if profile.key_source == "env":
        return "no key (this profile reads it from the environment only)"
    if saved is None:
        saved = load_api_key(profile.name, path=secrets) is not None
    return "key saved" if saved else "no key"


def resolve_connection(
    settings: Settings | None = None,
    profile_name: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> Connection:
    """The connection for `profile_name` (else the active profile, else plain env variables).

    Raises `ConfigError` for an unknown profile, an Azure profile with no endpoint, a broken
    settings or secrets file, a key no header can carry, and a URL that is not http or https
    or that carries a user name or password.
    """
    env = os.environ if env is None else env
    settings = settings if settings is not None else load_settings()
    if profile_name is not None and profile_name not in settings.profiles:
        known = ", ".join(sorted(settings.profiles)) or "none defined"
        raise ConfigError(f"no profile named {profile_name!r} (profiles: {known})")
    profile = settings.profile(profile_name) or Profile(name=DEFAULT_PROFILE_NAME)

    key: Secret | None = None
    origin: str | None = None
    found = env_key(profile, env)
    if found is not None:
        key, origin = found[1], "env"
    elif profile.key_source == "file":
        key = load_api_key(profile.name)
        origin = "file" if key else None

    variable = BASE_URL_VARIABLES.get(profile.kind)
    from_env = (env.get(variable) or "").strip() if variable else ""
    if from_env:
        problem = url_problem(from_env)
        if problem is not None:
            raise ConfigError(f"{variable} {shown_url(from_env)!r} {problem}")
    base_url = from_env or profile.base_url
    if profile.kind == "azure" and not profile.azure_endpoint:
        raise ConfigError(f"profile {profile.name!r} is an Azure profile but has no azure_endpoint")
    refusal = address_refusal(profile)
    if refusal is not None:
        raise ConfigError(refusal)
    if from_env and has_userinfo(from_env):
        raise ConfigError(_userinfo_refusal(profile, variable, from_env))
    return Connection(
        profile_name=profile.name,
        kind=profile.kind,
        base_url=base_url.strip() if base_url else None,
        azure_endpoint=profile.azure_endpoint.strip() if profile.azure_endpoint else None,
        api_version=profile.api_version,
        organization=profile.organization,
        project=profile.project,
        api_key=key,
        key_origin=origin,
    )


def address_refusal(profile: Profile) -> str | None:
    """Why `profile`'s own URLs cannot be used, naming the profile (a scheme other than http or
    https, a user name or password before the host), or None: for `resolve_connection` and for
    the settings form, which refuses to save what could not be used."""
    problem = address_problem(profile)
    if problem is not None:
        return f"profile {profile.name!r}: {problem}"
    for name in URL_FIELDS:
        url = getattr(profile, name)
        if url and has_userinfo(url):
            return _userinfo_refusal(profile, name, url)
    return None


def _userinfo_refusal(profile: Profile, where: str | None, url: str) -> str:
    """Why a URL with a user name or password is refused, without repeating them."""
    key_variable = KEY_VARIABLES[profile.kind][-1]
    return (
        f"profile {profile.name!r}: {where} {shown_url(url)!r} has a user name or password "
        "before the host; the HTTP client would send them as basic auth in place of the API "
        f"key. Take them out of the URL and give the key with tuner settings (secrets.toml) "
        f"or {key_variable}"
    )


def same_account(one: Connection, other: Connection) -> bool:
    """Whether two connections reach the same account, so that a job moved from one to the
    other would only be a second copy beside the first: the same profile, or the same kind of
    service at the same address with the same key, organization and project. The app's move
    dialog does not offer such a profile; `tuner migrate` refuses it unless told `--again`."""
    if one.profile_name is not None and one.profile_name == other.profile_name:
        return True

    def account(connection: Connection) -> tuple[object, ...]:
        return (
            connection.kind,
            connection.where.rstrip("/"),
            connection.api_key,
            connection.organization,
            connection.project,
        )

    return account(one) == account(other)


def connection_label(
    name: str, connection: Connection, *, demo: bool = False, key: bool = True
) -> str:
    """`work · OpenAI`, `gateway · llm.example.com`, `azure-eu · Azure OpenAI ·
    my-resource.openai.azure.com`, `demo-together · Together AI · emulator`: which profile,
    which service (a compatible host is named by its address) and, with `key`, where the key
    comes from. The title shows it; a move names its source by it (without the key)."""
    from urllib.parse import urlsplit

    where = urlsplit(connection.where)
    custom = bool(where.hostname) and connection.where != DEFAULT_BASE_URLS.get(connection.kind)
    parts = [name]
    if demo:
        parts += [connection.service_name.removesuffix("-compatible"), "emulator"]
    elif connection.kind == "openai" and custom:
        parts.append(where.netloc)  # the host says which service it is (`where` has no user)
    else:
        parts.append(connection.service_name)
        if custom:
            parts.append(where.netloc)
    if key and connection.api_key is None:
        parts.append("no key")
    elif key and connection.key_origin == "env" and not demo:
        parts.append("key from env")
    return " · ".join(parts)
