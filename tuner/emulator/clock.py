"""The emulator's clock: the time it reports, and how fast simulated work goes on it.

Every simulated duration in the emulator (validation, queueing, training steps, stream pacing)
is given in simulated seconds. `speed` compresses them: at `speed=500` a one-minute job takes a
tenth of a second of real time. Above 1 the clock itself keeps the wall clock's pace and the
*work* is compressed (`work_speed`): every time the emulator reports (a job's `created_at`, an
event's) is at or before the real now, as a service's are, instead of running ahead of it (at
speed 500 a clock that ran 500 times too fast dated a job created after two seconds a quarter
of an hour in the future). Below 1 the clock itself slows down, so a test can hold a job still
and `advance()` it by hand, which moves the clock (and any work) forward at once.

`start_time` dates the whole simulation: a snapshot test pins it so every timestamp is the same
on each run, and a catalog test sets "today" to check which models are retired.
"""

from __future__ import annotations

import threading
import time


class SimClock:
    """Unix time in seconds, from `start_time` (default: the real time now)."""

    def __init__(self, speed: float = 1.0, start_time: float | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self.start_time = time.time() if start_time is None else float(start_time)
        self._start_mono = time.monotonic()
        self._advanced = 0.0
        self._lock = threading.Lock()

    @property
    def work_speed(self) -> float:
        """Simulated seconds of work done per second of this clock: `speed` above 1 (the
        clock keeps real time, the work goes faster), else 1 (the clock itself is slowed)."""
        return max(self.speed, 1.0)

    def now(self) -> float:
        """The current time, unix seconds (fractional): never ahead of the real time unless
        the clock started ahead of it or was `advance`d."""
        with self._lock:
            advanced = self._advanced
        pace = min(self.speed, 1.0)
        return self.start_time + (time.monotonic() - self._start_mono) * pace + advanced

    def work_seconds(self, simulated: float) -> float:
        """How long `simulated` seconds of work take on this clock."""
        return simulated / self.work_speed

    def advance(self, seconds: float) -> None:
        """Move the clock forward instantly (never backward)."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._advanced += seconds

    def real_seconds(self, simulated: float) -> float:
        """How long a simulated duration takes in real time (for sleeps)."""
        return simulated / self.speed
