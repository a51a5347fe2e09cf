"""A Stainless-generated SDK's exceptions (and its HTTP library's) as tuner's `ServiceError`.

The openai and together SDKs are generated the same way, so their exceptions have the same
shapes: `APIStatusError` (with `status_code`, `body` and the response's headers),
`APITimeoutError`, `APIConnectionError` (raised `from` the HTTP library's exception that caused
it), `APIResponseValidationError`, a base error class, and the HTTP library's own exceptions
while a stream is read or an upload's bytes go out. What differs is said by each service's
`SdkErrors`: its modules, how its status answers read, its wording, and any exception only it
raises.

Transport failures are told apart by what they mean for the user: a connection that could not
be made (refused, unknown host, no answer to connect) is `CONNECTION`, "Cannot reach URL (why)",
the one failure that says the service is unreachable; a connection made and then lost before
the reply was complete is `DROPPED` (the service is there: retry, as for a 5xx); a connected
service slow to answer is `TIMEOUT`. The cause is read from the exception chain.

Nothing here imports an SDK: each service hands its modules in, imported when first needed.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from tuner.api.errors import (
    DROPPED_MESSAGE,
    ErrorKind,
    ServiceError,
    one_line,
    unreachable,
)


@dataclass(frozen=True, slots=True)
class SdkErrors:
    """What one SDK's exceptions need to be read: the parts where the two SDKs differ."""

    sdk: ModuleType  # `openai`, `together`
    http: ModuleType  # the HTTP library the SDK raises from: `httpx2`, `httpx`
    base_error: type[BaseException]  # every exception of the SDK's own
    # (exception, HTTP status, model asked for) -> the error of a status answer
    from_status: Callable[[Any, int, str | None], ServiceError]
    timeout_message: str
    unreadable_message: str  # a response the SDK could not parse
    no_key_message: str
    # An exception only this SDK raises, read before the generic fallback (None: not one).
    special: Callable[[BaseException], ServiceError | None] = lambda exc: None


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
    exc: BaseException, where: str | None, errors: SdkErrors
) -> ServiceError | None:
    """The ServiceError for a transport failure anywhere in `exc`'s chain, or None."""
    http = errors.http
    for cause in exception_chain(exc):
        if isinstance(cause, http.ConnectError | http.ConnectTimeout | http.ProxyError):
            return unreachable(where, connect_reason(cause, http))
        if isinstance(cause, http.UnsupportedProtocol):
            return unreachable(where, one_line(str(cause), 120) or "unsupported URL")
        if isinstance(cause, ConnectionRefusedError | socket.gaierror):
            return unreachable(where, connect_reason(cause, http))
        if isinstance(cause, http.TimeoutException | TimeoutError):
            return ServiceError(ErrorKind.TIMEOUT, errors.timeout_message)
        if isinstance(cause, http.TransportError | ConnectionError):
            return ServiceError(ErrorKind.DROPPED, DROPPED_MESSAGE)
    return None


def translate_sdk(
    exc: BaseException, errors: SdkErrors, where: str | None = None, *, model: str | None = None
) -> ServiceError:
    """Map any SDK / transport exception to a `ServiceError` (a ServiceError passes through).

    `where` is the service's base URL, named when it cannot be reached; `model` the model the
    request named, named when the service refuses it."""
    if isinstance(exc, ServiceError):
        return exc
    sdk, http = errors.sdk, errors.http
    if isinstance(exc, sdk.APIStatusError):
        return errors.from_status(exc, exc.status_code, model)
    if isinstance(exc, http.HTTPStatusError):
        return errors.from_status(exc, exc.response.status_code, model)
    transport = transport_error(exc, where, errors)
    if transport is not None:
        return transport
    # The SDK's own errors with no transport cause to read.
    if isinstance(exc, sdk.APITimeoutError):
        return ServiceError(ErrorKind.TIMEOUT, errors.timeout_message)
    if isinstance(exc, sdk.APIConnectionError):
        return unreachable(where, "connection failed")
    if isinstance(exc, sdk.APIResponseValidationError):
        return ServiceError(ErrorKind.UNKNOWN, errors.unreadable_message)
    special = errors.special(exc)
    if special is not None:
        return special
    if isinstance(exc, errors.base_error):
        text = one_line(str(exc))
        if "api_key" in text and "must be set" in text:
            return ServiceError(ErrorKind.NO_KEY, errors.no_key_message)
        return ServiceError(ErrorKind.UNKNOWN, text or type(exc).__name__)
    return ServiceError(ErrorKind.UNKNOWN, one_line(f"{type(exc).__name__}: {exc}"))


def translatable(exc: BaseException, errors: SdkErrors) -> bool:
    """Whether `exc` is the SDK's, its HTTP library's, or a socket's: what `translate_sdk`
    reads. Anything else is a bug and goes up as it is."""
    http = errors.http
    return isinstance(
        exc,
        errors.base_error | http.HTTPError | http.StreamError | ConnectionError | TimeoutError,
    )


@contextmanager
def sdk_service_errors(
    errors: Callable[[], SdkErrors], where: str | None = None, *, model: str | None = None
) -> Iterator[None]:
    """Inside this block, SDK and transport exceptions come out as `ServiceError`.

    `errors` gives the SDK's `SdkErrors` (called only when something was raised, so the SDK
    is imported only by a service that uses it). `where` (the base URL) is named when the
    service cannot be reached, `model` when the service refuses the model the request named.
    The original exception is dropped (`from None`): its text may quote request headers, and
    nothing above this layer should need it.
    """
    try:
        yield
    except ServiceError:
        raise
    except Exception as exc:
        known = errors()
        if not translatable(exc, known):
            raise
        raise translate_sdk(exc, known, where, model=model) from None
