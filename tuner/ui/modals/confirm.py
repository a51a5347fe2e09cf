"""A yes/no question: `push_screen(ConfirmModal(...), callback)` gets True or False back."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from tuner.ui.outside import outside, outside_line


class ConfirmModal(ModalScreen[bool]):
    """Ask before anything destructive (overwrite, delete, cancel a job).

    The safe answer is focused first, so a stray enter never destroys anything. A question
    holding outside text (a model's name, a file's) is given as `Text`: drawn as it is, never
    read as markup.
    """

    CSS_PATH = "modals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "answer(False)", "No", id="confirm.no"),
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
    ]

    def __init__(
        self, question: str | Text, *, title: str = "Confirm", yes: str = "Yes", wide: bool = False
    ) -> None:
        """`wide`: the dialog takes 76 columns (a question with a table of figures)."""
        super().__init__()
        self.question = question
        self.dialog_title = title
        self.yes_label = yes
        self.wide = wide

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide" if self.wide else "dialog") as dialog:
            dialog.border_title = outside_line(self.dialog_title)
            question = self.question
            # A `Text` was built from sanitised parts by its caller; a string is sanitised here.
            yield Label(
                question if isinstance(question, Text) else outside(question), classes="question"
            )
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
