"""Outside text as widget content: always `Text`, never markup, control characters visible.

A file name holding `[/]` crashes a markup parser, `[@click=app.quit]` would act when clicked and
`ESC [ 2 J` would clear the screen: a service's names, events and replies, and a user's files,
reach a widget only through these two functions (`tuner.data.visible_text` does the cleaning).

A text field is the one place whose value must stay exact (a path to open, a model id to send):
its `Input` takes `highlighter=CONTROLS_SHOWN`, which draws the control characters of the value
as stand-ins one for one, while the value itself keeps them.
"""

from __future__ import annotations

from rich.highlighter import Highlighter
from rich.style import StyleType
from rich.text import Text

from tuner.data.visible_text import visible, visible_in_place, visible_line


def outside(text: str, style: StyleType = "") -> Text:
    """Text from outside, lines kept, as a `Text` in `style` (markup in it is just characters)."""
    return Text(visible(text), style=style)


def outside_line(text: str, style: StyleType = "") -> Text:
    """A name or one-line message from outside as a `Text`: newlines and tabs shown too."""
    return Text(visible_line(text), style=style)


class ControlsShown(Highlighter):
    """Draws an `Input`'s value with its control characters as visible stand-ins.

    Textual draws an `Input`'s value as plain `Text`, so markup is safe there, but an ESC in a
    path or a pasted line would reach the terminal. Each control character becomes exactly one
    visible one, so the cursor and the selection (counted in characters) stay where they are."""

    def highlight(self, text: Text) -> None:
        plain = text.plain
        shown = visible_in_place(plain)
        if shown is not plain:
            text.plain = shown  # the same length: the spans stay where they were


CONTROLS_SHOWN = ControlsShown()
