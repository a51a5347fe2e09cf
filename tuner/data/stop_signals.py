"""SIGTERM and SIGHUP end a command the way ctrl-c does: its clean-up runs, then it exits.

A terminal closed under a running `tuner backup` (SIGHUP) or a `kill` (SIGTERM) would otherwise
end the process at once, leaving a half-downloaded temporary file behind. While a command runs
inside `stop_signals_raise()`, those signals raise `Stopped` in the main thread instead, so the
same `except` / `finally` clean-up that a ctrl-c or an error runs removes what was half made.
The command then reports the stop and exits with 128 + the signal's number, as a shell does
(`stopped_code`).

`Stopped` is a `SystemExit`: asyncio lets that through its event loop (any other exception
raised inside one of the loop's callbacks is logged and dropped), and `asyncio.run` then
cancels the command's task, whose clean-up runs before `Stopped` reaches the command.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

# The signals that end a command cleanly (SIGINT already raises KeyboardInterrupt).
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Stopped(SystemExit):
    """A stop signal arrived (`signum`); no `except Exception` swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signum = signum

    @property
    def name(self) -> str:
        """`SIGTERM`, `SIGHUP`."""
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        """128 + the signal's number, as a shell reports a process that a signal ended."""
        return 128 + self.signum


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    raise Stopped(signum)


@contextlib.contextmanager
def stop_signals_raise() -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP raise `Stopped`; the previous handlers come back after.

    Only the main thread may set handlers; elsewhere (a test's thread) nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _raise_stopped) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
