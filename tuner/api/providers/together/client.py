"""Build the `AsyncTogether` client from a resolved `Connection`.

The base URL: a profile may name Together's API as its documentation and OpenAI-style clients
do, `https://api.together.xyz/v1`, but the SDK (3.x) wants the host alone and puts `/v1/...` in
every path itself. So one trailing `/v1` is taken off before the SDK sees the URL:
`https://api.together.xyz/v1`, `https://api.together.ai` (the SDK's default) and the emulator's
`http://127.0.0.1:PORT/together` (with or without `/v1`) all work. Messages name the URL as the
user wrote it (`Connection.where`).

`together` is imported inside the function, so that building the first frame never pays for it.
The key is registered with the error scrubber before the client exists, so no message built
afterwards can contain it.

Retries: the SDK's own (default 2, with its backoff) suit one-shot calls. The event follower and
the prompt replay retry visibly by themselves and ask for `without_retries(client)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tuner.api.errors import ErrorKind, ServiceError, register_secret
from tuner.config import Connection

if TYPE_CHECKING:
    from together import AsyncTogether

DEFAULT_MAX_RETRIES = 2
DEFAULT_TIMEOUT = 60.0
KEY_VARIABLE = "TOGETHER_API_KEY"
NO_KEY_MESSAGE = (
    f"No Together API key. Set {KEY_VARIABLE}, or save one for the profile with tuner settings "
    "(stored in secrets.toml, mode 0600)"
)


def sdk_base_url(where: str) -> str:
    """`where` without a trailing `/v1`: the SDK adds `/v1/...` to every path itself."""
    url = where.strip().rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url


def make_client(
    connection: Connection,
    *,
    max_retries: int | None = None,
    timeout: float | None = None,
) -> AsyncTogether:
    """An `AsyncTogether` for `connection`.

    Raises `ServiceError(no_key)` when the connection carries no key: better said now, naming
    the variable to set, than as the SDK's complaint (it would look in the environment itself).
    """
    if connection.api_key is None or not connection.api_key.reveal():
        raise ServiceError(ErrorKind.NO_KEY, NO_KEY_MESSAGE)
    key = connection.api_key.reveal()
    register_secret(key)

    from together import AsyncTogether

    return AsyncTogether(
        api_key=key,
        # Always given, so the SDK never falls back to TOGETHER_BASE_URL behind tuner's back
        # (tuner resolved that variable already, into the connection).
        base_url=sdk_base_url(connection.where),
        max_retries=DEFAULT_MAX_RETRIES if max_retries is None else max_retries,
        timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
    )


def without_retries(client: AsyncTogether) -> AsyncTogether:
    """The same client (shared connection pool) with the SDK's retries off: the caller retries."""
    return client.with_options(max_retries=0)
