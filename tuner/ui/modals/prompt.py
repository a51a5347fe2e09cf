"""One line of text from the user: returns the text, or None when cancelled."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from tuner.ui.outside import CONTROLS_SHOWN, outside


class PromptModal(ModalScreen[str | None]):
    """Ask for a name, a suffix, a path: enter accepts, escape cancels. The question may name a
    model or a file: it is shown as plain text."""

    CSS_PATH = "modals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="prompt.cancel"),
    ]

    def __init__(
        self, question: str, *, value: str = "", placeholder: str = "", password: bool = False
    ) -> None:
        super().__init__()
        self.question = question
        self.value = value
        self.placeholder = placeholder
        self.password = password

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(outside(self.question), classes="question")
            yield Input(
                self.value,
                placeholder=self.placeholder,
                password=self.password,
                highlighter=CONTROLS_SHOWN,
            )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
