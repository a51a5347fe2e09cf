"""A stand-in for the dataset screen: the first lines of the file, read-only.

The real dataset screen replaces this by changing the "dataset" route's target in
`tuner.ui.screens.ROUTES`; it is built as `DatasetScreen(path=...)` by `TunerApp.open_dataset`.
"""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

PREVIEW_LINES = 200
PREVIEW_WIDTH = 400


def first_lines(path: Path, limit: int = PREVIEW_LINES) -> str:
    """Up to `limit` numbered lines of `path`, each cut to a screen-friendly width."""
    from tuner.data.lines import InvalidUtf8Error, LineIndex

    out: list[str] = []
    with LineIndex(path) as index:
        for progress in index.scan_iter(batch_lines=limit):
            if progress.lines >= limit or progress.done:
                break
        for n in range(1, min(limit, len(index)) + 1):
            try:
                text = index.line_text(n)
            except InvalidUtf8Error as exc:
                text = f"<not UTF-8: {exc.reason}>"
            out.append(f"{n:>5}  {text[:PREVIEW_WIDTH]}")
    return "\n".join(out) if out else "(empty file)"


class DatasetPreviewScreen(Screen[None]):
    """Shows where a file will open until the dataset screen lands."""

    CSS = """
    DatasetPreviewScreen #preview { padding: 0 1; }
    """
    TITLE = "Dataset"

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.sub_title = None

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        yield Static(f"{self.path.name}: reading…", id="preview", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"Dataset · {self.path.name}"
        self._load()

    def current_file(self) -> Path:
        return self.path

    @work(thread=True, exit_on_error=False)
    def _load(self) -> None:
        try:
            text = first_lines(self.path)
        except OSError as exc:
            text = f"Cannot read {self.path.name}: {exc.strerror or exc}"
        self.app.call_from_thread(self.query_one("#preview", Static).update, text)
