"""Requests per minute per API key and model, as the services limit them: a sliding window.

Each (key, model) keeps the times of its requests admitted in the last `window` seconds; one
more than `rpm` in the window is refused with the seconds until the oldest leaves it, which the
caller sends as `Retry-After`. The clock is the real one (monotonic) unless a test gives one it
can move by hand, so a test of the limit never depends on how fast the machine is.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable

WINDOW_SECONDS = 60.0


class RateLimiter:
    """`rpm` requests per `window` seconds for each bucket (a key and a model)."""

    def __init__(
        self,
        rpm: int,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rpm < 1:
            raise ValueError("rpm must be at least 1")
        self.rpm = rpm
        self.window = window
        self.clock = clock
        self._admitted: dict[Hashable, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, bucket: Hashable) -> float | None:
        """None if a request in `bucket` may go now (and it is counted), else the seconds to
        wait before one may."""
        with self._lock:
            now = self.clock()
            times = self._admitted.setdefault(bucket, deque())
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) >= self.rpm:
                return max(0.001, times[0] + self.window - now)
            times.append(now)
            return None


def retry_headers(wait: float, rpm: int) -> dict[str, str]:
    """The headers of a 429: `Retry-After` in whole seconds (rounded up, as HTTP has it) and
    `retry-after-ms` exactly, which the SDKs read first, and the limit that was hit."""
    return {
        "Retry-After": str(max(1, math.ceil(wait))),
        "retry-after-ms": str(max(1, math.ceil(wait * 1000))),
        "x-ratelimit-limit-requests": str(rpm),
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": f"{wait:.3f}s",
    }
