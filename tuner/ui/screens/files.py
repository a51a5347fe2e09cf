"""The file browser: pick a dataset, see its size, lines and validity, convert JSON to JSONL.

Thin by design: counting lines is `tuner.data.jsonl.line_index.LineIndex`, validation and
conversion are the app's `Services` callables. Each runs in a thread worker; results come back
as messages, failures too (`ValidationFailed`, naming the file), each shown once.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Footer, Header, Tree
from textual.worker import Worker, WorkerState, get_current_worker

from tuner.ui.failures import WorkFailed, fails_as
from tuner.ui.services import ValidationSummary
from tuner.ui.session import ConnectionChanged
from tuner.ui.tuner_screen import TunerScreen
from tuner.ui.widgets.data_tree import DataTree, FileFacts
from tuner.ui.widgets.file_info import FileInfo


def count_file(path: Path) -> FileFacts:
    """Size and line count of one file; unreadable files get a short `problem` instead."""
    from tuner.data.jsonl.line_index import LineIndex

    try:
        info = path.stat()
        size = info.st_size
        if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block or never end
            return FileFacts(problem="not a regular file")
        if not os.access(path, os.R_OK):
            return FileFacts(size=size, problem="cannot read: permission denied")
        with LineIndex(path) as index:
            index.scan()
            return FileFacts(size=size, lines=len(index))
    except OSError as exc:
        return FileFacts(problem=f"cannot read: {exc.strerror or exc}")
    except ValueError as exc:  # mmap of an odd file (a FIFO, a device)
        return FileFacts(problem=f"cannot read: {exc}")


class ValidationFailed(WorkFailed):
    """A file could not be checked (unreadable, gone): `path` is the file, whose badge stops
    saying it is being checked."""

    DOING = "validate the file"

    def __init__(self, error: Exception, path: Path) -> None:
        super().__init__(error, f"validate {path.name}")
        self.path = path

    @classmethod
    def of_call(cls, error: Exception, path: Path, model: str) -> ValidationFailed:
        return cls(error, path)


# Files up to this size are checked as soon as they are listed (a badge without pressing v).
AUTO_CHECK_BYTES = 2 * 1024 * 1024
# Seconds after the browser opens before those checks start: the first frames come first.
AUTO_CHECK_AFTER = 1.0
# How often the open folders are looked at for new files.
WATCH_SECONDS = 2.0


class FilesScreen(TunerScreen[None]):
    """Browse a folder's data files; enter opens a dataset in the dataset screen, a prompt
    file (`.txt`) in chat, ready to replay."""

    CSS_PATH = "files.tcss"
    TITLE = "Files"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("v", "validate", "Validate", id="files.validate"),
        Binding("C", "convert", "Convert", id="files.convert"),
        Binding("a", "toggle_all", "All files", id="files.toggle_all", show=False),
        Binding("r", "reload", "Reload", id="files.reload", show=False),
        Binding("u", "upload", "Upload", id="files.upload", show=False),
        # On a JSONL only; elsewhere `e` is the app's key for the Eval screen.
        Binding("e", "evaluate_file", "Evaluate", id="files.evaluate"),
    ]

    class LinesCounted(Message):
        """A count worker finished one file (posted from the worker thread)."""

        def __init__(self, path: Path, facts: FileFacts) -> None:
            super().__init__()
            self.path = path
            self.facts = facts

    @dataclass
    class Validated(Message):
        path: Path
        summary: ValidationSummary

    def __init__(self, root: Path, *, open_folders: bool = False) -> None:
        super().__init__()
        self.root = root
        # Open the top folders at start (the demo: its sample datasets in sight at once).
        self.open_folders = open_folders
        self._folder_times: dict[Path, int] = {}
        self._shown_before = False
        self._to_check: list[Path] = []
        self._checks_allowed = False
        self._validating: dict[Worker[None], Path] = {}  # to settle a cancelled check's file

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        with Horizontal(id="browser"):
            yield DataTree(self.root, id="tree")
            yield FileInfo(id="info")
        yield Footer(compact=True)

    @property
    def tree(self) -> DataTree:
        return self.query_one(DataTree)

    def on_mount(self) -> None:
        self._show_info(None)
        self.set_interval(WATCH_SECONDS, self._watch_folders)
        self.set_timer(AUTO_CHECK_AFTER, self._allow_checks)

    @on(ConnectionChanged)
    def _rules_changed(self) -> None:
        """Another service's rules: the badges were earned under the old ones."""
        checked = [path for path, facts in self.tree.facts.items() if facts.validation is not None]
        for path in checked:
            self.tree.facts[path].validation = None
            self._facts_changed(path)
            self._check(path)

    def on_screen_resume(self) -> None:
        """Back from another screen: a file written meanwhile (a conversion, an export).

        The first resume is the screen's first showing, with the tree still loading: a reload
        then would fold up the folders opened at start.
        """
        if self._shown_before:
            self._watch_folders(force=True)
        self._shown_before = True

    def _watch_folders(self, force: bool = False) -> None:
        """Reload when an open folder changed on disk (a file added, removed, renamed)."""
        times: dict[Path, int] = {}
        for folder in self.tree.expanded_folders():
            try:
                times[folder] = os.stat(folder).st_mtime_ns
            except OSError:
                times[folder] = -1
        # Only a folder watched before and changed since counts: a folder just opened is
        # being listed anyway, and reloading mid-listing would fold the tree back up.
        changed = any(
            folder in times and times[folder] != before
            for folder, before in self._folder_times.items()
        )
        self._folder_times = times
        if force or changed:
            self.tree.reload()

    @on(DataTree.FolderLoaded)
    def _folder_loaded(self, event: DataTree.FolderLoaded) -> None:
        if event.node.data is not None:  # the watch compares against the folder as listed
            folder = event.node.data.path
            try:
                self._folder_times[folder] = os.stat(folder).st_mtime_ns
            except OSError:
                self._folder_times[folder] = -1
        if not self.open_folders or event.node is not self.tree.root:
            return
        self.open_folders = False  # only at start
        for child in event.node.children:
            if child.allow_expand:
                child.expand()

    # -- what is highlighted -----------------------------------------------------------------

    def highlighted_path(self) -> Path | None:
        node = self.tree.cursor_node
        if node is None or node.data is None:
            return None
        return node.data.path

    def current_file(self) -> Path | None:
        """The highlighted file (not folder): what validate/convert/open act on."""
        node = self.tree.cursor_node
        if node is None or node.data is None or node.allow_expand:
            return None
        return node.data.path

    def _show_info(self, path: Path | None) -> None:
        node = self.tree.cursor_node
        is_dir = bool(node is not None and node.allow_expand)
        facts = self.tree.facts.get(path) if path is not None else None
        self.query_one(FileInfo).show(path, self.root, facts, is_dir)

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted[object]) -> None:
        self._show_info(self.highlighted_path())
        self.refresh_bindings()

    def _facts_changed(self, path: Path) -> None:
        self.tree.refresh_path(path)
        if path == self.highlighted_path():
            self._show_info(path)

    # -- line counts -------------------------------------------------------------------------

    @on(DataTree.FilesListed)
    def _count_new_files(self, event: DataTree.FilesListed) -> None:
        new = [p for p in event.paths if p not in self.tree.facts]
        for path in new:
            self.tree.facts[path] = FileFacts()
        if new:
            self._count_lines(new)

    @work(thread=True, group="count", exit_on_error=False)
    def _count_lines(self, paths: list[Path]) -> None:
        """Count lines file by file, so small files show up at once and a big one never blocks."""
        worker = get_current_worker()
        for path in paths:
            if worker.is_cancelled:
                return
            self.post_message(self.LinesCounted(path, count_file(path)))

    @on(LinesCounted)
    def _lines_counted(self, event: LinesCounted) -> None:
        facts = self.tree.facts.setdefault(event.path, FileFacts())
        facts.size, facts.lines, facts.problem = (
            event.facts.size,
            event.facts.lines,
            event.facts.problem,
        )
        self._facts_changed(event.path)
        small = facts.size is not None and facts.size <= AUTO_CHECK_BYTES
        if small and facts.problem is None and event.path.suffix.lower() == ".jsonl":
            self._to_check.append(event.path)  # a small dataset gets its badge without asking
            if self._checks_allowed:
                self._check_waiting()

    def _allow_checks(self) -> None:
        """After the first frames: checking loads a vocabulary, which would delay them."""
        self._checks_allowed = True
        self._check_waiting()

    def auto_checks_done(self) -> bool:
        """Whether every small `.jsonl` listed so far has its badge: what a screenshot or a
        test waits for, so the picture is the same every run."""
        small = [
            facts
            for path, facts in self.tree.facts.items()
            if path.suffix.lower() == ".jsonl"
            and facts.size is not None
            and facts.size <= AUTO_CHECK_BYTES
            and facts.problem is None
        ]
        return bool(small) and all(f.validation is not None and not f.validating for f in small)

    def _check_waiting(self) -> None:
        waiting, self._to_check = self._to_check, []
        for path in waiting:
            self._check(path)

    # -- opening -----------------------------------------------------------------------------

    @on(DataTree.FileSelected)
    def _open(self, event: DataTree.FileSelected) -> None:
        event.stop()
        self.tuner.open_file(event.path)  # a prompt file opens in chat, ready to replay

    # -- validate ----------------------------------------------------------------------------

    def action_validate(self) -> None:
        path = self.current_file()
        if path is None:
            self.notify("Highlight a file to validate it", severity="warning")
            return
        self._check(path)

    def _check(self, path: Path) -> None:
        facts = self.tree.facts.setdefault(path, FileFacts())
        if facts.validating:
            return
        facts.validating = True
        self._facts_changed(path)
        self._validating[self._validate(path, self.tuner.default_model)] = path

    @work(thread=True, group="validate", exit_on_error=False)
    @fails_as(ValidationFailed)
    def _validate(self, path: Path, model: str) -> None:
        rules = self.tuner.data_rules
        summary = self.tuner.services.validate(path, model, service=rules)
        self.post_message(self.Validated(path, summary))

    @on(Validated)
    def _validated_message(self, message: Validated) -> None:
        self._validated(message.path, message.summary)

    @on(ValidationFailed)
    def _validation_failed(self, failed: ValidationFailed) -> None:
        self._validated(failed.path, None)
        self.notify(f"Could not {failed.doing}: {failed.reason}", severity="error", timeout=10)

    def _validated(self, path: Path, summary: ValidationSummary | None) -> None:
        facts = self.tree.facts.setdefault(path, FileFacts())
        facts.validating = False
        if summary is not None:
            facts.validation = summary
        self._facts_changed(path)

    def action_upload(self) -> None:
        """Upload the highlighted dataset: its screen opens, checks it, then uploads."""
        path = self.current_file()
        if path is None or path.suffix.lower() != ".jsonl":
            self.notify("Highlight a .jsonl file to upload it", severity="warning")
            return
        self.tuner.open_dataset(path, upload=True)

    # -- convert -----------------------------------------------------------------------------

    def action_convert(self) -> None:
        src = self.current_file()
        if src is None or src.suffix.lower() != ".json":
            self.notify("Highlight a .json file to convert it to JSONL", severity="warning")
            return
        self.tuner.convert_json(src)

    # -- worker outcomes ---------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A check cancelled (the app closing) no longer shows its file as being checked.

        Only a cancellation is read from the worker's state: its thread is not told of it, so
        no message of the check's own can say so. Failures come as `ValidationFailed`."""
        if not event.worker.is_finished:
            return
        path = self._validating.pop(event.worker, None)
        if path is not None and event.state is WorkerState.CANCELLED:
            self._validated(path, None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`C` only where there is a `.json` file to convert, `e` (evaluate) on a `.jsonl`."""
        if action == "convert":
            path = self.current_file()
            return path is not None and path.suffix.lower() == ".json"
        if action == "evaluate_file":
            path = self.current_file()
            return path is not None and path.suffix.lower() == ".jsonl"
        return True

    def action_evaluate_file(self) -> None:
        """The Eval screen with the highlighted JSONL as the file to evaluate on."""
        path = self.current_file()
        if path is None or path.suffix.lower() != ".jsonl":
            self.notify("Highlight a .jsonl file to evaluate models on it", severity="warning")
            return
        self.tuner.open_eval(file=path)

    # -- view --------------------------------------------------------------------------------

    def action_toggle_all(self) -> None:
        """Show every file (not only .jsonl/.json/.txt), or go back to data files only."""
        self.tree.show_all = not self.tree.show_all
        self.tree.reload()
        self.notify("Showing all files" if self.tree.show_all else "Showing data files only")

    def action_reload(self) -> None:
        self.tree.facts.clear()
        self.tree.reload()
