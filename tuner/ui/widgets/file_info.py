"""The side panel of the file browser: what is known about the highlighted file."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.widgets import Static

from tuner.data.durations import format_size
from tuner.data.visible_text import visible, visible_line
from tuner.data.wording import plural
from tuner.ui.widgets.data_tree import FileFacts

HINTS = {
    ".jsonl": "enter opens · v validates · e evaluates models on it",
    ".json": "C converts to JSONL",
    ".txt": "prompt file · enter replays it in chat",
}


class FileInfo(Static):
    """Details of one path, redrawn by the screen whenever the highlight or facts change."""

    def show(self, path: Path | None, root: Path, facts: FileFacts | None, is_dir: bool) -> None:
        self.update(describe(path, root, facts, is_dir))


def describe(path: Path | None, root: Path, facts: FileFacts | None, is_dir: bool) -> Text:
    """The panel text: name, place relative to the browser's folder, facts and next steps."""
    text = Text()
    if path is None:
        text.append("No file highlighted", style="dim")
        return text
    text.append(visible_line(path.name or str(path)), style="bold")
    text.append("\n")
    if path == root:
        text.append("\nthe folder tuner opened\nenter or space folds it", style="dim")
        return text
    try:
        where = path.parent.relative_to(root).as_posix()
    except ValueError:
        where = str(path.parent)
    shown = visible_line(where if where != "." else root.name or str(root))
    text.append(f"in {shown}/\n", style="dim")
    if is_dir:
        text.append("\nfolder · enter opens it", style="dim")
        return text
    text.append("\n")
    if facts is None:
        text.append("reading…", style="dim")
        return text
    if facts.problem:
        text.append(visible(facts.problem), style="red")
        return text
    rows = [
        ("size", format_size(facts.size) if facts.size is not None else "…"),
        ("lines", f"{facts.lines:,}" if facts.lines is not None else "counting…"),
    ]
    for label, value in rows:
        text.append(f"{label:<7}", style="dim")
        text.append(f"{value}\n")
    text.append(f"{'check':<7}", style="dim")
    if facts.validating:
        text.append("checking…\n", style="italic")
    elif facts.validation is None:
        text.append("not checked (v)\n", style="dim")
    else:
        v = facts.validation
        style = "red" if v.errors else ("yellow" if v.warnings else "green")
        text.append(f"{v.badge}\n", style=style)
        if v.errors and v.warnings:
            text.append(f"{'':<7}! {plural(v.warnings, 'warning')}\n", style="yellow")
        if v.first_problem:
            text.append(f"\n{visible(v.first_problem)}\n", style="dim")
    hint = HINTS.get(path.suffix.lower())
    if hint:
        text.append(f"\n{hint}", style="dim italic")
    return text
