"""The simulated clock: real time multiplied by `speed`, plus manual `advance` steps.

Every simulated duration in the emulator (validation, queueing, training steps, stream
pacing) is measured on this clock, so `speed=500` makes a one-minute job take a tenth of
a second of real time, and `advance()` lets a test jump ahead without waiting at all.
`start_time` dates the whole simulation: a snapshot test pins it so every timestamp is the same
on each run, and a catalog test sets "today" to check which models are retired.
"""

from __future__ import annotations

import threading
import time


class SimClock:
    """Unix time in simulated seconds, from `start_time` (default: the real time now)."""

    def __init__(self, speed: float = 1.0, start_time: float | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self.start_time = time.time() if start_time is None else float(start_time)
        self._start_mono = time.monotonic()
        self._advanced = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """The current simulated unix time, in (fractional) seconds."""
        with self._lock:
            advanced = self._advanced
        return self.start_time + (time.monotonic() - self._start_mono) * self.speed + advanced

    def advance(self, seconds: float) -> None:
        """Move simulated time forward instantly (never backward)."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._advanced += seconds

    def real_seconds(self, simulated: float) -> float:
        """How long a simulated duration takes in real time (for sleeps)."""
        return simulated / self.speed
