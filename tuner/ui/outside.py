"""Outside text as widget content: always `Text`, never markup, control characters visible.

A file name holding `[/]` crashes a markup parser, `[@click=app.quit]` would act when clicked and
`ESC [ 2 J` would clear the screen: a service's names, events and replies, and a user's files,
reach a widget only through these two functions (`tuner.data.visible_text` does the cleaning).
"""

from __future__ import annotations

from rich.style import StyleType
from rich.text import Text

from tuner.data.visible_text import visible, visible_line


def outside(text: str, style: StyleType = "") -> Text:
    """Text from outside, lines kept, as a `Text` in `style` (markup in it is just characters)."""
    return Text(visible(text), style=style)


def outside_line(text: str, style: StyleType = "") -> Text:
    """A name or one-line message from outside as a `Text`: newlines and tabs shown too."""
    return Text(visible_line(text), style=style)
