"""The together SDK's exceptions (and httpx's, mid-stream or mid-upload) as tuner's `ServiceError`.

The SDK is Stainless-generated like openai's, so the shapes match: `APIStatusError` (with
`status_code`, `body` and the response's headers), `APITimeoutError`, `APIConnectionError`
(raised `from` the httpx exception that caused it), and plain httpx exceptions while a stream is
read or an upload's bytes go out. Status errors go through the shared
`tuner.api.errors.status_error`, so a 429 or a 5xx reads the same whichever service said it;
three things are Together's own:

- a 401 names `TOGETHER_API_KEY` (the shared wording names OpenAI's variable);
- Together words a model it will not serve or train in its own way ("Unable to access model X",
  "Model X is not supported for fine-tuning"): those are `MODEL_UNAVAILABLE` too;
- the shared wording of a closed-fine-tuning refusal carries advice about OpenAI's wind-down,
  which would be wrong here: Together's refusal is said in its own words only.

Transport failures are told apart as for OpenAI, by the shared reading in `tuner.api.sdk_errors`:
never connected is `CONNECTION` ("Cannot reach URL (why)"), connected and then lost is
`DROPPED`, slow is `TIMEOUT`. One exception is Together's own: an error event inside a stream
(`APIError` with no status), said in Together's words.

`together` and `httpx` are imported inside the functions: importing this module stays cheap.
"""

from __future__ import annotations

import functools
from contextlib import AbstractContextManager
from typing import Any

from tuner.api.errors import (
    ErrorKind,
    ServiceError,
    body_message,
    one_line,
    status_error,
)
from tuner.api.providers.together.client import KEY_VARIABLE, NO_KEY_MESSAGE
from tuner.api.sdk_errors import SdkErrors, sdk_service_errors, translate_sdk

TIMEOUT_MESSAGE = "Together did not answer in time (timeout)"

# Together's words for a model it will not train or serve (lower case), beyond the shared table.
_MODEL_PHRASES = (
    "unable to access model",
    "not supported for fine-tuning",
    "is not available for fine-tuning",
    "model not found",
)


def _code(body: Any) -> str | None:
    """The error code of an error body: `{"error": {"code": ...}}` or `{"code": ...}`."""
    if isinstance(body, dict):
        inner = body.get("error") if isinstance(body.get("error"), dict) else body
        code = inner.get("code")
        if isinstance(code, str) and code:
            return code
    return None


def status_error_for(
    status: int, message: str, *, code: str | None, headers: Any, model: str | None
) -> ServiceError:
    """The `ServiceError` for Together's HTTP error answer (see the module docstring)."""
    message = one_line(message)
    if status == 401:
        return ServiceError(
            ErrorKind.AUTH,
            f"Together rejected the API key (401): {message} — check {KEY_VARIABLE} "
            "or the profile's key",
            status=status,
            code=code,
        )
    error = status_error(status, message, code=code, headers=headers, model=model)
    if error.kind is ErrorKind.FINE_TUNING_CLOSED:
        said = f"Together refused a new fine-tuning job: {message}"
        return ServiceError(error.kind, said, status=status, code=code)
    if (
        error.kind is not ErrorKind.MODEL_UNAVAILABLE
        and 400 <= status < 500
        and status != 429
        and any(phrase in message.lower() for phrase in _MODEL_PHRASES)
    ):
        named = f"{model} is not available on Together" if model else "Model not available"
        text = message if message.endswith((".", "!", "?")) else f"{message}."
        return ServiceError(
            ErrorKind.MODEL_UNAVAILABLE,
            f"{named}: {text} Pick a current model.",
            status=status,
            code=code,
        )
    return error


def _from_status_exception(exc: Any, status: int, model: str | None) -> ServiceError:
    body = getattr(exc, "body", None)
    message = body_message(body) or str(getattr(exc, "message", "") or exc)
    headers = getattr(getattr(exc, "response", None), "headers", None)
    return status_error_for(status, message, code=_code(body), headers=headers, model=model)


def _stream_error(exc: BaseException) -> ServiceError | None:
    """An error event inside a stream: the service's own message, no status to go by."""
    import together

    if isinstance(exc, together.APIError) and not isinstance(exc, together.APIStatusError):
        said = body_message({"error": exc.body}) or exc.message
        return ServiceError(ErrorKind.SERVER, f"Together reported an error: {one_line(said)}")
    return None


@functools.cache
def together_errors() -> SdkErrors:
    import httpx
    import together

    return SdkErrors(
        sdk=together,
        http=httpx,
        base_error=together.TogetherError,
        from_status=_from_status_exception,
        timeout_message=TIMEOUT_MESSAGE,
        unreadable_message="Together sent a response tuner cannot read",
        no_key_message=NO_KEY_MESSAGE,
        special=_stream_error,
    )


def translate(
    exc: BaseException, where: str | None = None, *, model: str | None = None
) -> ServiceError:
    """Map any together SDK / transport exception to a `ServiceError` (see `translate_sdk`)."""
    return translate_sdk(exc, together_errors(), where, model=model)


def service_errors(
    where: str | None = None, *, model: str | None = None
) -> AbstractContextManager[None]:
    """Inside this block, together SDK and transport exceptions come out as `ServiceError`."""
    return sdk_service_errors(together_errors, where, model=model)
