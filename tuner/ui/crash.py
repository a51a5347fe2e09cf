"""What the terminal shows when tuner crashes: the traceback without local variables, scrubbed.

Textual's default crash report prints every frame's local variables. In tuner those may hold the
raw bytes of the secrets file or a key on its way to a request, and the report lands in the
terminal's scrollback (and in screenshots of it). This one shows the frames and the error only,
with every key tuner knows of, and every key-shaped token, replaced by ****.
"""

from __future__ import annotations

import io

from rich.console import Console
from rich.text import Text
from rich.traceback import Traceback


def crash_report(width: int = 100) -> Text:
    """The current exception's traceback, without locals, scrubbed of keys."""
    from tuner.api.errors import scrub
    from tuner.data.visible_text import visible

    console = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False)
    console.print(Traceback(show_locals=False, width=width))
    # The error's message may quote a service's words: drawn, never sent to the terminal.
    text = visible(scrub(console.file.getvalue()))  # type: ignore[attr-defined]
    return Text(text + "\ntuner crashed: the lines above say where. No local values are shown.\n")
