"""The analysis of one training file, run from its screen: checked, tokens counted, priced.

`Services.analyse` reads the whole file (validation, tokens, cost) in a thread worker owned by
this widget, so leaving the screen stops it; a new analysis (another model's tokens, another
service's rules) replaces the one running, and `stop` ends it. Its progress goes to the status
line it is given (`status`), and `running` (a reactive that refreshes the screen's keys) says
whether one is under way, so the screen offers `x` only then. The widget draws nothing: the
report arrives as `Done` for the screen to show, a failure as `Failed`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.worker import get_current_worker

from tuner.ui.failures import WorkFailed, fails_as

if TYPE_CHECKING:
    from tuner.data.analysis.report import AnalysisReport
    from tuner.ui.widgets.activity_line import ActivityLine

# `analyse(model, epochs=, progress=, cancel=)`: the app's `Services.analyse` bound to the file,
# the catalog and the data rules; it says how far it got, and stops when `cancel` is set.
Analyse = Callable[..., "AnalysisReport"]


class FileAnalysis(Widget):
    """Runs `analyse` for the model and epochs asked, one analysis at a time."""

    DEFAULT_CSS: ClassVar[str] = "FileAnalysis { display: none; }"
    LABEL: ClassVar[str] = "Checking and counting tokens"

    running: reactive[bool] = reactive(False, bindings=True, init=False)
    """An analysis is under way: its progress on the status line, the screen's `x` offered."""

    @dataclass
    class Done(Message):
        report: AnalysisReport

    class Failed(WorkFailed, bubble=True):
        """It bubbles: the screen says why. A stopped analysis is no failure."""

        DOING = "analyse the file"

    class Progressed(Message):
        def __init__(self, done: int, total: int) -> None:
            super().__init__()
            self.done = done
            self.total = total

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, FileAnalysis.Progressed)

    def __init__(self, status: ActivityLine, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.status = status

    def start(self, analyse: Analyse, model: str, epochs: int | None) -> None:
        """Analyse for `model` and `epochs` (None: the service's choice), replacing any
        analysis running; its bar starts over."""
        self.status.start("analysis", self.LABEL, 0, 1)
        self.running = True
        self._analyse(analyse, model, epochs)

    def stop(self) -> None:
        self.workers.cancel_group(self, "analysis")
        self.running = False

    def watch_running(self, running: bool) -> None:
        if not running:
            self.status.clear("analysis")

    @work(thread=True, exclusive=True, group="analysis", exit_on_error=False)
    @fails_as(Failed)
    def _analyse(self, analyse: Analyse, model: str, epochs: int | None) -> None:
        def progress(done: int, total: int) -> None:
            self.post_message(self.Progressed(done, total))

        cancel = get_current_worker().cancelled_event
        report = analyse(model, epochs=epochs, progress=progress, cancel=cancel)
        self.post_message(self.Done(report))

    @on(Progressed)
    def _progressed(self, event: Progressed) -> None:
        self.status.progress("analysis", event.done, event.total)

    @on(Done)
    def _done(self) -> None:
        self.running = False  # the report goes on to the screen

    def on_file_analysis_failed(self) -> None:
        self.running = False
