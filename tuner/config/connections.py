"""From settings and environment to one `Connection`: which service, which URL, which key.

Key resolution, the same everywhere (the commands, the app, the settings screen's "key" line):
the service's variable in the environment wins (`OPENAI_API_KEY`, then `AZURE_OPENAI_API_KEY`
for an Azure profile; `TOGETHER_API_KEY` for a Together profile, which never sends an OpenAI
key to another company), then the secrets file (unless the profile says `key_source = "env"`).
`OPENAI_BASE_URL` overrides an OpenAI profile's `base_url`, `TOGETHER_BASE_URL` a Together
one's. Values from the environment are stripped of surrounding whitespace, so
a CRLF `.env` file's `\\r` never reaches a request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tuner.config.errors import ConfigError
from tuner.config.secrets import DEFAULT_PROFILE_NAME, Secret, clean_key, load_api_key
from tuner.config.settings import Profile, ServiceAddress, Settings, load_settings


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
        """Where requests go, safe to show anywhere."""
        if self.kind == "azure":
            return self.azure_endpoint or "Azure OpenAI"
        return self.base_url or DEFAULT_BASE_URLS[self.kind]

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
    """(variable name, key) of the environment variable that gives `profile` its key."""
    for name in KEY_VARIABLES[profile.kind]:
        key = clean_key(env.get(name))
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

    Raises `ConfigError` for an unknown profile, an Azure profile with no endpoint, or a broken
    settings or secrets file.
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
    base_url = (env.get(variable) or "").strip() if variable else ""
    base_url = base_url or profile.base_url
    if profile.kind == "azure" and not profile.azure_endpoint:
        raise ConfigError(f"profile {profile.name!r} is an Azure profile but has no azure_endpoint")
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
        parts.append(where.netloc)  # the host says which service it is
    else:
        parts.append(connection.service_name)
        if custom:
            parts.append(where.netloc)
    if key and connection.api_key is None:
        parts.append("no key")
    elif key and connection.key_origin == "env" and not demo:
        parts.append("key from env")
    return " · ".join(parts)
