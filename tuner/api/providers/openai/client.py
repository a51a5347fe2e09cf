"""Build the SDK client from a resolved `Connection`: OpenAI, any compatible base_url, or Azure.

`openai` is imported here, inside the function, so that building the first frame never pays for
it. The key is registered with the error scrubber before the client exists, so no message built
afterwards can contain it.

Retries: the SDK's own retries (default 2, with its backoff) suit one-shot calls such as listing
jobs or uploading. The event follower and the prompt replay retry by themselves, because they
must report "reconnecting" and honour Retry-After visibly; they call `without_retries(client)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tuner.api.errors import NO_KEY_MESSAGE, ErrorKind, ServiceError, register_secret
from tuner.config import Connection

if TYPE_CHECKING:
    from openai import AsyncOpenAI

DEFAULT_MAX_RETRIES = 2
DEFAULT_TIMEOUT = 60.0
DEFAULT_AZURE_API_VERSION = "2025-04-01-preview"


def make_client(
    connection: Connection,
    *,
    max_retries: int | None = None,
    timeout: float | None = None,
) -> AsyncOpenAI:
    """An `AsyncOpenAI` (or `AsyncAzureOpenAI`) for `connection`.

    `max_retries` / `timeout` default to `DEFAULT_MAX_RETRIES` / `DEFAULT_TIMEOUT`.

    Raises `ServiceError(kind=no_key)` when the connection carries no key: better said now, in
    plain words, than as the SDK's complaint at the first request.
    """
    if connection.api_key is None:
        raise ServiceError(ErrorKind.NO_KEY, NO_KEY_MESSAGE)
    max_retries = DEFAULT_MAX_RETRIES if max_retries is None else max_retries
    timeout = DEFAULT_TIMEOUT if timeout is None else timeout
    key = connection.api_key.reveal()
    register_secret(key)

    if connection.azure_v1:
        # Azure's v1 API takes the plain client at RESOURCE/openai/v1/ with an api-key header.
        from openai import AsyncOpenAI

        endpoint = (connection.azure_endpoint or "").rstrip("/")
        return AsyncOpenAI(
            api_key=key,
            base_url=connection.base_url or f"{endpoint}/openai/v1/",
            default_headers={"api-key": key},
            max_retries=max_retries,
            timeout=timeout,
        )

    if connection.kind == "azure":
        from openai import AsyncAzureOpenAI

        return AsyncAzureOpenAI(
            azure_endpoint=connection.azure_endpoint or "",
            api_version=connection.api_version or DEFAULT_AZURE_API_VERSION,
            api_key=key,
            organization=connection.organization,
            project=connection.project,
            max_retries=max_retries,
            timeout=timeout,
        )

    from openai import AsyncOpenAI

    return AsyncOpenAI(
        api_key=key,
        base_url=connection.base_url,
        organization=connection.organization,
        project=connection.project,
        max_retries=max_retries,
        timeout=timeout,
    )


def without_retries(client: AsyncOpenAI) -> AsyncOpenAI:
    """The same client (shared connection pool) with the SDK's retries off: the caller retries."""
    return client.with_options(max_retries=0)
