"""Exponential backoff with jitter that honours Retry-After: shared by the follower and replay.

Both need to retry visibly (a UI shows "reconnecting… attempt 3"), which the SDK's internal
retries cannot report, so they turn those off and use this policy instead.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from tuner.api.errors import ServiceError


@dataclass(frozen=True)
class RetryPolicy:
    """`attempts` tries in all (None: forever). Delay = base x 2^n, capped, ±jitter fraction."""

    attempts: int | None = 5
    base: float = 1.0
    cap: float = 30.0
    jitter: float = 0.2
    # Server-sent Retry-After is obeyed but bounded, so a bogus hour-long value cannot hang us.
    max_retry_after: float = 120.0

    def delay(self, attempt: int, error: ServiceError | None = None) -> float:
        """Seconds to wait before retry number `attempt` (0-based)."""
        delay = min(self.cap, self.base * (2**attempt))
        if self.jitter:
            delay *= 1 + random.uniform(-self.jitter, self.jitter)
        if error is not None and error.retry_after is not None:
            delay = max(delay, min(error.retry_after, self.max_retry_after))
        return max(0.0, delay)

    def gives_up(self, attempt: int) -> bool:
        """True when retry number `attempt` (0-based) would exceed the allowed attempts."""
        return self.attempts is not None and attempt + 1 >= self.attempts

    def scaled(self, factor: float) -> RetryPolicy:
        """The same policy on a faster clock (tests)."""
        return replace(self, base=self.base * factor, cap=self.cap * factor)
