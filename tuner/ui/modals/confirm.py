"""A yes/no question: `push_screen(ConfirmModal(...), callback)` gets True or False back."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from tuner.ui.outside import outside, outside_line


class ConfirmModal(ModalScreen[bool]):
    """Ask before anything destructive (overwrite, delete, cancel a job).

    The safe answer is focused first, so a stray enter never destroys anything. The question
    often names a file or a job: it is shown as plain text (tuner writes no markup in it).
    """

    CSS_PATH = "modals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "answer(False)", "No", id="confirm.no"),
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
    ]

    def __init__(self, question: str, *, title: str = "Confirm", yes: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.dialog_title = title
        self.yes_label = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = outside_line(self.dialog_title)
            yield Label(outside(self.question), classes="question")
            with Horizontal(classes="buttons"):
                yield Button("No", id="no")
                yield Button(self.yes_label, id="yes", variant="error")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
