"""Choose a file: those under the browser's folder with the wanted suffixes, or any path typed.

A prompt file to replay (`.txt`, `.md`: the default) or an eval file (`.jsonl`). The path field
starts on the most likely file (the one highlighted in the browser, or the one used last), so
enter alone takes it. The folder is walked in a thread, bounded in depth and count like the
palette's file search.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from tuner.ui.outside import outside_line

PROMPT_SUFFIXES = frozenset({".txt", ".md"})


def prompt_files(root: Path, suffixes: frozenset[str] = PROMPT_SUFFIXES) -> list[Path]:
    """Files with `suffixes` under `root` (text files by default; bounded walk), shortest paths
    first."""
    from tuner.ui.commands import walk_data_files

    found = [p for p in walk_data_files(root) if p.suffix.lower() in suffixes]
    return sorted(found, key=lambda p: (len(p.relative_to(root).parts), str(p)))


class PickFileModal(ModalScreen[Path | None]):
    """Returns the chosen file, or None when cancelled."""

    CSS_PATH = "modals.tcss"
    CSS = """
    PickFileModal { align: center middle; }
    PickFileModal .dialog { width: 76; height: auto; max-height: 90%; }
    PickFileModal OptionList { height: auto; max-height: 12; margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="pick_file.cancel"),
        Binding("down", "to_list", "List", show=False, id="pick_file.list"),
    ]

    def __init__(
        self,
        root: Path,
        *,
        default: Path | None = None,
        title: str = "Replay",
        suffixes: frozenset[str] = PROMPT_SUFFIXES,
        hint: str = "Each non-empty line becomes the next user turn.",
        placeholder: str = "path to a .txt file",
    ) -> None:
        super().__init__()
        self.root = root
        self.default = default
        self.dialog_title = title
        self.suffixes = suffixes
        self.hint = hint
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = self.dialog_title
            yield Label(self.hint, markup=False)
            yield Input(str(self.default or ""), placeholder=self.placeholder, id="path")
            yield OptionList(id="files")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self._walk()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _walk(self) -> None:
        files = prompt_files(self.root, self.suffixes)
        self.app.call_from_thread(self._fill, files)

    def _fill(self, files: list[Path]) -> None:
        options = [Option(outside_line(str(p.relative_to(self.root))), id=str(p)) for p in files]
        listed = self.query_one(OptionList)
        listed.set_options(options)
        if options:
            listed.highlighted = 0
        field = self.query_one(Input)
        if files and not field.value:  # enter alone replays the likeliest file
            field.value = str(files[0].relative_to(self.root))

    def _choose(self, text: str) -> None:
        if not text.strip():
            return
        path = Path(text.strip()).expanduser()
        if not path.is_absolute():
            path = self.root / path
        if not path.is_file():
            self.notify(f"No such file: {path}", severity="error")
            return
        self.dismiss(path)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._choose(event.value)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose(event.option.id or "")

    def action_to_list(self) -> None:
        listed = self.query_one(OptionList)
        if listed.option_count:
            listed.focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
