"""One request of an evaluation, asked once: from the reply cache, or from the model with retries.

An evaluation must not stop because one of four hundred requests met a 502, and must not pay
twice for a reply it already has. `ask` looks the request up in the `ReplyCache` first; otherwise
it waits for a place under the model's `AdaptiveLimit`, asks, and stores the reply before
returning it. A 429 gives the place back with the service's `Retry-After` (which pauses the
model's other requests too) and asks again; a 5xx, a timeout or a dropped connection is retried
with backoff a few times, then the example is reported as failed. A refusal that no retry can
change for any example (no key, a wrong key, a model that does not exist or was retired) is
`ModelUnusable`: the caller stops asking that model at all instead of failing every example.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from tuner.api.chat.request import ChatRequest
from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.eval.reply_cache import CachedReply, ReplyCache, reply_key
from tuner.api.retry import RetryPolicy

if TYPE_CHECKING:
    from tuner.api.eval.pacing import AdaptiveLimit
    from tuner.api.service import FineTuningService

# Failures that say the same for every request to this model: stop asking it.
MODEL_FATAL = frozenset(
    {
        ErrorKind.NO_KEY,
        ErrorKind.AUTH,
        ErrorKind.PERMISSION,
        ErrorKind.NOT_FOUND,
        ErrorKind.MODEL_UNAVAILABLE,
        ErrorKind.FINE_TUNING_CLOSED,
    }
)
# How often one request may be refused with 429 before its example counts as failed: enough
# to ride out a long rate-limited stretch, not so many that a run never ends.
MAX_THROTTLES = 30
DEFAULT_POLICY = RetryPolicy(attempts=4, base=1.0, cap=20.0)

T = TypeVar("T")


class ModelUnusable(Exception):
    """No request to this model can succeed (`error` says why, in the service's words);
    `label` names the model once a caller that knows it has said (`MODEL@PROFILE`)."""

    def __init__(self, error: ServiceError, label: str | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.label = label


@dataclass(frozen=True)
class Answer:
    """A model's reply to one request, with what it cost and whether it came from the cache."""

    text: str
    prompt_tokens: int | None
    completion_tokens: int | None
    latency: float
    cached: bool = False


def request_key(service_id: str, request: ChatRequest) -> str:
    """The reply cache's key for `request` on the service `service_id`."""
    return reply_key(service_id, request.model, request.api_messages(), request.request_options())


async def paced(
    limit: AdaptiveLimit,
    call: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> tuple[T, float]:
    """`call()`'s result and the seconds it took, asked under `limit` with retries.

    Raises `ServiceError` when the request keeps failing (its example is failed) and
    `ModelUnusable` when no request to the model can succeed."""
    attempt = throttles = 0
    while True:
        await limit.acquire()
        started = time.monotonic()
        try:
            result = await call()
        except ServiceError as error:
            if error.kind is ErrorKind.RATE_LIMITED:
                wait = error.retry_after if error.retry_after is not None else policy.delay(0)
                await limit.release(throttled_for=min(wait, policy.max_retry_after))
                throttles += 1
                if throttles >= MAX_THROTTLES:
                    raise
                continue
            await limit.release()
            if error.kind in MODEL_FATAL:
                raise ModelUnusable(error) from None
            if not error.retryable or policy.gives_up(attempt):
                if error.kind is ErrorKind.CONNECTION:
                    raise ModelUnusable(error) from None
                raise
            await sleep(policy.delay(attempt, error))
            attempt += 1
            continue
        except BaseException:
            await limit.release()
            raise
        latency = time.monotonic() - started
        await limit.release()
        return result, latency


async def ask(
    service: FineTuningService,
    request: ChatRequest,
    *,
    service_id: str,
    limit: AdaptiveLimit,
    cache: ReplyCache | None,
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> Answer:
    """`request`'s reply: cached, or asked under `limit` with retries (`paced`), then cached.

    `service_id` names the service in the cache key (its kind and address; never a key)."""
    key = request_key(service_id, request)
    if cache is not None and (hit := cache.get(key)) is not None:
        return Answer(hit.text, hit.prompt_tokens, hit.completion_tokens, hit.latency, True)
    done, latency = await paced(
        limit, lambda: service.complete_chat(request), policy=policy, sleep=sleep
    )
    if cache is not None:
        saved = CachedReply(done.text, done.prompt_tokens, done.completion_tokens, latency)
        cache.put(key, saved)
    return Answer(done.text, done.prompt_tokens, done.completion_tokens, latency)
