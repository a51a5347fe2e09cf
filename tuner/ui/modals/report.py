"""A read-only list of findings (what a conversion skipped, why something failed)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from tuner.ui.outside import outside, outside_line


class ReportModal(ModalScreen[None]):
    """A title, a summary line and a scrollable list; any close key returns to the screen. The
    findings quote files' contents: every line is shown as plain text."""

    CSS_PATH = "modals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,q", "close", "Close", id="report.close"),
    ]

    def __init__(self, title: str, summary: str, lines: Sequence[str] = ()) -> None:
        super().__init__()
        self.report_title = title
        self.summary = summary
        self.lines = list(lines)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog report") as dialog:
            dialog.border_title = outside_line(self.report_title)
            yield Label(outside(self.summary), classes="question")
            if self.lines:
                with VerticalScroll(classes="findings"):
                    yield Static(outside("\n".join(self.lines)))
            yield Button("Close", id="close", variant="primary")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
