"""Together's refusals, worded as the service words them.

Together answers errors in the same body shape as OpenAI (`{"error": {"message", "type",
"param", "code"}}`, the OpenAPI's `ErrorData`), so the shared `ApiError` carries them; only the
wording and codes differ, and they live here.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from ..errors import ApiError


class TogetherApiError(ApiError):
    """An `ApiError` whose body carries extra top-level fields (e.g. a 409's `file_id`)."""

    def __init__(self, status: int, message: str, *, extra: dict[str, Any], **fields: Any) -> None:
        super().__init__(status, message, **fields)
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {**self.extra, **super().body()}


class StorageError(ApiError):
    """A refusal from the storage behind a presigned URL, which answers as S3 does: an XML
    `<Error>` document, not Together's JSON (`xml()`)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, message, code=code)

    def xml(self) -> bytes:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{escape(self.code or '')}</Code>"
            f"<Message>{escape(self.message)}</Message></Error>"
        ).encode()


def entity_too_large(size: int, limit: int) -> StorageError:
    """S3's answer to a PUT over the object size it takes: 400 `EntityTooLarge`, decided from
    the declared length before the body is read."""
    return StorageError(
        400,
        "EntityTooLarge",
        f"Your proposed upload exceeds the maximum allowed size ({size} bytes; at most {limit}).",
    )


def access_denied() -> StorageError:
    """S3's answer to a presigned URL it does not know (or that has expired)."""
    return StorageError(403, "AccessDenied", "The presigned URL is invalid or has expired.")


def invalid_api_key() -> ApiError:
    """401, in the words the service uses (the key itself is never echoed)."""
    return ApiError(
        401,
        "Invalid API key provided. You can find your API key at "
        "https://api.together.xyz/settings/api-keys.",
        code="invalid_api_key",
    )


def model_not_found(model: str) -> ApiError:
    """404 for a chat with a model the account cannot reach."""
    return ApiError(
        404,
        f"Unable to access model {model}. Please visit https://api.together.xyz to see the "
        "list of supported models or contact the owner to request access.",
        code="model_not_found",
    )


def invalid(message: str, param: str | None = None) -> ApiError:
    """400: a malformed request or an unusable value."""
    return ApiError(400, message, param=param)


def not_found(message: str) -> ApiError:
    return ApiError(404, message, code="not_found")


def file_already_exists(file_id: str) -> ApiError:
    """409 naming the file that holds the same bytes; the SDK then retrieves that file.

    `x-should-retry: false` keeps the SDK from retrying it as it retries other 409s.
    """
    return TogetherApiError(
        409,
        f"A file with the same content already exists: {file_id}",
        extra={"file_id": file_id},
        code="file_already_exists",
        headers={"x-should-retry": "false"},
    )


def job_not_found(job_id: str) -> ApiError:
    return not_found(f"Fine-tune job {job_id} not found")


def file_not_found(file_id: str) -> ApiError:
    return not_found(f"File {file_id} not found")
