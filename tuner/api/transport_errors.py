"""A failure below HTTP (refused, unknown host, timed out, dropped) as a `ServiceError`.

Each SDK wraps its HTTP library's exceptions in its own; what went wrong is read from the
chain of causes, the same way for every service. The HTTP library is passed in (the openai SDK
ships `httpx2`, the together SDK uses `httpx`: the same classes under two names), so this module
imports neither and no SDK.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from types import ModuleType

from tuner.api.errors import (
    DROPPED_MESSAGE,
    ErrorKind,
    ServiceError,
    one_line,
    unreachable,
)


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and the exceptions that caused it, outermost first (loops cut)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def connect_reason(exc: BaseException, http: ModuleType) -> str:
    """Why a connection could not be made, in a few words, from the deepest cause known."""
    for cause in exception_chain(exc):
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return "unknown host"
        if isinstance(cause, http.ConnectTimeout | TimeoutError):
            return "no answer to the connection in time"
    for cause in exception_chain(exc):
        if isinstance(cause, http.ConnectError | OSError) and str(cause):
            return one_line(str(cause), 120).lower()
    return "connection failed"


def transport_error(
    exc: BaseException, where: str | None, http: ModuleType, timeout_message: str
) -> ServiceError | None:
    """The ServiceError for a transport failure anywhere in `exc`'s chain, or None.

    `where` is the base URL named when the service cannot be reached; `http` the HTTP library
    module the SDK raised from; `timeout_message` names the service that did not answer."""
    for cause in exception_chain(exc):
        if isinstance(cause, http.ConnectError | http.ConnectTimeout | http.ProxyError):
            return unreachable(where, connect_reason(cause, http))
        if isinstance(cause, http.UnsupportedProtocol):
            return unreachable(where, one_line(str(cause), 120) or "unsupported URL")
        if isinstance(cause, ConnectionRefusedError | socket.gaierror):
            return unreachable(where, connect_reason(cause, http))
        if isinstance(cause, http.TimeoutException | TimeoutError):
            return ServiceError(ErrorKind.TIMEOUT, timeout_message)
        if isinstance(cause, http.TransportError | ConnectionError):
            return ServiceError(ErrorKind.DROPPED, DROPPED_MESSAGE)
    return None
