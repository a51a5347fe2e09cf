"""One error type for everything the service can do wrong, in words a person can act on.

Each SDK raises a dozen exception classes (and its HTTP library a few more mid-stream). Screens
and commands should not care: every service implementation turns them into a `ServiceError` with
a `kind`, a short `message`, the HTTP `status` and whether retrying can help. Refusals caused
by OpenAI closing fine-tuning, or by a retired base model, are recognised from a small table of
codes and phrases: OpenAI closing fine-tuning gets a pointer to profiles for other services, a
retired or unknown model the advice to pick a current one (never the wind-down advice: a typo in
a model name is not a reason to leave the service).

Keys never reach a message: every message is scrubbed of registered secrets and key-like tokens.
Nothing here knows an SDK: each service implementation translates its SDK's exceptions (see
`tuner.api.providers.openai.errors`) into `ServiceError` through `status_error`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any

from tuner.config.urls import shown_url


class ErrorKind(StrEnum):
    NO_KEY = "no_key"
    AUTH = "auth"
    PERMISSION = "permission"
    NOT_FOUND = "not_found"
    RATE_LIMITED = "rate_limited"
    SERVER = "server"
    TIMEOUT = "timeout"
    # Never connected (refused, unknown host, no answer to connect): the service is unreachable.
    CONNECTION = "connection"
    # Connected, then the connection was lost before the reply was complete: the service is
    # there (it answered), so this is retried like a 5xx, never read as "unreachable".
    DROPPED = "dropped"
    INVALID_REQUEST = "invalid_request"
    # The service closed fine-tuning itself (OpenAI's wind-down): another service is the way on.
    FINE_TUNING_CLOSED = "fine_tuning_closed"
    # This one model cannot be used: retired, misspelled, or not offered to this account.
    MODEL_UNAVAILABLE = "model_unavailable"
    MODEL_RETIRED = "model_unavailable"  # the old name, kept for callers not yet renamed
    UNKNOWN = "unknown"


RETRYABLE_KINDS = frozenset(
    {
        ErrorKind.RATE_LIMITED,
        ErrorKind.SERVER,
        ErrorKind.TIMEOUT,
        ErrorKind.CONNECTION,
        ErrorKind.DROPPED,
    }
)

PROFILE_HINT = (
    "to use another OpenAI-compatible service, set base_url in a profile "
    "(tuner settings, or [profiles.NAME] in settings.toml)"
)


class ServiceError(Exception):
    """What went wrong talking to the service. `str()` is `message`: one line, no key, no trace."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        code: str | None = None,
    ) -> None:
        message = scrub(message)
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.retry_after = retry_after
        self.code = code

    @property
    def retryable(self) -> bool:
        """True when the same request may succeed later (429, 5xx, timeouts, dropped sockets)."""
        return self.kind in RETRYABLE_KINDS

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        kind, status = self.kind.value, self.status
        return f"ServiceError(kind={kind!r}, status={status!r}, message={self.message!r})"


DROPPED_MESSAGE = "The connection dropped before the reply was complete"


def unreachable(where: str | None, reason: str) -> ServiceError:
    """The error for a service that could not be connected to: names the URL (never a user
    name or password in it) and why."""
    target = shown_url(where) if where else "the service"
    return ServiceError(ErrorKind.CONNECTION, f"Cannot reach {target} ({reason})")


# --------------------------------------------------------------------------- scrubbing

_registered_secrets: set[str] = set()
# Key-shaped tokens: OpenAI keys ("sk-" + long tail) and bearer tokens echoed back by a server.
_KEY_PATTERNS = (
    re.compile(r"\bsk-[A-Za-z0-9_\-*.]{6,}"),
    re.compile(r"(?i)(bearer\s+)[^\s\"',;]+"),
    # `api_key="..."` / `api-key: ...` with a value of key length (not "API key: set it").
    re.compile(r"(?i)(api[-_ ]?key[\"']?\s*[:=]\s*[\"']?)[^\s\"',;]{8,}"),
)


def register_secret(value: str | None) -> None:
    """Remember a key so every later error message is scrubbed of it (the client factory calls)."""
    if value and len(value) >= 4:
        _registered_secrets.add(value)


def scrub_known(text: str) -> str:
    """`text` with every registered key replaced by ****; other text untouched (user content)."""
    for secret in sorted(_registered_secrets, key=len, reverse=True):
        text = text.replace(secret, "****")
    return text


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every known key and key-shaped token replaced by ****."""
    # Longest first, so a key that contains another registered key is removed whole.
    for secret in sorted({*_registered_secrets, *secrets}, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "****")
    text = _KEY_PATTERNS[0].sub("****", text)
    for pattern in _KEY_PATTERNS[1:]:
        text = pattern.sub(lambda m: m.group(1) + "****", text)
    return text


# --------------------------------------------------------------------------- refusals


@dataclass(frozen=True)
class RefusalRule:
    """A service refusal recognised by error code or by words in its message (lower case)."""

    kind: ErrorKind
    codes: frozenset[str]
    phrases: tuple[str, ...]

    def matches(self, code: str | None, message: str) -> bool:
        text = message.lower()
        return (code or "").lower() in self.codes or any(p in text for p in self.phrases)


_MODEL_CODES = frozenset(
    {
        "model_retired",
        "model_deprecated",
        "model_decommissioned",
        "model_not_available",
        "model_not_found",
    }
)

# Checked in order; the first match wins. A code that names the model decides first (it is
# the service's own word); then what says fine-tuning itself is closed; then words about one
# model. Extend here when a service words it differently.
REFUSAL_RULES: tuple[RefusalRule, ...] = (
    RefusalRule(ErrorKind.MODEL_UNAVAILABLE, _MODEL_CODES, ()),
    RefusalRule(
        ErrorKind.FINE_TUNING_CLOSED,
        frozenset(
            {
                "fine_tuning_unavailable",
                "fine_tuning_not_available",
                "fine_tuning_closed",
                "fine_tuning_disabled",
            }
        ),
        (
            "fine-tuning is no longer available",
            "fine tuning is no longer available",
            "new fine-tuning jobs are not available",
            "new fine-tuning jobs are no longer available",
            "fine-tuning has been disabled",
            "fine-tuning is closed",
        ),
    ),
    RefusalRule(
        ErrorKind.MODEL_UNAVAILABLE,
        frozenset(),
        (
            "has been retired",
            "was retired",
            "is retired",
            "has been deprecated",
            "has been decommissioned",
            "model is no longer supported",
            "model is not available",
            "not available for fine-tuning",
            "not available for new fine-tuning",
            "no longer available for fine-tuning",
            "model does not exist",
            "or does not exist",
            "does not exist or you do not have access",
        ),
    ),
)


def _classify_refusal(code: str | None, message: str) -> ErrorKind | None:
    for rule in REFUSAL_RULES:
        if rule.matches(code, message):
            return rule.kind
    return None


# --------------------------------------------------------------------------- translation


def one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sentence(text: str) -> str:
    """`text` ending as a sentence does, so that advice can follow it."""
    return text if not text or text[-1] in ".!?" else f"{text}."


def _retry_after(headers: Any) -> float | None:
    """Seconds from `retry-after-ms` or `retry-after` (seconds or an HTTP date); None if absent."""
    if headers is None:
        return None
    try:
        millis = headers.get("retry-after-ms")
        if millis is not None:
            return max(0.0, float(millis) / 1000)
        value = headers.get("retry-after")
        if value is None:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def body_message(body: Any) -> str | None:
    """The message of an error body: `{"error": {"message": ...}}` or `{"message": ...}`."""
    if isinstance(body, dict):
        inner = body.get("error") if isinstance(body.get("error"), dict) else body
        message = inner.get("message")
        if isinstance(message, str) and message:
            return message
    return None


def status_error(
    status: int,
    service_message: str,
    *,
    code: str | None = None,
    headers: Any = None,
    model: str | None = None,
) -> ServiceError:
    """The `ServiceError` for an HTTP error answer: `status`, the service's own message and
    code, and the response headers (for Retry-After). `model` is the model the request named,
    if any, for a refusal of it. Every service implementation uses it, so a 429 or a retired
    model reads the same whichever service said it."""
    service_message = one_line(service_message)
    retry_after = _retry_after(headers)
    if 400 <= status < 500 and status not in (401, 429):
        refusal = _classify_refusal(code, service_message)
        if refusal is ErrorKind.FINE_TUNING_CLOSED:
            return ServiceError(
                refusal,
                f"The service refused a new fine-tuning job: {_sentence(service_message)} "
                f"OpenAI is closing fine-tuning on its own platform; {PROFILE_HINT}.",
                status=status,
                code=code,
            )
        if refusal is ErrorKind.MODEL_UNAVAILABLE:
            named = (
                f"{model} is a retired or unknown model" if model else "Retired or unknown model"
            )
            return ServiceError(
                refusal,
                f"{named}: {_sentence(service_message)} Pick a current model.",
                status=status,
                code=code,
            )
    table: dict[int, tuple[ErrorKind, str]] = {
        401: (ErrorKind.AUTH, "The service rejected the API key (401)"),
        403: (ErrorKind.PERMISSION, "Permission denied (403)"),
        404: (ErrorKind.NOT_FOUND, "Not found (404)"),
        429: (ErrorKind.RATE_LIMITED, "Rate limited (429)"),
    }
    if status in table:
        kind, prefix = table[status]
    elif status >= 500:
        kind, prefix = ErrorKind.SERVER, f"The service failed ({status})"
    elif status in (400, 409, 422):
        kind, prefix = ErrorKind.INVALID_REQUEST, f"The service refused the request ({status})"
    else:
        kind, prefix = ErrorKind.UNKNOWN, f"Unexpected response ({status})"
    message = f"{prefix}: {service_message}" if service_message else prefix
    if kind is ErrorKind.AUTH:
        message += " — check OPENAI_API_KEY or the profile's key"
    if kind is ErrorKind.RATE_LIMITED and retry_after is not None:
        message += f" (retry after {retry_after:g}s)"
    return ServiceError(kind, message, status=status, retry_after=retry_after, code=code)


def os_reason(error: OSError) -> str:
    """An `OSError` in a few lower-case words ("not a directory", "no space left on device"),
    to follow a file or folder name in a one-line message."""
    return (error.strerror or str(error) or type(error).__name__).lower()


NO_KEY_MESSAGE = (
    "No API key. Set OPENAI_API_KEY, or save one for the profile with tuner settings "
    "(stored in secrets.toml, mode 0600)"
)
