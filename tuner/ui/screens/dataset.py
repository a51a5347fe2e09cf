"""The dataset screen: every example of a training file, checked, counted and priced.

The file is never loaded. A thread worker indexes line offsets (`LineIndex.scan_iter`) and
posts its progress; the virtual list grows with each batch and reads only the rows on screen.
A second thread worker runs the full analysis (`Services.analyse`: validation, tokens, cost)
with a progress bar and can be stopped with `x`; its report fills in token counts, problem
markers, the problems tree and the statistics. The search bar (`SearchBar`) owns its own scan
and matches. Upload checks the file and sends it through the app's service session in an async
worker. Workers post their results as messages, and their failures as typed ones (`ScanFailed`,
`AnalysisFailed`, `UploadFailed`, see `tuner.ui.failures`).

Keys `n` / `N` step through problem lines, or through search matches while a search is
active; the footer names which. Escape closes the find bar, a second one ends the search.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container
from textual.message import Message
from textual.widgets import Footer, Header, Static, TabbedContent, TabPane
from textual.worker import Worker, get_current_worker

from tuner.data.visible_text import visible_line
from tuner.data.wording import plural
from tuner.ui.failures import WorkFailed, describe_error, fails_as
from tuner.ui.modals import ConfirmModal
from tuner.ui.outside import outside
from tuner.ui.session import ConnectionChanged
from tuner.ui.tuner_screen import TunerScreen
from tuner.ui.widgets.activity_line import ActivityLine
from tuner.ui.widgets.conversation import PARSE_LIMIT, RAW_LIMIT, ConversationView, build_preview
from tuner.ui.widgets.example_list import ExampleList
from tuner.ui.widgets.problems_pane import ProblemsPane
from tuner.ui.widgets.search_bar import SearchBar
from tuner.ui.widgets.stats_pane import StatsPane

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tuner.data.analysis.report import AnalysisReport
    from tuner.data.catalog.lookup import Catalog
    from tuner.data.jsonl.line_index import LineIndex
    from tuner.data.jsonl.line_marks import LineMarks
    from tuner.data.rules.problems import Problem
    from tuner.data.summary import ExampleSummary

FIRST_BATCH_LINES = 200  # the first rows are painted after this many lines are indexed
BATCH_LINES = 50_000
# What the status line shows when several things run at once: the first in this order.
ACTIVITY_ORDER = ("upload", "analysis", "search", "scan")


@dataclass
class AnalysisDone(Message):
    report: AnalysisReport


@dataclass
class Uploaded(Message):
    file_id: str
    said: str = ""  # what a reused upload says ("reusing file-... (uploaded ..., identical)")


class ScanFailed(WorkFailed):
    DOING = "read the file"


class AnalysisFailed(WorkFailed):
    DOING = "analyse the file"


class UploadFailed(WorkFailed):
    DOING = "upload the file"


class DatasetScreen(TunerScreen[None]):
    """One training file: the example list above (or beside) preview, problems and stats."""

    CSS_PATH = "dataset.tcss"
    TITLE = "Dataset"
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (110, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Find", id="dataset.search"),
        # n / N mean "next match" while a search is active, else "next problem": one pair of
        # bindings is enabled at a time (check_action), so the footer always names the meaning.
        Binding("n", "next_match", "Next match", id="dataset.next_match"),
        Binding("N", "previous_match", "Prev match", id="dataset.previous_match", show=False),
        Binding("n", "next_problem", "Next problem", id="dataset.next_problem"),
        Binding("N", "previous_problem", "Prev problem", id="dataset.previous_problem", show=False),
        # escape closes the find bar (the search stays: n / N step its matches), then a second
        # escape ends the search; once the bar is closed, find's keys leave the footer.
        Binding("escape", "close_find", "Close find", id="dataset.close_find"),
        Binding("escape", "end_search", "End search", id="dataset.end_search", show=False),
        Binding("r", "toggle_raw", "Raw JSON", id="dataset.raw", show=False),
        Binding("u", "upload", "Upload", id="dataset.upload"),
        Binding("J", "new_job", "New job", id="dataset.new_job"),
        Binding("C", "convert", "Convert to JSONL", id="dataset.convert"),
        Binding("x", "stop_analysis", "Stop analysis", id="dataset.stop_analysis"),
        Binding("1", "tab('preview')", "Preview", id="dataset.tab_preview", show=False),
        Binding("2", "tab('problems')", "Problems", id="dataset.tab_problems", show=False),
        Binding("3", "tab('stats')", "Stats", id="dataset.tab_stats", show=False),
        Binding("plus,equals_sign", "epochs(1)", "Epochs +1", id="dataset.epochs_up", show=False),
        Binding("minus", "epochs(-1)", "Epochs -1", id="dataset.epochs_down", show=False),
    ]

    # -- messages from the workers -----------------------------------------------------------

    class ScanProgressed(Message):
        """The index covers `lines` lines; each one supersedes the previous."""

        def __init__(self, lines: int, scanned: int, total: int, done: bool) -> None:
            super().__init__()
            self.lines = lines
            self.scanned = scanned
            self.total = total
            self.done = done

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, DatasetScreen.ScanProgressed)

    class AnalysisProgressed(Message):
        def __init__(self, done: int, total: int) -> None:
            super().__init__()
            self.done = done
            self.total = total

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, DatasetScreen.AnalysisProgressed)

    class UploadProgressed(Message):
        def __init__(self, sent: int, total: int) -> None:
            super().__init__()
            self.sent = sent
            self.total = total

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, DatasetScreen.UploadProgressed)

    # -- set-up ------------------------------------------------------------------------------

    def __init__(self, path: Path, *, upload: bool = False) -> None:
        super().__init__()
        self.path = Path(path)
        self._upload_when_checked = upload  # asked for from the browser or the palette
        self.index: LineIndex | None = None
        self.report: AnalysisReport | None = None
        self.show_raw = False
        self.uploaded_file_id: str | None = None
        self.file_problem: str | None = None
        self._catalog: Catalog | None = None
        self._problems_by_line: dict[int, list[Problem]] = {}
        self._problem_lines: Sequence[int] = ()  # every line with a finding, ascending
        self._marks: LineMarks | None = None
        self._jump_pending = False  # a new search jumps to its first match at or after the cursor
        self._analysis_started = False
        self._estimate_text = ""

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = self.tuner.catalog()
        return self._catalog

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        yield Static("", id="banner", markup=False)
        with Container(id="body"):
            yield ExampleList(self._summarise, id="examples")
            with TabbedContent(id="tabs", initial="preview-tab"):
                with TabPane("Preview", id="preview-tab"):
                    yield ConversationView(id="preview")
                with TabPane("Problems", id="problems-tab"):
                    yield ProblemsPane(id="problems")
                with TabPane("Stats", id="stats-tab"):
                    models = [m.id for m in self.catalog.models]
                    yield StatsPane(models, self.tuner.default_model, id="stats")
        yield SearchBar(self.path, id="search")
        yield ActivityLine(ACTIVITY_ORDER, {"analysis": "  (x stops)"}, id="status")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.title = f"Dataset · {self.path.name}"
        self.sub_title = None
        self.examples.focus()
        self.query_one(ConversationView).show(Text("Reading…", style="dim"))
        from tuner.data.jsonl.line_index import LineIndex

        try:
            if self.path.is_dir():
                raise IsADirectoryError(21, "Is a directory")
            self.index = LineIndex(self.path)
        except OSError as exc:
            self._cannot_read(exc)
            return
        self.examples.index = self.index
        self._activity_set("scan", "Indexing lines", 0, 1)
        self._scan(self.index)

    def on_unmount(self) -> None:
        if self.index is not None:
            self.index.close()

    def current_file(self) -> Path:
        return self.path

    # -- widgets -----------------------------------------------------------------------------

    @property
    def examples(self) -> ExampleList:
        return self.query_one(ExampleList)

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one(TabbedContent)

    @property
    def stats(self) -> StatsPane:
        return self.query_one(StatsPane)

    @property
    def search_bar(self) -> SearchBar:
        return self.query_one(SearchBar)

    @property
    def activity(self) -> ActivityLine:
        return self.query_one(ActivityLine)

    # -- reading rows ------------------------------------------------------------------------

    def _summarise(self, line: int) -> ExampleSummary:
        """The list row of `line`: called from `render_line`, only for rows on screen."""
        from tuner.data.summary import summarise_indexed

        return summarise_indexed(self.index, line, service=self.tuner.data_rules)

    # -- scanning ----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="scan", exit_on_error=False)
    @fails_as(ScanFailed)
    def _scan(self, index: LineIndex) -> None:
        """Index the file: a small first batch for the first paint, then large batches."""
        cancel = get_current_worker().cancelled_event
        first = index.scan_iter(batch_lines=FIRST_BATCH_LINES, cancel=cancel)
        for progress in first:
            self.post_message(
                self.ScanProgressed(
                    progress.lines, progress.bytes_scanned, progress.total_bytes, progress.done
                )
            )
            break
        first.close()
        for progress in index.scan_iter(batch_lines=BATCH_LINES, cancel=cancel):
            self.post_message(
                self.ScanProgressed(
                    progress.lines, progress.bytes_scanned, progress.total_bytes, progress.done
                )
            )

    @on(ScanProgressed)
    def _scan_progressed(self, event: ScanProgressed) -> None:
        self.examples.set_line_count(event.lines, done=event.done)
        if not self._analysis_started:
            # After the first rows are drawn: loading a vocabulary would delay them.
            self._analysis_started = True
            self.call_after_refresh(self._start_analysis)
        if event.done:
            self._show_summary()
            self.activity.clear("scan")
            if event.lines == 0:
                self.query_one(ConversationView).show(Text("(empty file)", style="dim"))
        else:
            self._activity_set(
                "scan", f"Indexing lines: {event.lines:,}", event.scanned, event.total
            )

    # -- the preview -------------------------------------------------------------------------

    @on(ExampleList.Highlighted)
    def _highlighted(self, event: ExampleList.Highlighted) -> None:
        self._show_preview(event.line)

    def _show_preview(self, line: int) -> None:
        view = self.query_one(ConversationView)
        if self.index is None or line < 1 or line > len(self.index):
            return
        problems = self._problems_by_line.get(line, [])
        try:
            raw, total = self.index.line_head(line, PARSE_LIMIT, RAW_LIMIT)
        except OSError as exc:
            view.show(outside(f"Cannot read line {line}: {describe_error(exc)}", "bold red"))
            return
        if not problems and len(raw) == total and self._marks and self._marks.get(line) is not None:
            # A line past the findings listed per code: its own ones, found again.
            from tuner.data.rules.check import check_example

            problems = check_example(raw, line, self.tuner.data_rules).problems
        tokens = self.examples.tokens_for(line)
        find = self.search_bar.search_text
        view.show(
            build_preview(line, raw, total, problems, tokens, show_raw=self.show_raw, find=find)
        )

    def action_toggle_raw(self) -> None:
        self.show_raw = not self.show_raw
        self.tabs.active = "preview-tab"
        self._show_preview(self.examples.line)

    def action_tab(self, name: str) -> None:
        self.tabs.active = f"{name}-tab"
        if name != "problems":
            self.examples.focus()

    @on(TabbedContent.TabActivated, "#tabs")
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        """The Problems tab, however it was reached (2, a click, the tab bar), takes the keys:
        enter, space and → act on its list at once."""
        if event.pane.id == "problems-tab":
            self.query_one(ProblemsPane).tree.focus()

    @on(ConnectionChanged)
    def _rules_changed(self) -> None:
        """Another service: its rules, models and prices. The rows and the analysis are
        worked out again (the file's index stays)."""
        self._catalog = None
        models = [m.id for m in self.catalog.models]
        self.stats.set_models(models, self.tuner.default_model)
        self.examples.forget()  # the rows' marks were the old rules'; the analysis redoes the rest
        if self._analysis_started:
            self._start_analysis()

    # -- analysis ----------------------------------------------------------------------------

    def _start_analysis(self) -> None:
        self._activity_set("analysis", "Checking and counting tokens", 0, 1)
        self.refresh_bindings()
        self._analyse(self.stats.model, self.stats.epochs)

    @work(thread=True, exclusive=True, group="analysis", exit_on_error=False)
    @fails_as(AnalysisFailed)
    def _analyse(self, model: str, epochs: int | None) -> None:
        cancel = get_current_worker().cancelled_event

        def progress(done: int, total: int) -> None:
            self.post_message(self.AnalysisProgressed(done, total))

        report = self.tuner.services.analyse(
            self.path,
            model,
            epochs=epochs,
            catalog=self.catalog,
            progress=progress,
            cancel=cancel,
            service=self.tuner.data_rules,
        )
        self.post_message(AnalysisDone(report))

    @on(AnalysisProgressed)
    def _analysis_progressed(self, event: AnalysisProgressed) -> None:
        self.activity.progress("analysis", event.done, event.total)

    def action_stop_analysis(self) -> None:
        self.workers.cancel_group(self, "analysis")
        self.activity.clear("analysis")
        self.notify("Analysis stopped: token counts and problems are not shown")
        self.refresh_bindings()

    @on(AnalysisDone)
    def _analysis_done(self, message: AnalysisDone) -> None:
        report = message.report
        self.report = report
        by_line, marks, file_errors = report.problems_by_line()
        self._problems_by_line = by_line
        self._marks = marks
        self._problem_lines = marks.lines
        self.examples.set_report(report.example_lines, report.token_counts, marks)
        self.query_one(ProblemsPane).show(report.problems, report.problems_left_out())
        errors, warnings = report.error_count, report.warning_count
        label = "Problems" if not (errors or warnings) else f"Problems {errors + warnings:,}"
        self.tabs.get_tab("problems-tab").label = label
        self._show_banner(file_errors)
        self._price()
        self._show_preview(self.examples.line)
        self.activity.clear("analysis")
        self.refresh_bindings()
        if self._upload_when_checked:
            self._upload_when_checked = False
            self.action_upload()

    def _show_banner(self, problems: list[Problem]) -> None:
        banner = self.query_one("#banner", Static)
        if not problems and self.file_problem is None:
            banner.display = False
            return
        text = Text()
        if self.file_problem is not None:
            text.append_text(outside(f"✗ {self.file_problem}", "bold"))
        for p in problems:
            if text:
                text.append("\n")
            text.append_text(outside(f"✗ {p.message}"))
        banner.update(text)
        banner.display = True

    def _cannot_read(self, error: BaseException) -> None:
        self.file_problem = f"Cannot read {self.path.name}: {describe_error(error)}"
        self._show_banner([])
        self.query_one(ConversationView).show(outside(self.file_problem, "bold red"))
        self.query_one(ProblemsPane).show_message(self.file_problem)
        self.stats.show_message(self.file_problem)
        self._show_summary()
        for name in ("scan", "analysis"):
            self.activity.clear(name)
        self.refresh_bindings()

    # -- pricing -----------------------------------------------------------------------------

    @on(StatsPane.PricingChanged)
    def _pricing_changed(self, event: StatsPane.PricingChanged) -> None:
        report = self.report
        if report is None:
            return  # the analysis in progress reads the choice when it is done
        resolution = self.catalog.resolve(event.model)
        template = resolution.chat_template or "openai"
        if resolution.encoding == report.encoding and template == report.chat_template:
            self._price()  # the same tokens: only the price per token changed
        else:
            self._start_analysis()

    def _price(self) -> None:
        report = self.report
        if report is None:
            return
        model, epochs = self.stats.model, self.stats.epochs
        info = self.catalog.resolve(model).info
        if model == report.model and epochs == report.epochs:
            estimate = report.estimate
        else:
            estimate = report.reprice(info, epochs)
        limit = info.example_token_limit if info is not None else None
        self.stats.show(report, estimate, limit)
        epochs = plural(estimate.epochs, "epoch")
        self._estimate_text = f"{estimate.cost_text} ({model}, {epochs})"
        self._show_summary()

    def action_epochs(self, delta: int) -> None:
        """`+` / `-` step the epochs from the service's choice; `-` below 1 is that choice again
        (auto), so a user who tried a figure can always go back."""
        current = self.stats.epochs
        if current is None:
            current = self.report.estimate.epochs if self.report is not None else 3
        elif current + delta < 1:
            self.stats.set_epochs(None)
            return
        self.stats.set_epochs(max(1, min(50, current + delta)))

    # -- problems ----------------------------------------------------------------------------

    @on(ProblemsPane.JumpTo)
    def _jump_to_problem(self, event: ProblemsPane.JumpTo) -> None:
        self.examples.go_to_line(event.line)
        self.tabs.active = "preview-tab"
        self.examples.focus()

    def action_next_problem(self) -> None:
        self._step(self._problem_lines, 1, "problem")

    def action_previous_problem(self) -> None:
        self._step(self._problem_lines, -1, "problem")

    def _step(self, lines: list[int], direction: int, what: str) -> None:
        if not lines:
            self.notify(f"No {what}s", severity="warning")
            return
        current = self.examples.line
        if direction > 0:
            i = bisect_right(lines, current)
            target = lines[i] if i < len(lines) else lines[0]
            wrapped = i >= len(lines)
        else:
            i = bisect_left(lines, current) - 1
            target = lines[i] if i >= 0 else lines[-1]
            wrapped = i < 0
        if wrapped and len(lines) > 1:
            self.notify(f"Wrapped to the {'first' if direction > 0 else 'last'} {what}")
        self.examples.go_to_line(target)

    # -- search ------------------------------------------------------------------------------

    def action_search(self) -> None:
        self.search_bar.opened = True
        self.refresh_bindings()

    @on(SearchBar.Found)
    def _search_found(self, event: SearchBar.Found) -> None:
        bar = event.bar
        if event.next_requested:
            self.action_next_match()
            return
        if not bar.matches and not bar.done:
            self._jump_pending = True  # a new search: jump once its first match is known
            self._show_preview(self.examples.line)  # its text marked where the row shows it
        self.examples.set_matches(bar.match_set)
        self.examples.refresh()
        if bar.done:
            self.activity.clear("search")
        else:
            label = f"Searching: {bar.count_text()}" if bar.matches else "Searching"
            self._activity_set("search", label, bar.scanned, bar.total or 1)
        if self._jump_pending:
            target = bar.first_from(self.examples.line)
            if target is not None:
                self._jump_pending = False
                self.examples.go_to_line(target)
            elif bar.done:
                self._jump_pending = False
                if bar.matches:
                    self.examples.go_to_line(bar.matches[0])
                else:
                    self.notify(f"No line contains {bar.search_text!r}", severity="warning")
        self.refresh_bindings()

    def action_next_match(self) -> None:
        self._step(self.search_bar.matches, 1, "match")

    def action_previous_match(self) -> None:
        self._step(self.search_bar.matches, -1, "match")

    def action_close_find(self) -> None:
        """Close the bar; the search stays active (n / N step its matches)."""
        self.search_bar.close()

    def action_end_search(self) -> None:
        self.search_bar.end()

    @on(SearchBar.Closed)
    def _search_closed(self) -> None:
        self.examples.focus()
        self.refresh_bindings()

    @on(SearchBar.Ended)
    def _search_ended(self) -> None:
        self._jump_pending = False
        self.activity.clear("search")
        self.examples.set_matches(set())
        self._show_preview(self.examples.line)
        self.refresh_bindings()

    # -- upload and new job ------------------------------------------------------------------

    def _can_reach_service(self) -> bool:
        problem = self.tuner.session.problem
        if problem is not None:
            self.notify(problem, severity="warning")
        return problem is None

    def action_convert(self) -> None:
        """This `.json` file as JSONL beside it, opened here once written."""
        self.tuner.convert_json(self.path)

    def action_new_job(self) -> None:
        """The new-job form, prefilled with this file (and its uploaded id, once uploaded), and
        the model and epochs chosen on the Stats tab."""
        if self._can_reach_service():
            self.tuner.open_new_job(
                path=self.path,
                file_id=self.uploaded_file_id,
                model=self.stats.model,
                epochs=self.stats.epochs,  # set on the Stats tab; None: the service's choice
            )

    def action_upload(self) -> None:
        if not self._can_reach_service():
            return
        if self.activity.shows("upload"):
            self.notify("An upload is already running")
            return
        if self.uploaded_file_id is not None:
            question = (
                f"{self.path.name} was uploaded already, as {self.uploaded_file_id}. "
                "Upload another copy?"
            )

            def again(yes: bool | None) -> None:
                if yes:  # another copy, on purpose: not the one the service holds
                    self.uploaded_file_id = None
                    self._check_then_upload(reuse=False)

            self.app.push_screen(ConfirmModal(question, title="Upload", yes="Upload"), again)
            return
        self._check_then_upload(reuse=True)

    def _check_then_upload(self, *, reuse: bool) -> None:
        """Upload, after asking when the file has errors. `reuse`: an identical file the
        service holds from an earlier upload is the answer (`upload_checked`)."""
        report = self.report
        if report is not None and not report.valid:
            question = (
                f"{self.path.name} has {plural(report.error_count, 'error')}; the service "
                "will likely refuse it. Upload anyway?"
            )

            def answered(yes: bool | None) -> None:
                if yes:
                    self._start_upload(force=True, reuse=reuse)

            self.app.push_screen(ConfirmModal(question, title="Upload", yes="Upload"), answered)
            return
        self._start_upload(force=False, reuse=reuse)

    def _start_upload(self, *, force: bool, reuse: bool = True) -> None:
        self._activity_set("upload", f"Uploading {self.path.name}")
        self._upload(force, reuse)

    @work(exclusive=True, group="upload", exit_on_error=False)
    @fails_as(UploadFailed)
    async def _upload(self, force: bool, reuse: bool = True) -> None:
        from tuner.api.files.checked_upload import upload_checked

        def progress(sent: int, total: int) -> None:
            self.post_message(self.UploadProgressed(sent, total))

        uploaded = await upload_checked(
            await self.tuner.session.opened(),
            self.path,
            force=force,
            progress=progress,
            report=self.report,
            reuse=reuse,
        )
        said = uploaded.describe(Path(self.path.name)) if uploaded.reused else ""
        self.post_message(Uploaded(uploaded.id, said))

    @on(UploadProgressed)
    def _upload_progressed(self, event: UploadProgressed) -> None:
        self.activity.progress("upload", event.sent, event.total)

    @on(Uploaded)
    def _uploaded(self, message: Uploaded) -> None:
        self.uploaded_file_id = message.file_id
        self.activity.clear("upload")
        self._show_summary()
        said = message.said[:1].upper() + message.said[1:] if message.said else ""
        done = said or f"Uploaded {self.path.name} as {message.file_id}"
        self.notify(visible_line(f"{done} (J: new job)"), title="Upload", markup=False)

    # -- failures ----------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A cancelled upload or analysis just clears its activity (failures come as
        messages, below)."""
        from textual.worker import WorkerState

        if event.state is WorkerState.CANCELLED and event.worker.group in ("upload", "analysis"):
            self.activity.clear(event.worker.group)

    def on_scan_failed(self, failed: ScanFailed) -> None:
        self._cannot_read(failed.error)

    def on_analysis_failed(self, failed: AnalysisFailed) -> None:
        from tuner.data.analysis.report import AnalysisCancelled

        self.activity.clear("analysis")
        self.refresh_bindings()
        if isinstance(failed.error, AnalysisCancelled):
            return
        if isinstance(failed.error, OSError):
            self._cannot_read(failed.error)
            return
        message = f"Analysis failed: {failed.reason}"
        self.query_one(ProblemsPane).show_message(message)
        self.stats.show_message(message)
        self.notify(message, severity="error")

    def on_upload_failed(self, failed: UploadFailed) -> None:
        self.activity.clear("upload")
        self.notify(f"Upload failed: {failed.reason}", severity="error")

    # -- the status line ---------------------------------------------------------------------

    def _activity_set(self, name: str, label: str, done: float = 0, total: float = 1) -> None:
        self.activity.start(name, label, done, total)

    def _show_summary(self) -> None:
        self.activity.show_summary(self._summary_text())

    def _summary_text(self) -> str:
        if self.file_problem is not None:
            return self.file_problem
        # What matters first, so a narrow terminal cuts the least useful end: the verdict,
        # the cost, then the file's figures.
        parts: list[str] = []
        report = self.report
        if report is not None:
            if report.errors:
                parts.append(f"✗ {plural(report.error_count, 'error')}")
            elif report.warnings:
                parts.append(f"! {plural(report.warning_count, 'warning')}")
            else:
                parts.append("✓ valid")
            if report.examples and self._estimate_text:
                parts.append(self._estimate_text)
        parts.append(self.path.name)
        if self.index is not None and self.index.scanned:
            parts.append(plural(len(self.index), "line"))
        if report is not None and report.examples:
            parts.append(f"{report.stats.total:,} tokens")
        if self.uploaded_file_id:
            parts.append(f"uploaded: {self.uploaded_file_id}")
        return " · ".join(parts)

    # -- which keys apply --------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        bar = self.search_bar
        searching = bar.active
        if action in ("next_match", "previous_match"):
            return searching
        if action in ("next_problem", "previous_problem"):
            if searching:
                return False
            return True if self._problem_lines else None
        if action == "close_find":
            return bar.opened
        if action == "end_search":
            return searching and not bar.opened
        if action == "stop_analysis":
            return self.activity.shows("analysis")
        if action == "convert":
            return self.path.suffix.lower() == ".json"
        if action in ("upload", "new_job"):
            return self.path.suffix.lower() != ".json"  # convert it first
        return True
