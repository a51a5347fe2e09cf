"""The banner above a dataset: what is wrong with the file as a whole, hidden when nothing is.

A line's problems show beside that line; these are the ones no line owns (the file cannot be
read, it has too few examples): they would be lost in the list, so they stand above it, red,
until the next analysis finds them gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from tuner.ui.outside import outside

if TYPE_CHECKING:
    from tuner.data.rules.problems import Problem


class FileBanner(Static):
    """`✗ Cannot read …` and `✗ <whole-file error>` lines; not displayed while there are none."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)

    def show(self, file_problem: str | None, problems: Sequence[Problem] = ()) -> None:
        """Why the file cannot be read (bold), then the whole-file errors; none: hidden."""
        if not problems and file_problem is None:
            self.display = False
            return
        text = Text()
        if file_problem is not None:
            text.append_text(outside(f"✗ {file_problem}", "bold"))
        for p in problems:
            if text:
                text.append("\n")
            text.append_text(outside(f"✗ {p.message}"))
        self.update(text)
        self.display = True
