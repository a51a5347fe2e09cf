"""Screens where typing is the main action: letters go to the text, never to commands.

On the chat screen and the new-job form a user types sentences. Single-letter keys elsewhere
switch screens or quit; here a printable key that no text field took (focus was on a list, a
select, a button) is caught before it can reach those bindings, and handed to `stray_key`
(the chat screen puts it into the message box). The app hides its letter keys on such screens.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.widgets import Input, TextArea


class TypingScreen:
    """Mixed into a `Screen`: `TYPING` tells the app; `on_key` stops stray letters."""

    TYPING: ClassVar[bool] = True

    def on_key(self, event: events.Key) -> None:
        focused = self.focused  # type: ignore[attr-defined]
        if not self.TYPING:
            return
        if event.is_printable and not isinstance(focused, Input | TextArea):
            event.stop()
            event.prevent_default()
            self.stray_key(event.character or "")

    def stray_key(self, character: str) -> None:
        """A printable key no text field took: dropped unless the screen knows better."""
