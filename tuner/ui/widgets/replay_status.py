"""The chat screen's replay line: which prompt file, which line, its state, and the keys that apply.

A long replay is something to watch: `line 4 of 10 · running · ctrl+g pause …`, or while a line
is retried after a 429, why and when the next try comes. The widget keeps that progress itself,
from the replay's events (the first model's, when comparing), so the screen only forwards them.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from tuner.api.chat.compare import ReplayGroup
from tuner.api.chat.replay import (
    LineFailed,
    LineFinished,
    LineRetrying,
    LineSkipped,
    LineStarted,
    LineStopped,
    ReplayEvent,
    ReplayState,
)
from tuner.data.wording import plural
from tuner.ui.outside import outside_line

KEYS = {
    ReplayState.READY: "ctrl+g run · ctrl+n step",
    ReplayState.RUNNING: "ctrl+g pause · ctrl+s skip · esc stop",
    ReplayState.PAUSED: "ctrl+g run · ctrl+n step · ctrl+s skip · esc stop",
    ReplayState.STOPPED: "ctrl+r replays again",
}


class ReplayStatus(Static):
    """One line under the conversation; empty when no prompt file is loaded."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.replay: ReplayGroup | None = None
        self.file: Path | None = None
        self.progress = ""

    def load(self, replay: ReplayGroup | None, file: Path | None) -> None:
        """Show `replay` (of `file`) from now on; None clears the line."""
        self.replay, self.file, self.progress = replay, file, ""
        self.redraw()

    def note(self, text: str) -> None:
        """A transient word about the replay in flight (e.g. "pausing after this line")."""
        self.progress = f"{self.progress} · {text}".strip(" ·")
        self.redraw()

    def hear(self, event: ReplayEvent) -> None:
        """Progress from one of the replay's events."""
        if isinstance(event, LineStarted):
            self.progress = f"line {event.index + 1} of {event.total}"
        elif isinstance(event, LineRetrying):
            self.progress = (
                f"line {event.index + 1}: {event.error.message} · "
                f"retry {event.attempt} in {event.delay:.1f}s"
            )
        elif isinstance(event, LineFinished | LineFailed | LineSkipped | LineStopped):
            total = self.replay.total if self.replay else 0
            self.progress = f"line {min(event.index + 2, total)} of {total}"
        self.redraw()

    def settled(self) -> None:
        """The worker driving the replay stopped: a finished replay shows its outcome."""
        if self.replay is not None and self.replay.state in (ReplayState.DONE, ReplayState.STOPPED):
            self.progress = ""
        self.redraw()

    def redraw(self) -> None:
        self.update(outside_line(self.text()))

    def text(self) -> str:
        replay, file = self.replay, self.file
        if replay is None or file is None:
            return self.progress
        state = replay.state
        if state is ReplayState.DONE:
            failed = len(replay.failed_lines())
            tail = f" · {failed:,} failed" if failed else ""
            return f"replay {file.name}: done, {plural(replay.total, 'line')}{tail}"
        where = self.progress or f"line {min(replay.position + 1, replay.total)} of {replay.total}"
        return f"replay {file.name} · {where} · {state.value} · {KEYS[state]}"
