"""The system prompt and sampling parameters, edited in place with the keyboard.

Fields are plain text inputs; `ChatSettings.parse` checks them (ranges the service accepts) on
every change. A valid set is posted as `ChatParams.Changed`; an invalid one shows its reason
under the fields and keeps the last valid settings in force, so a half-typed number never
reaches the service.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Static

from tuner.api.chat.session import ChatSettings, SettingsError
from tuner.ui.outside import CONTROLS_SHOWN, outside

# (field id, label, placeholder) in the order tab visits them.
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("system_prompt", "System prompt", "none"),
    ("temperature", "Temperature (0–2)", "default"),
    ("frequency_penalty", "Frequency penalty (−2–2)", "default"),
    ("presence_penalty", "Presence penalty (−2–2)", "default"),
    ("max_tokens", "Max tokens", "default"),
)


class ChatParams(VerticalScroll):
    """The parameter panel. `settings` is the last valid value."""

    class Changed(Message):
        def __init__(self, settings: ChatSettings) -> None:
            super().__init__()
            self.settings = settings

    class Refused(Message):
        """A typed value the service would refuse; the last valid settings stay in force."""

        def __init__(self, reason: str | None) -> None:
            super().__init__()
            self.reason = reason  # None: nothing is refused any more

    def __init__(self, settings: ChatSettings | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.settings = settings or ChatSettings()
        self.border_title = "Parameters"

    def compose(self) -> ComposeResult:
        for name, label, placeholder in FIELDS:
            yield Label(label, classes="param-label")
            yield Input(
                _text(getattr(self.settings, name)),
                placeholder=placeholder,
                id=f"param-{name}",
                compact=True,
                highlighter=CONTROLS_SHOWN,  # the system prompt of a reopened conversation
            )
        yield Static("", id="param-error")
        yield Static("esc or f2: back to the prompt", classes="param-hint")

    def load(self, settings: ChatSettings) -> None:
        """Show `settings` (e.g. from a reopened transcript) without posting `Changed`."""
        self.settings = settings
        for name, _label, _placeholder in FIELDS:
            field = self.query_one(f"#param-{name}", Input)
            with field.prevent(Input.Changed):
                field.value = _text(getattr(settings, name))
        self.query_one("#param-error", Static).update("")

    def focus_first(self) -> None:
        self.query_one(f"#param-{FIELDS[0][0]}", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        values = {name: self.query_one(f"#param-{name}", Input).value for name, *_ in FIELDS}
        error = self.query_one("#param-error", Static)
        try:
            settings = ChatSettings.parse(**values)
        except SettingsError as exc:
            error.update(outside(str(exc)))
            self.post_message(self.Refused(str(exc)))
            return
        if str(error.render()):
            self.post_message(self.Refused(None))
        error.update("")
        if settings != self.settings:
            self.settings = settings
            self.post_message(self.Changed(settings))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.screen.focus_next()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
