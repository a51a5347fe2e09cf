"""How the emulator's models behave beyond their words: latency, rate limits, the judge's bias.

Set on the `Emulator` (and `tuner emulator --latency S --rpm N`) for benchmarks and tests:

- `latency`: real seconds each chat reply and each embeddings request takes before its answer
  starts (not divided by the simulated clock's speed), slept by the request's own thread, so
  requests in flight overlap as they do on a real service.
- `rpm`: requests per minute per API key and model on the chat and embeddings endpoints; one
  more is answered 429 with `Retry-After` in the service's error shape (`rate_limit`).
- `position_bias`: overlap points the judge adds to reply A of a pairwise comparison (0: none);
  see `judge`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .rate_limit import RateLimiter


@dataclass
class Knobs:
    latency: float = 0.0
    limiter: RateLimiter | None = None
    position_bias: float = 0.0

    def __post_init__(self) -> None:
        if self.latency < 0:
            raise ValueError("latency must not be negative")

    def admit(self, dialect: str, key: str, model: str) -> float | None:
        """None if the request may go now, else the seconds to wait (see `RateLimiter`)."""
        if self.limiter is None:
            return None
        return self.limiter.admit((dialect, key, model))

    def pause(self) -> None:
        """Take the reply's latency (call outside any lock)."""
        if self.latency > 0:
            time.sleep(self.latency)
