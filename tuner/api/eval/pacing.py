"""How many requests to one model are in flight: as many as asked, fewer while it says "slow down".

An evaluation sends hundreds of requests. Eight at a time per model keeps a run short; but a
service with a rate limit answers 429 with `Retry-After`, and hammering it then only earns more
429s. So the limit behaves like TCP's congestion window: a 429 halves it and holds every new
request until the time the service named has passed; each run of successes as long as the
limit raises it by one again, up to the ceiling the user chose.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class AdaptiveLimit:
    """A semaphore whose size follows the service's answers. `clock` and `sleep` are the real
    ones unless a test passes its own."""

    def __init__(
        self,
        ceiling: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if ceiling < 1:
            raise ValueError("at least one request must be allowed in flight")
        self.ceiling = ceiling
        self.limit = ceiling
        self.in_flight = 0
        self._clock = clock
        self._sleep = sleep
        self._resume_at = 0.0
        self._successes = 0
        self._changed = asyncio.Condition()

    @property
    def paused_for(self) -> float:
        """Seconds left before new requests may start (0 when they may)."""
        return max(0.0, self._resume_at - self._clock())

    async def acquire(self) -> None:
        """Wait for a free place and for any pause the service asked for to end."""
        while True:
            async with self._changed:
                wait = self._resume_at - self._clock()
                if wait <= 0:
                    if self.in_flight < self.limit:
                        self.in_flight += 1
                        return
                    await self._changed.wait()
                    continue
            await self._sleep(wait)

    async def release(self, *, throttled_for: float | None = None) -> None:
        """Give the place back. `throttled_for`: the request was refused with 429 and the service
        asked for that many seconds of quiet (0 when it named none)."""
        async with self._changed:
            self.in_flight -= 1
            if throttled_for is not None:
                self.limit = max(1, self.limit // 2)
                self._successes = 0
                self._resume_at = max(self._resume_at, self._clock() + throttled_for)
            else:
                self._successes += 1
                if self.limit < self.ceiling and self._successes >= self.limit:
                    self.limit += 1
                    self._successes = 0
            self._changed.notify_all()
