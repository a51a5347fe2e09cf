"""The Eval screen's History tab: every run remembered (`past_runs()`), newest first.

A row per run (when it started, finished or stopped, how many models and examples, its file);
under the table, the highlighted run's models, graders and folder. Enter on a finished run reads
it back (`read_run`, with its file's prompts and references when they can still be had) and
posts `Opened`; on a run that did not finish, `SetUpAgain`, so it can be continued (its replies
are in the reply cache). Reading happens in thread workers; results come back as messages.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from tuner.ui.outside import outside_line
from tuner.ui.widgets.eval_results import model_letter, shown_folder

if TYPE_CHECKING:
    from tuner.data.eval.example_rows import RunExamples
    from tuner.data.eval.history import PastRun, RunInfo
    from tuner.data.eval.runs import Run


def when(started: str) -> str:
    """A run's start in local time, to the minute (it is kept in UTC)."""
    try:
        moment = datetime.datetime.fromisoformat(started.replace("Z", "+00:00"))
    except ValueError:
        return started or "?"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


class EvalHistory(Vertical):
    """The runs; `running` names the folder of the run going on now (listed as running)."""

    @dataclass
    class Listed(Message):
        runs: list[PastRun]

    @dataclass
    class Opened(Message):
        """A finished run read back, with its file's examples when they can be had."""

        run: Run
        info: RunInfo | None
        examples: RunExamples

        @property
        def heading(self) -> Text:
            """What the Results tab says above the run's figures: read-only, which file,
            when, how many examples, where its files are, and why prompts may be missing."""
            info, summary = self.info, self.run.summary
            name = Path(info.file).name if info is not None and info.file else "a past run"
            heading = Text("From history (read-only): ", style="bold")
            heading.append_text(outside_line(name))
            if info is not None and info.started:
                heading.append(f" · {when(info.started)}")
            heading.append(f" · {summary.examples:,} examples\n")
            heading.append_text(outside_line(shown_folder(self.run.folder.path), style="dim"))
            if self.examples.problem:
                heading.append("\n")
                problem = f"prompts not shown: {self.examples.problem}"
                heading.append_text(outside_line(problem, style="yellow"))
            return heading

    @dataclass
    class SetUpAgain(Message):
        """Enter on a run that did not finish."""

        info: RunInfo

    @dataclass
    class Unreadable(Message):
        text: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.runs: list[PastRun] = []
        self.running: Path | None = None

    def compose(self) -> ComposeResult:
        yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="history-detail", markup=False)

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#history-table", DataTable)

    def on_mount(self) -> None:
        for label in ("Started", "State", "Models", "Examples", "File"):  # the file may be long
            self.table.add_column(label, key=label)

    @work(thread=True, exclusive=True, group="eval-history", exit_on_error=False)
    def reload(self) -> None:
        """Read the list of runs again (in a thread: each run's run.json is read)."""
        from tuner.data.eval.history import past_runs

        self.post_message(self.Listed(past_runs()))

    @on(Listed)
    def _listed(self, message: Listed) -> None:
        self.runs = message.runs
        table = self.table
        before = self.selected()
        selected = str(before.folder) if before is not None else None
        table.clear()
        running = self.running.resolve() if self.running is not None else None
        for run in self.runs:
            info = run.info
            state = Text("finished") if info.finished else Text("stopped", style="yellow")
            if running is not None and run.folder == running:
                state = Text("running", style="bold")
            table.add_row(
                when(info.started),
                state,
                str(len(info.models)),
                f"{info.examples:,}",
                outside_line(Path(info.file).name if info.file else "?"),
                key=str(run.folder),
            )
        if selected is not None and any(str(run.folder) == selected for run in self.runs):
            table.move_cursor(row=table.get_row_index(selected), animate=False)
        self._detail()

    def selected(self) -> PastRun | None:
        table = self.table
        if table.row_count == 0 or not table.is_valid_row_index(table.cursor_row):
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return next((run for run in self.runs if str(run.folder) == key), None)

    @on(DataTable.RowHighlighted, "#history-table")
    def _detail(self) -> None:
        run = self.selected()
        detail = self.query_one("#history-detail", Static)
        if run is None:
            text = "No run yet: runs made here or with tuner eval are listed here."
            detail.update(Text(text, style="dim"))
            return
        info = run.info
        text = Text()
        for index, label in enumerate(info.models):
            text.append(f"{model_letter(index)} ", style="bold")
            text.append_text(outside_line(label))
            text.append("\n")
        graders = "graders " + ", ".join(info.graders)
        text.append_text(outside_line(graders + (f" · judge {info.judge}" if info.judge else "")))
        text.append("\n")
        text.append_text(outside_line(str(run.folder), style="dim"))
        if not info.finished:
            text.append(
                "\nnot finished: enter sets it up again; r then asks nothing already answered",
                style="yellow",
            )
        detail.update(text)

    @on(DataTable.RowSelected, "#history-table")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        run = self.selected()
        if run is None:
            return
        if run.info.finished:
            self._read(run.folder)
        else:
            self.post_message(self.SetUpAgain(run.info))

    @work(thread=True, exclusive=True, group="eval-open", exit_on_error=False)
    def _read(self, folder: Path) -> None:
        from tuner.data.eval.example_rows import RunExamples, run_examples
        from tuner.data.eval.history import read_run_info
        from tuner.data.eval.runs import RunError, read_run

        try:
            run = read_run(folder)
        except RunError as exc:
            self.post_message(self.Unreadable(str(exc)))
            return
        info = read_run_info(folder)
        if info is None:
            examples = RunExamples({}, f"{folder}: no run.json to name its file")
        else:
            examples = run_examples(info.file, info.reference)
        self.post_message(self.Opened(run, info, examples))
