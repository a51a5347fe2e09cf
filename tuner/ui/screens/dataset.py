"""The dataset screen: every example of a training file, checked, counted and priced.

The file is never loaded. A thread worker indexes line offsets (`LineIndex.scan_iter`) and
posts its progress; the virtual list grows with each batch and reads only the rows on screen.
A second thread worker runs the full analysis (`Services.analyse`: validation, tokens, cost)
with a progress bar and can be stopped with `x`; its report fills in token counts, problem
markers, the problems tree and the statistics. Search is a third worker that scans the file's
bytes. Upload goes through `Services.upload` in an async worker.

Keys `n` / `N` step through problem lines, or through search matches while a search is
active; the footer names which, and escape ends the search.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import (
    Footer,
    Header,
    Input,
    Label,
    ProgressBar,
    Static,
    TabbedContent,
    TabPane,
)
from textual.worker import Worker, WorkerState, get_current_worker

from tuner.ui.modals import ConfirmModal
from tuner.ui.services import plural
from tuner.ui.widgets.conversation import PARSE_LIMIT, RAW_LIMIT, ConversationView, build_preview
from tuner.ui.widgets.example_list import ExampleList
from tuner.ui.widgets.problems_pane import ProblemsPane
from tuner.ui.widgets.stats_pane import StatsPane

if TYPE_CHECKING:
    from tuner.data.analysis import AnalysisReport
    from tuner.data.catalog import Catalog
    from tuner.data.lines import LineIndex
    from tuner.data.problems import Problem
    from tuner.data.summary import ExampleSummary
    from tuner.ui.app import TunerApp

FIRST_BATCH_LINES = 200  # the first rows are painted after this many lines are indexed
BATCH_LINES = 50_000
NO_PROFILE = "No profile: press s for settings"
# What the status line shows when several things run at once: the first in this order.
ACTIVITY_ORDER = ("upload", "analysis", "search", "scan")


def describe_error(error: BaseException | None) -> str:
    """One readable phrase for a failure: an OSError's reason, else the message."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


class SearchBar(Horizontal):
    """`/ query` and the match count; enter finds the next match, escape closes it."""

    DEFAULT_CSS = """
    SearchBar { height: 1; display: none; }
    SearchBar.-open { display: block; }
    SearchBar > Label { width: auto; padding: 0 1; }
    SearchBar > Input { width: 1fr; }
    SearchBar > #search-count { width: auto; color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        yield Label("/", id="search-slash")
        yield Input(placeholder="search the file (enter: next match, esc: close)", compact=True)
        yield Label("", id="search-count")

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    def set_count(self, text: str) -> None:
        self.query_one("#search-count", Label).update(text)


class DatasetScreen(Screen[None]):
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
        Binding("escape", "escape", "End search", id="dataset.end_search"),
        Binding("r", "toggle_raw", "Raw JSON", id="dataset.raw", show=False),
        Binding("u", "upload", "Upload", id="dataset.upload"),
        Binding("J", "new_job", "New job", id="dataset.new_job"),
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

    class SearchFound(Message):
        """More lines matching `query` (not replaceable: each batch carries its own lines)."""

        def __init__(
            self, query: str, lines: list[int], scanned: int, total: int, done: bool
        ) -> None:
            super().__init__()
            self.query = query
            self.lines = lines
            self.scanned = scanned
            self.total = total
            self.done = done

    # -- set-up ------------------------------------------------------------------------------

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = Path(path)
        self.index: LineIndex | None = None
        self.report: AnalysisReport | None = None
        self.show_raw = False
        self.uploaded_file_id: str | None = None
        self.file_problem: str | None = None
        self._catalog: Catalog | None = None
        self._problems_by_line: dict[int, list[Problem]] = {}
        self._problem_lines: list[int] = []
        self._activities: dict[str, tuple[str, float, float]] = {}
        # Search state: the active query and the lines found so far (ascending).
        self.search_query: str | None = None
        self.search_lines: list[int] = []
        self._search_set: set[int] = set()
        self._search_done = False
        self._jump_pending = False
        self._bar_open = False
        self._analysis_started = False

    @property
    def tuner(self) -> TunerApp:
        return cast("TunerApp", self.app)

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = self.tuner.services.catalog(self.tuner.settings)
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
                    yield StatsPane(models, self.tuner.settings.default_model, id="stats")
        yield SearchBar(id="search")
        with Horizontal(id="status"):
            yield Static("", id="status-text", markup=False)
            yield ProgressBar(id="status-bar", show_eta=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.title = f"Dataset · {self.path.name}"
        self.sub_title = None
        self.examples.focus()
        self.query_one("#status-bar", ProgressBar).display = False
        self.query_one(ConversationView).show(Text("Reading…", style="dim"))
        from tuner.data.lines import LineIndex

        try:
            if self.path.is_dir():
                raise IsADirectoryError(21, "Is a directory")
            self.index = LineIndex(self.path)
        except OSError as exc:
            self._cannot_read(exc)
            return
        self.examples.index = self.index
        self._set_activity("scan", "Indexing lines", 0, 1)
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

    # -- reading rows ------------------------------------------------------------------------

    def _summarise(self, line: int) -> ExampleSummary:
        """The list row of `line`: called from `render_line`, only for rows on screen."""
        from tuner.data.durations import format_size
        from tuner.data.summary import (
            MAX_SUMMARY_BYTES,
            ExampleSummary,
            summarise_line,
        )

        index = self.index
        if index is None:
            return ExampleSummary("", "", bad=True)
        try:
            start, end = index.line_span(line)
            if end - start > MAX_SUMMARY_BYTES:
                return ExampleSummary(
                    "", f"(line of {format_size(end - start)}, too long to summarise)", bad=True
                )
            return summarise_line(index.line_bytes(line))
        except (OSError, IndexError) as exc:
            return ExampleSummary("", f"(cannot read: {describe_error(exc)})", bad=True)

    def _read_head(self, line: int) -> tuple[bytes, int]:
        """The bytes of `line` the preview needs (all of it, or its start if huge) and its size."""
        assert self.index is not None
        start, end = self.index.line_span(line)
        total = end - start
        if total <= PARSE_LIMIT:
            raw = self.index.line_bytes(line)
            return raw, len(raw)
        with open(self.index.path, "rb") as f:
            f.seek(start)
            return f.read(RAW_LIMIT), total

    # -- scanning ----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="scan", exit_on_error=False)
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
            self._clear_activity("scan")
            if event.lines == 0:
                self.query_one(ConversationView).show(Text("(empty file)", style="dim"))
        else:
            self._set_activity(
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
            raw, total = self._read_head(line)
        except OSError as exc:
            view.show(Text(f"Cannot read line {line}: {describe_error(exc)}", style="bold red"))
            return
        tokens = self.examples.tokens_for(line)
        view.show(build_preview(line, raw, total, problems, tokens, show_raw=self.show_raw))

    def action_toggle_raw(self) -> None:
        self.show_raw = not self.show_raw
        self.tabs.active = "preview-tab"
        self._show_preview(self.examples.line)

    def action_tab(self, name: str) -> None:
        self.tabs.active = f"{name}-tab"
        if name == "problems":
            self.query_one(ProblemsPane).tree.focus()
        else:
            self.examples.focus()

    # -- analysis ----------------------------------------------------------------------------

    def _start_analysis(self) -> None:
        self._set_activity("analysis", "Checking and counting tokens", 0, 1)
        self.refresh_bindings()
        self._analyse(self.stats.model, self.stats.epochs)

    @work(thread=True, exclusive=True, group="analysis", exit_on_error=False)
    def _analyse(self, model: str, epochs: int | None) -> AnalysisReport:
        cancel = get_current_worker().cancelled_event

        def progress(done: int, total: int) -> None:
            self.post_message(self.AnalysisProgressed(done, total))

        return self.tuner.services.analyse(
            self.path,
            model,
            epochs=epochs,
            catalog=self.catalog,
            progress=progress,
            cancel=cancel,
        )

    @on(AnalysisProgressed)
    def _analysis_progressed(self, event: AnalysisProgressed) -> None:
        if "analysis" in self._activities:
            self._set_activity("analysis", "Checking and counting tokens", event.done, event.total)

    def action_stop_analysis(self) -> None:
        for worker in self.workers:
            if worker.group == "analysis" and not worker.is_finished:
                worker.cancel()
        self._clear_activity("analysis")
        self.notify("Analysis stopped: token counts and problems are not shown")
        self.refresh_bindings()

    def _analysis_done(self, report: AnalysisReport) -> None:
        self.report = report
        by_line: dict[int, list[Problem]] = {}
        markers: dict[int, bool] = {}
        file_errors: list[Problem] = []
        for p in report.problems:
            if p.line is None:
                if p.is_error:
                    file_errors.append(p)
                continue
            by_line.setdefault(p.line, []).append(p)
            markers[p.line] = markers.get(p.line, False) or p.is_error
        self._problems_by_line = by_line
        self._problem_lines = sorted(by_line)
        self.examples.set_report(report.example_lines, report.token_counts, markers)
        self.query_one(ProblemsPane).show(report.problems)
        errors, warnings = len(report.errors), len(report.warnings)
        label = "Problems" if not (errors or warnings) else f"Problems {errors + warnings:,}"
        self.tabs.get_tab("problems-tab").label = label
        self._show_banner(file_errors)
        self._price()
        self._show_preview(self.examples.line)
        self._clear_activity("analysis")
        self.refresh_bindings()

    def _show_banner(self, problems: list[Problem]) -> None:
        banner = self.query_one("#banner", Static)
        if not problems and self.file_problem is None:
            banner.display = False
            return
        text = Text()
        if self.file_problem is not None:
            text.append(f"✗ {self.file_problem}", style="bold")
        for p in problems:
            if text:
                text.append("\n")
            text.append(f"✗ {p.message}")
        banner.update(text)
        banner.display = True

    def _cannot_read(self, error: BaseException) -> None:
        self.file_problem = f"Cannot read {self.path.name}: {describe_error(error)}"
        self._show_banner([])
        self.query_one(ConversationView).show(Text(self.file_problem, style="bold red"))
        self.query_one(ProblemsPane).show_message(self.file_problem)
        self.stats.show_message(self.file_problem)
        for name in ("scan", "analysis"):
            self._clear_activity(name)
        self.refresh_bindings()

    # -- pricing -----------------------------------------------------------------------------

    @on(StatsPane.PricingChanged)
    def _pricing_changed(self, event: StatsPane.PricingChanged) -> None:
        report = self.report
        if report is None:
            return  # the analysis in progress reads the choice when it is done
        resolution = self.catalog.resolve(event.model)
        if resolution.encoding == report.encoding and report.exact_tokens:
            self._price()
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
        self._estimate_text = f"{estimate.cost_text} ({model}, {estimate.epochs} epochs)"
        self._update_status()

    _estimate_text = ""

    def action_epochs(self, delta: int) -> None:
        current = self.stats.epochs
        if current is None:
            current = self.report.estimate.epochs if self.report is not None else 3
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
        bar = self.search_bar
        bar.add_class("-open")
        self._bar_open = True
        bar.input.focus()
        self.refresh_bindings()

    @on(Input.Submitted, "SearchBar Input")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        query = event.value
        if not query:
            return
        if query == self.search_query:
            self.action_next_match()
            return
        self.search_query = query
        self.search_lines = []
        self._search_set = set()
        self._search_done = False
        self._jump_pending = True
        self.examples.set_matches(self._search_set)
        self.search_bar.set_count("searching…")
        self._set_activity("search", f"Searching for {query!r}", 0, 1)
        self.refresh_bindings()
        self._search(query)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _search(self, query: str) -> None:
        from tuner.data.search import search_file

        cancel = get_current_worker().cancelled_event
        for batch in search_file(self.path, query, cancel=cancel):
            self.post_message(
                self.SearchFound(
                    query, batch.lines, batch.bytes_scanned, batch.total_bytes, batch.done
                )
            )

    @on(SearchFound)
    def _search_found(self, event: SearchFound) -> None:
        if event.query != self.search_query:
            return  # a superseded search
        if event.lines:
            self.search_lines.extend(event.lines)
            self._search_set.update(event.lines)
            self.examples.refresh()
        self._search_done = event.done
        n = len(self.search_lines)
        count = f"{n:,} {'match' if n == 1 else 'matches'}"
        if event.done:
            self._clear_activity("search")
            self.search_bar.set_count(count)
        else:
            self._set_activity("search", f"Searching: {count}", event.scanned, event.total)
            self.search_bar.set_count(count + "…")
        if self._jump_pending:
            current = self.examples.line
            i = bisect_left(self.search_lines, current)
            if i < len(self.search_lines):
                self._jump_pending = False
                self.examples.go_to_line(self.search_lines[i])
            elif event.done:
                self._jump_pending = False
                if self.search_lines:
                    self.examples.go_to_line(self.search_lines[0])
                else:
                    self.notify(f"No line contains {self.search_query!r}", severity="warning")

    def action_next_match(self) -> None:
        self._step(self.search_lines, 1, "match")

    def action_previous_match(self) -> None:
        self._step(self.search_lines, -1, "match")

    def action_escape(self) -> None:
        bar = self.search_bar
        if self._bar_open:
            # First escape closes the bar; the search stays active (n / N step its matches).
            bar.remove_class("-open")
            self._bar_open = False
            self.examples.focus()
            self.refresh_bindings()
            return
        self._end_search()

    def _end_search(self) -> None:
        for worker in self.workers:
            if worker.group == "search" and not worker.is_finished:
                worker.cancel()
        self._clear_activity("search")
        self.search_query = None
        self.search_lines = []
        self._search_set = set()
        self.examples.set_matches(self._search_set)
        self.search_bar.input.value = ""
        self.search_bar.set_count("")
        self.refresh_bindings()

    # -- upload and new job ------------------------------------------------------------------

    def _connection_or_say_why(self) -> Any:
        active = self.tuner.connection
        if active.connection is None:
            detail = f" ({active.problem})" if active.problem else ""
            self.notify(NO_PROFILE + detail, severity="warning")
            return None
        return active.connection

    def action_new_job(self) -> None:
        """The new-job form, prefilled with this file (and its uploaded id, once uploaded)."""
        if self._connection_or_say_why() is None:
            return
        self.tuner.open_new_job(path=self.path, file_id=self.uploaded_file_id)

    def action_upload(self) -> None:
        if self._connection_or_say_why() is None:
            return
        if any(w.group == "upload" and not w.is_finished for w in self.workers):
            self.notify("An upload is already running")
            return
        report = self.report
        if report is not None and not report.valid:
            question = (
                f"{self.path.name} has {plural(len(report.errors), 'error')}; the service "
                "will likely refuse it. Upload anyway?"
            )

            def answered(yes: bool | None) -> None:
                if yes:
                    self._start_upload()

            self.app.push_screen(ConfirmModal(question, title="Upload", yes="Upload"), answered)
            return
        self._start_upload()

    def _start_upload(self) -> None:
        self._set_activity("upload", f"Uploading {self.path.name}", 0, 1)
        self._upload(self._connection_or_say_why())

    @work(exclusive=True, group="upload", exit_on_error=False)
    async def _upload(self, connection: Any) -> str:
        def progress(sent: int, total: int) -> None:
            self.post_message(self.UploadProgressed(sent, total))

        return await self.tuner.services.upload(connection, self.path, progress)

    @on(UploadProgressed)
    def _upload_progressed(self, event: UploadProgressed) -> None:
        if "upload" in self._activities:
            self._set_activity("upload", f"Uploading {self.path.name}", event.sent, event.total)

    def _uploaded(self, file_id: str) -> None:
        self.uploaded_file_id = file_id
        self._clear_activity("upload")
        self.notify(f"Uploaded {self.path.name} as {file_id} (J: new job)", title="Upload")

    # -- workers -----------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        group = worker.group
        if event.state == WorkerState.SUCCESS:
            if group == "analysis":
                self._analysis_done(cast("AnalysisReport", worker.result))
            elif group == "upload":
                self._uploaded(str(worker.result))
        elif event.state == WorkerState.ERROR:
            self._worker_failed(group, worker.error)
        elif event.state == WorkerState.CANCELLED and group == "upload":
            self._clear_activity("upload")

    def _worker_failed(self, group: str, error: BaseException | None) -> None:
        if group == "scan":
            self._cannot_read(error or OSError("unknown error"))
            return
        if group == "analysis":
            self._clear_activity("analysis")
            self.refresh_bindings()
            if type(error).__name__ == "AnalysisCancelled":
                return
            if isinstance(error, OSError):
                self._cannot_read(error)
                return
            message = f"Analysis failed: {describe_error(error)}"
            self.query_one(ProblemsPane).show_message(message)
            self.stats.show_message(message)
            self.notify(message, severity="error")
        elif group == "search":
            self._clear_activity("search")
            self.notify(f"Search failed: {describe_error(error)}", severity="error")
        elif group == "upload":
            self._clear_activity("upload")
            self.notify(f"Upload failed: {describe_error(error)}", severity="error")

    # -- the status line ---------------------------------------------------------------------

    def _set_activity(self, name: str, label: str, done: float, total: float) -> None:
        self._activities[name] = (label, done, total)
        self._update_status()

    def _clear_activity(self, name: str) -> None:
        if self._activities.pop(name, None) is not None:
            self._update_status()

    def _update_status(self) -> None:
        text = self.query_one("#status-text", Static)
        bar = self.query_one("#status-bar", ProgressBar)
        for name in ACTIVITY_ORDER:
            if name in self._activities:
                label, done, total = self._activities[name]
                hint = "  (x stops)" if name == "analysis" else ""
                text.update(label + hint)
                bar.display = True
                bar.update(total=max(total, 1), progress=done)
                return
        bar.display = False
        text.update(self._summary_text())

    def _summary_text(self) -> str:
        if self.file_problem is not None:
            return self.file_problem
        parts = [self.path.name]
        if self.index is not None and self.index.scanned:
            parts.append(plural(len(self.index), "line"))
        report = self.report
        if report is not None:
            if report.errors:
                parts.append(f"✗ {plural(len(report.errors), 'error')}")
            elif report.warnings:
                parts.append(f"! {plural(len(report.warnings), 'warning')}")
            else:
                parts.append("✓ valid")
            if report.examples:
                parts.append(f"{report.stats.total:,} tokens")
                if self._estimate_text:
                    parts.append(self._estimate_text)
        if self.uploaded_file_id:
            parts.append(f"uploaded: {self.uploaded_file_id}")
        return " · ".join(parts)

    # -- which keys apply --------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        searching = self.search_query is not None
        if action in ("next_match", "previous_match"):
            return searching
        if action in ("next_problem", "previous_problem"):
            if searching:
                return False
            return True if self._problem_lines else None
        if action == "escape":
            return searching or self._bar_open
        if action == "stop_analysis":
            return "analysis" in self._activities
        return True
