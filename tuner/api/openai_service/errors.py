"""The openai SDK's exceptions (and httpx2's, mid-stream) as tuner's `ServiceError`.

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
)


def _status_error(exc: Any, status: int) -> ServiceError:
    message = body_message(getattr(exc, "body", None)) or str(getattr(exc, "message", "") or exc)
    headers = getattr(getattr(exc, "response", None), "headers", None)
    return status_error(status, message, code=getattr(exc, "code", None), headers=headers)


def translate(exc: BaseException) -> ServiceError:
    """Map any SDK / transport exception to a `ServiceError` (a ServiceError passes through)."""
    if isinstance(exc, ServiceError):
        return exc
    import httpx2
    import openai

    if isinstance(exc, openai.APITimeoutError | httpx2.TimeoutException | TimeoutError):
        return ServiceError(ErrorKind.TIMEOUT, "The service did not answer in time (timeout)")
    if isinstance(exc, openai.APIConnectionError | httpx2.TransportError):
        return ServiceError(
            ErrorKind.CONNECTION,
            "Cannot reach the service (connection refused or dropped)",
        )
    if isinstance(exc, openai.APIStatusError):
        return _status_error(exc, exc.status_code)
    if isinstance(exc, httpx2.HTTPStatusError):
        return _status_error(exc, exc.response.status_code)
    if isinstance(exc, openai.APIResponseValidationError):
        return ServiceError(ErrorKind.UNKNOWN, "The service sent a response tuner cannot read")
    if isinstance(exc, ConnectionError):
        return ServiceError(ErrorKind.CONNECTION, f"Connection failed: {one_line(str(exc))}")
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
def service_errors() -> Iterator[None]:
    """Inside this block, SDK and transport exceptions come out as `ServiceError`.

    The original is dropped (`from None`): its text may quote request headers, and nothing above
    this layer should need it.
    """
    try:
        yield
    except ServiceError:
        raise
    except Exception as exc:
        if not _translatable(exc):
            raise
        raise translate(exc) from None
