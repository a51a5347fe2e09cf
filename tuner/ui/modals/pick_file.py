"""Choose a file: those under the browser's folder with the wanted suffixes, or any path typed.

A prompt file to replay (`.txt`, `.md`: the default) or an eval file (`.jsonl`). The path field
starts empty and names the most likely file (the one highlighted in the browser, the one used
last, else the first one found) as its placeholder, so enter alone takes it and typing starts a
path of one's own. A path that is not a file is said in the dialog, under the field, until it is
corrected. The folder is walked in a thread, bounded in depth and count like the palette's file
search.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tuner.data.data_files import PROMPT_SUFFIXES, prompt_files
from tuner.data.fit_text import short_path
from tuner.data.visible_text import visible_line
from tuner.ui.outside import CONTROLS_SHOWN, outside_line


class PickFileModal(ModalScreen[Path | None]):
    """Returns the chosen file, or None when cancelled."""

    CSS_PATH = "modals.tcss"
    CSS = """
    PickFileModal { align: center middle; }
    PickFileModal .dialog { width: 76; height: auto; max-height: 90%; }
    PickFileModal OptionList { height: auto; max-height: 12; margin-top: 1; }
    PickFileModal #path-problem { color: $error; height: auto; }
    PickFileModal #path-problem.-empty { display: none; }
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
        self.default = default  # what enter on the empty field replays
        self.dialog_title = title
        self.suffixes = suffixes
        self.hint = hint
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = outside_line(self.dialog_title)
            yield Label(outside_line(self.hint))
            yield Input(placeholder=self._placeholder(), id="path", highlighter=CONTROLS_SHOWN)
            yield Static("", id="path-problem", classes="-empty")
            yield OptionList(id="files")

    def _placeholder(self) -> str:
        if self.default is None:
            return self.placeholder
        return f"{visible_line(self._shown(self.default))} (enter), or type a path"

    def _shown(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

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
        if files and self.default is None:  # enter alone replays the likeliest file
            self.default = files[0]
            self.query_one(Input).placeholder = self._placeholder()

    def _choose(self, text: str) -> None:
        if not text.strip():
            if self.default is None:
                self._say("Type the path of a prompt file, or pick one below")
                return
            text = str(self.default)
        path = Path(text.strip()).expanduser()
        if not path.is_absolute():
            path = self.root / path
        if not path.is_file():
            problem = "is a folder" if path.is_dir() else "no such file"
            self._say(f"{short_path(self._shown(path))}: {problem}")
            return
        self.dismiss(path)

    def _say(self, problem: str) -> None:
        """The problem with the path, under the field (a toast would be gone in 5 s)."""
        label = self.query_one("#path-problem", Static)
        label.update(outside_line(problem))
        label.set_class(not problem, "-empty")

    def on_input_changed(self, event: Input.Changed) -> None:
        self._say("")  # the path is being corrected

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
