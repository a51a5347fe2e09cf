"""The openai SDK's exceptions (and httpx2's, mid-stream) as tuner's `ServiceError`.

The reading is shared with the other Stainless-generated SDK (`tuner.api.sdk_errors`); what is
OpenAI's here: its status answers go through the shared `status_error` as they are, and its
wording names "the service" (OpenAI, Azure OpenAI or a compatible host).

`openai` and `httpx2` are imported when an exception is read: importing this module stays cheap.
"""

from __future__ import annotations

import functools
from contextlib import AbstractContextManager
from typing import Any

from tuner.api.errors import NO_KEY_MESSAGE, ServiceError, body_message, status_error
from tuner.api.sdk_errors import SdkErrors, sdk_service_errors, translate_sdk

TIMEOUT_MESSAGE = "The service did not answer in time (timeout)"


def _status_error(exc: Any, status: int, model: str | None) -> ServiceError:
    message = body_message(getattr(exc, "body", None)) or str(getattr(exc, "message", "") or exc)
    headers = getattr(getattr(exc, "response", None), "headers", None)
    code = getattr(exc, "code", None)
    return status_error(status, message, code=code, headers=headers, model=model)


@functools.cache
def openai_errors() -> SdkErrors:
    import httpx2
    import openai

    return SdkErrors(
        sdk=openai,
        http=httpx2,
        base_error=openai.OpenAIError,
        from_status=_status_error,
        timeout_message=TIMEOUT_MESSAGE,
        unreadable_message="The service sent a response tuner cannot read",
        no_key_message=NO_KEY_MESSAGE,
    )


def translate(
    exc: BaseException, where: str | None = None, *, model: str | None = None
) -> ServiceError:
    """Map any openai SDK / transport exception to a `ServiceError` (see `translate_sdk`)."""
    return translate_sdk(exc, openai_errors(), where, model=model)


def service_errors(
    where: str | None = None, *, model: str | None = None
) -> AbstractContextManager[None]:
    """Inside this block, openai SDK and transport exceptions come out as `ServiceError`."""
    return sdk_service_errors(openai_errors, where, model=model)
