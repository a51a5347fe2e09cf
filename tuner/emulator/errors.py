"""Errors in the service's wire shape: `{"error": {"message", "type", "param", "code"}}`.

Handlers raise `ApiError`; the server turns it into the HTTP status and JSON body, so
every refusal reaches the SDK exactly as the real service's would (and becomes the SDK's
`BadRequestError`, `NotFoundError`, `RateLimitError`, ...).
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error response: HTTP status, the four error fields and any extra headers."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


def invalid_request(message: str, *, param: str | None = None, code: str | None = None) -> ApiError:
    """400: the request is malformed or refers to something unusable."""
    return ApiError(400, message, param=param, code=code)


def not_found(message: str, *, param: str | None = None, code: str | None = None) -> ApiError:
    """404: no such object (or no such route)."""
    return ApiError(404, message, param=param, code=code)


def model_not_found(model: str) -> ApiError:
    """404 for an unknown model, worded as the service words it."""
    return ApiError(
        404,
        f"The model `{model}` does not exist or you do not have access to it.",
        code="model_not_found",
    )


def invalid_api_key(provided: bool) -> ApiError:
    """401. The key itself is never echoed back, not even redacted."""
    if provided:
        message = (
            "Incorrect API key provided. You can find your API key at "
            "https://platform.openai.com/account/api-keys."
        )
    else:
        message = (
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
        )
    return ApiError(401, message, code="invalid_api_key")
