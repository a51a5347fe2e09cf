"""The one-line status of a screen that runs several slow things: what is happening, how far.

Indexing, analysis, search and upload may run at once; the line shows the most important one
(by `order`) with a progress bar, and when nothing runs, the screen's summary (`summary`).
Activities are named, so each worker updates or clears its own without knowing the others.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar

from tuner.ui.outside import outside_line
from tuner.ui.widgets.fitted_line import FittedLine


class ActivityLine(Horizontal):
    """`label  ▇▇▇▇▁▁▁` for the first running activity in `order`, else `summary`."""

    DEFAULT_CSS: ClassVar[str] = """
    ActivityLine { height: 1; background: $panel; }
    ActivityLine > #activity-text { width: 1fr; height: 1; padding: 0 1; }
    ActivityLine > #activity-bar { width: auto; height: 1; padding: 0 1 0 0; }
    """

    def __init__(
        self, order: tuple[str, ...], hints: dict[str, str] | None = None, *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.order = order
        self.hints = hints or {}
        self.summary = ""
        self._activities: dict[str, tuple[str, float, float]] = {}

    def compose(self) -> ComposeResult:
        yield FittedLine(id="activity-text")
        yield ProgressBar(id="activity-bar", show_eta=False)

    def on_mount(self) -> None:
        self.query_one(ProgressBar).display = False

    def shows(self, name: str) -> bool:
        """True while activity `name` is running (shown or waiting behind a more important one)."""
        return name in self._activities

    def start(self, name: str, label: str, done: float = 0, total: float = 1) -> None:
        """Show (or move on) activity `name`: `done` of `total`."""
        self._activities[name] = (label, done, total)
        self._redraw()

    def progress(self, name: str, done: float, total: float) -> None:
        """Move a running activity on (ignored once it was cleared: a late progress message)."""
        if name in self._activities:
            self.start(name, self._activities[name][0], done, total)

    def clear(self, name: str) -> None:
        if self._activities.pop(name, None) is not None:
            self._redraw()

    def show_summary(self, text: str) -> None:
        """What the line says when nothing runs."""
        self.summary = text
        self._redraw()

    @property
    def text(self) -> str:
        """What the line says now, whole (for tests and the screen's title): a narrow line
        shows its start, up to a whole part or word."""
        return self.query_one("#activity-text", FittedLine).full.plain

    def _redraw(self) -> None:
        if not self.is_mounted:
            return
        text = self.query_one("#activity-text", FittedLine)
        bar = self.query_one(ProgressBar)
        for name in self.order:
            if name in self._activities:
                label, done, total = self._activities[name]
                text.update(outside_line(label + self.hints.get(name, "")))
                bar.display = True
                bar.update(total=max(total, 1), progress=done)
                return
        bar.display = False
        text.update(outside_line(self.summary))
