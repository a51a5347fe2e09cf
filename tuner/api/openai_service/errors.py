"""The openai SDK's exceptions (and httpx2's, mid-stream) as tuner's `ServiceError`.

Transport failures are told apart by what they mean for the user: a connection that could not be
made (refused, unknown host, no answer to connect) is `CONNECTION`, "Cannot reach URL (why)",
the one failure that says the service is unreachable; a connection that was made and then lost
before the reply was complete is `DROPPED` (the service is there: retry, as for a 5xx); a
connected service that is slow to answer is `TIMEOUT`. The SDK wraps httpx2's exception in its
own (`APIConnectionError`, `APITimeoutError`), so the cause is read from the exception chain.

`openai` and `httpx2` are imported inside the functions: importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tuner.api.errors import (
    NO_KEY_MESSAGE,
    ErrorKind,
    ServiceError,
    body_message,
    one_line,
    status_error,
    unreachable,
)
from tuner.api.transport_errors import transport_error

TIMEOUT_MESSAGE = "The service did not answer in time (timeout)"


def _status_error(exc: Any, status: int, model: str | None) -> ServiceError:
    message = body_message(getattr(exc, "body", None)) or str(getattr(exc, "message", "") or exc)
    headers = getattr(getattr(exc, "response", None), "headers", None)
    code = getattr(exc, "code", None)
    return status_error(status, message, code=code, headers=headers, model=model)


def translate(
    exc: BaseException, where: str | None = None, *, model: str | None = None
) -> ServiceError:
    """Map any SDK / transport exception to a `ServiceError` (a ServiceError passes through).

    `where` is the service's base URL, named when it cannot be reached; `model` the model the
    request named, named when the service refuses it."""
    if isinstance(exc, ServiceError):
        return exc
    import openai

    if isinstance(exc, openai.APIStatusError):
        return _status_error(exc, exc.status_code, model)
    import httpx2

    if isinstance(exc, httpx2.HTTPStatusError):
        return _status_error(exc, exc.response.status_code, model)
    transport = transport_error(exc, where, httpx2, TIMEOUT_MESSAGE)
    if transport is not None:
        return transport
    # The SDK's own errors with no transport cause to read.
    if isinstance(exc, openai.APITimeoutError):
        return ServiceError(ErrorKind.TIMEOUT, TIMEOUT_MESSAGE)
    if isinstance(exc, openai.APIConnectionError):
        return unreachable(where, "connection failed")
    if isinstance(exc, openai.APIResponseValidationError):
        return ServiceError(ErrorKind.UNKNOWN, "The service sent a response tuner cannot read")
    if isinstance(exc, openai.OpenAIError):
        text = one_line(str(exc))
        if "api_key" in text and "must be set" in text:
            return ServiceError(ErrorKind.NO_KEY, NO_KEY_MESSAGE)
        return ServiceError(ErrorKind.UNKNOWN, text or type(exc).__name__)
    return ServiceError(ErrorKind.UNKNOWN, one_line(f"{type(exc).__name__}: {exc}"))


def _translatable(exc: BaseException) -> bool:
    import httpx2
    import openai

    return isinstance(
        exc,
        openai.OpenAIError | httpx2.HTTPError | httpx2.StreamError | ConnectionError | TimeoutError,
    )


@contextmanager
def service_errors(where: str | None = None, *, model: str | None = None) -> Iterator[None]:
    """Inside this block, SDK and transport exceptions come out as `ServiceError`.

    `where` (the base URL) is named when the service cannot be reached, `model` when the service
    refuses the model the request named. The original exception
    is dropped (`from None`): its text may quote request headers, and nothing above this layer
    should need it.
    """
    try:
        yield
    except ServiceError:
        raise
    except Exception as exc:
        if not _translatable(exc):
            raise
        raise translate(exc, where, model=model) from None
