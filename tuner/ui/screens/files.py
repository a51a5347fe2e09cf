"""The file browser: pick a dataset, see its size, lines and validity, convert JSON to JSONL.

Thin by design: counting lines is `tuner.data.lines.LineIndex`, validation and conversion are
the app's `Services` callables. Each runs in a thread worker; results come back as messages, and
failures are shown once, in `on_worker_state_changed`.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Tree
from textual.worker import Worker, WorkerState, get_current_worker

from tuner.ui.failures import describe_error
from tuner.ui.modals import ConfirmModal, ReportModal
from tuner.ui.services import ConversionSummary, ValidationSummary, plural
from tuner.ui.widgets.data_tree import DataTree, FileFacts
from tuner.ui.widgets.file_info import FileInfo

if TYPE_CHECKING:
    from tuner.ui.app import TunerApp


@dataclass(frozen=True, slots=True)
class _Job:
    """What a validate/convert worker was started for, to report its outcome."""

    kind: str
    path: Path
    dst: Path | None = None


def count_file(path: Path) -> FileFacts:
    """Size and line count of one file; unreadable files get a short `problem` instead."""
    from tuner.data.lines import LineIndex

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


class FilesScreen(Screen[None]):
    """Browse a folder's data files; enter opens one in the dataset screen."""

    CSS_PATH = "files.tcss"
    TITLE = "Files"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("v", "validate", "Validate", id="files.validate"),
        Binding("C", "convert", "Convert", id="files.convert"),
        Binding("a", "toggle_all", "All", id="files.toggle_all"),
        Binding("r", "reload", "Reload", id="files.reload", show=False),
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

    @dataclass
    class Converted(Message):
        job: _Job
        result: ConversionSummary

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root
        self._jobs: dict[Worker[object], _Job] = {}

    @property
    def tuner(self) -> TunerApp:
        return cast("TunerApp", self.app)

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

    # -- opening -----------------------------------------------------------------------------

    @on(DataTree.FileSelected)
    def _open(self, event: DataTree.FileSelected) -> None:
        event.stop()
        self.tuner.open_dataset(event.path)

    # -- validate ----------------------------------------------------------------------------

    def action_validate(self) -> None:
        path = self.current_file()
        if path is None:
            self.notify("Highlight a file to validate it", severity="warning")
            return
        facts = self.tree.facts.setdefault(path, FileFacts())
        if facts.validating:
            return
        facts.validating = True
        self._facts_changed(path)
        model = self.tuner.settings.default_model
        worker = self.run_worker(
            partial(self._validate, path, model), thread=True, group="validate", exit_on_error=False
        )
        self._jobs[worker] = _Job("validate", path)

    def _validate(self, path: Path, model: str) -> None:
        self.post_message(self.Validated(path, self.tuner.services.validate(path, model)))

    @on(Validated)
    def _validated_message(self, message: Validated) -> None:
        self._validated(message.path, message.summary)

    def _validated(self, path: Path, summary: ValidationSummary | None) -> None:
        facts = self.tree.facts.setdefault(path, FileFacts())
        facts.validating = False
        if summary is not None:
            facts.validation = summary
        self._facts_changed(path)

    # -- convert -----------------------------------------------------------------------------

    def action_convert(self) -> None:
        src = self.current_file()
        if src is None or src.suffix.lower() != ".json":
            self.notify("Highlight a .json file to convert it to JSONL", severity="warning")
            return
        dst = src.with_suffix(".jsonl")
        if dst.exists():
            self.app.push_screen(
                ConfirmModal(f"{dst.name} already exists. Overwrite it?", yes="Overwrite"),
                partial(self._confirmed_convert, src, dst),
            )
        else:
            self._start_convert(src, dst, force=False)

    def _confirmed_convert(self, src: Path, dst: Path, overwrite: bool | None) -> None:
        if overwrite:
            self._start_convert(src, dst, force=True)

    def _start_convert(self, src: Path, dst: Path, *, force: bool) -> None:
        job = _Job("convert", src, dst)
        worker = self.run_worker(
            partial(self._convert, job, force), thread=True, group="convert", exit_on_error=False
        )
        self._jobs[worker] = job

    def _convert(self, job: _Job, force: bool) -> None:
        assert job.dst is not None
        result = self.tuner.services.convert(job.path, job.dst, force)
        self.post_message(self.Converted(job, result))

    @on(Converted)
    def _converted(self, message: Converted) -> None:
        job, result = message.job, message.result
        assert job.dst is not None
        self.tree.reload()
        written = f"Wrote {plural(result.examples_written, 'example')} to {job.dst.name}"
        if not result.written:
            self.app.push_screen(
                ReportModal(
                    "Nothing converted",
                    f"No example in {job.path.name} could be converted; {job.dst.name} "
                    "was not written.",
                    result.skipped,
                )
            )
        elif result.skipped:
            self.app.push_screen(
                ReportModal(
                    "Converted with problems",
                    f"{written}; {len(result.skipped)} could not be converted:",
                    result.skipped,
                ),
                lambda _: self._open_converted(job.dst, result),
            )
        else:
            self.notify(written)
            self._open_converted(job.dst, result)

    def _open_converted(self, dst: Path | None, result: ConversionSummary) -> None:
        if dst is not None and result.written and result.examples_written and dst.exists():
            self.tuner.open_dataset(dst)

    # -- worker outcomes ---------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A validate/convert worker that failed (or was cancelled): a readable error."""
        if not event.worker.is_finished:
            return
        job = self._jobs.pop(event.worker, None)
        if job is None or event.state == WorkerState.SUCCESS:
            return
        if job.kind == "validate":
            self._validated(job.path, None)
        if event.state == WorkerState.ERROR:
            verb = "validate" if job.kind == "validate" else "convert"
            self.notify(
                f"Could not {verb} {job.path.name}: {describe_error(event.worker.error)}",
                severity="error",
                timeout=10,
            )

    # -- view --------------------------------------------------------------------------------

    def action_toggle_all(self) -> None:
        """Show every file (not only .jsonl/.json/.txt), or go back to data files only."""
        self.tree.show_all = not self.tree.show_all
        self.tree.reload()
        self.notify("Showing all files" if self.tree.show_all else "Showing data files only")

    def action_reload(self) -> None:
        self.tree.facts.clear()
        self.tree.reload()
