"""The dataset screen: every example of a training file, checked, counted and priced.

The file is never loaded: the example list indexes it and reads only the rows on screen
(`ExampleList.scan`). Each slow job runs in the widget that owns it, saying its progress on
the one status line (`ActivityLine`): the analysis (`FileAnalysis`: validation, tokens, cost;
`x` stops it), the search (`SearchBar`) and the upload (`FileUpload`). The screen wires them:
the analysis `report`, why the file cannot be read (`file_problem`) and `show_raw` are
reactives whose watchers fill the list, the tabs (`DatasetTabs`), the banner and the status
line, and the footer follows them (`check_action` reads them).

Keys `n` / `N` step through problem lines, or through search matches while a search is
active; the footer names which. Escape closes the find bar, a second one ends the search.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container
from textual.reactive import reactive
from textual.widgets import Footer, Header

from tuner.data.dataset_status import dataset_status
from tuner.data.line_findings import LineFindings
from tuner.data.wording import plural
from tuner.ui.failures import describe_error
from tuner.ui.outside import outside
from tuner.ui.session import ConnectionChanged
from tuner.ui.tuner_screen import TunerScreen
from tuner.ui.widgets.activity_line import ActivityLine
from tuner.ui.widgets.dataset_tabs import DatasetTabs
from tuner.ui.widgets.example_list import ExampleList
from tuner.ui.widgets.file_analysis import FileAnalysis
from tuner.ui.widgets.file_banner import FileBanner
from tuner.ui.widgets.file_upload import FileUpload
from tuner.ui.widgets.problems_pane import ProblemsPane
from tuner.ui.widgets.search_bar import SearchBar
from tuner.ui.widgets.stats_pane import StatsPane

if TYPE_CHECKING:
    from tuner.data.analysis.report import AnalysisReport
    from tuner.data.catalog.lookup import Catalog
    from tuner.data.jsonl.line_index import LineIndex
    from tuner.data.summary import ExampleSummary

# What the status line shows when several things run at once: the first in this order.
ACTIVITY_ORDER = ("upload", "analysis", "search", "scan")


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

    # -- state that drives the screen (watchers below; `bindings`: the footer follows) ------

    report: reactive[AnalysisReport | None] = reactive(
        None, always_update=True, bindings=True, init=False
    )
    """The last analysis: row marks, token counts, problems, figures, banner, price. (Always
    shown when set: two reports are never compared field by field.)"""
    file_problem: reactive[str | None] = reactive(None, always_update=True, init=False)
    """Why the file cannot be read: said in the banner, the preview, both panes, the status."""
    show_raw: reactive[bool] = reactive(False, init=False)
    """The preview shows the line's JSON as it is, not as a conversation."""

    # -- set-up ------------------------------------------------------------------------------

    def __init__(self, path: Path, *, upload: bool = False) -> None:
        super().__init__()
        self.path = Path(path)
        self._upload_when_checked = upload  # asked for from the browser or the palette
        self.index: LineIndex | None = None
        self._catalog: Catalog | None = None
        self.findings = LineFindings()  # the report's, by line (none before the analysis)
        self._analysis_started = False
        self._estimate_text = ""

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = self.tuner.catalog()
        return self._catalog

    def compose(self) -> ComposeResult:
        status = ActivityLine(ACTIVITY_ORDER, {"analysis": "  (x stops)"}, id="status")
        yield Header(icon="≡")
        yield FileBanner(id="banner")
        with Container(id="body"):
            yield ExampleList(self._summarise, status=status, id="examples")
            models = [m.id for m in self.catalog.models]
            yield DatasetTabs(models, self.tuner.default_model, id="tabs")
        yield SearchBar(self.path, status=status, id="search")
        yield status
        yield FileAnalysis(status, id="analysis")
        yield FileUpload(self.path, self.tuner.session.opened, status, id="upload")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.title = f"Dataset · {self.path.name}"
        self.sub_title = None
        self.examples.focus()
        self.tabs.preview.show(Text("Reading…", style="dim"))
        from tuner.data.jsonl.line_index import LineIndex

        try:
            if self.path.is_dir():
                raise IsADirectoryError(21, "Is a directory")
            self.index = LineIndex(self.path)
        except OSError as exc:
            self._cannot_read(exc)
            return
        self.examples.scan(self.index)

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
    def tabs(self) -> DatasetTabs:
        return self.query_one(DatasetTabs)

    @property
    def stats(self) -> StatsPane:
        return self.query_one(StatsPane)

    @property
    def search_bar(self) -> SearchBar:
        return self.query_one(SearchBar)

    @property
    def activity(self) -> ActivityLine:
        return self.query_one(ActivityLine)

    @property
    def uploaded_file_id(self) -> str | None:
        """The file's id on the service once uploaded from here (a new job starts with it)."""
        return self.query_one(FileUpload).file_id

    # -- reading rows ------------------------------------------------------------------------

    def _summarise(self, line: int) -> ExampleSummary:
        """The list row of `line`: called from `render_line`, only for rows on screen."""
        from tuner.data.summary import summarise_indexed

        return summarise_indexed(self.index, line, service=self.tuner.data_rules)

    @on(ExampleList.Scanned)
    def _scanned(self, event: ExampleList.Scanned) -> None:
        if not self._analysis_started:
            # After the first rows are drawn: loading a vocabulary would delay them.
            self._analysis_started = True
            self.call_after_refresh(self._start_analysis)
        if event.done:
            self._show_summary()
            if event.lines == 0:
                self.tabs.preview.show(Text("(empty file)", style="dim"))

    def on_example_list_read_failed(self, failed: ExampleList.ReadFailed) -> None:
        self._cannot_read(failed.error)

    def _cannot_read(self, error: BaseException) -> None:
        self.file_problem = f"Cannot read {self.path.name}: {describe_error(error)}"

    def watch_file_problem(self, problem: str | None) -> None:
        if problem is None:
            return
        self.query_one(FileBanner).show(problem)
        self.tabs.preview.show(outside(problem, "bold red"))
        self.tabs.show_message(problem)
        self._show_summary()
        self.activity.clear("scan")
        self.query_one(FileAnalysis).running = False

    # -- the preview -------------------------------------------------------------------------

    @on(ExampleList.Highlighted)
    def _highlighted(self, event: ExampleList.Highlighted) -> None:
        self._show_preview(event.line)

    def _show_preview(self, line: int | None = None) -> None:
        """Line `line` (default: the one under the cursor) in the Preview tab."""
        line = self.examples.line if line is None else line
        if self.index is not None:
            self.tabs.show_line(
                self.index,
                line,
                self.findings,
                tokens=self.examples.tokens_for(line),
                show_raw=self.show_raw,
                find=self.search_bar.search_text,
            )

    def action_toggle_raw(self) -> None:
        self.show_raw = not self.show_raw

    def watch_show_raw(self) -> None:
        self.tabs.active = "preview-tab"
        self._show_preview()

    def action_tab(self, name: str) -> None:
        self.tabs.active = f"{name}-tab"
        if name != "problems":
            self.examples.focus()

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
        tuner = self.tuner
        analyse = partial(
            tuner.services.analyse, self.path, catalog=self.catalog, service=tuner.data_rules
        )
        self.query_one(FileAnalysis).start(analyse, self.stats.model, self.stats.epochs)

    def action_stop_analysis(self) -> None:
        self.query_one(FileAnalysis).stop()
        self.notify("Analysis stopped: token counts and problems are not shown")

    @on(FileAnalysis.Done)
    def _analysis_done(self, message: FileAnalysis.Done) -> None:
        self.report = message.report
        if self._upload_when_checked:
            self._upload_when_checked = False
            self.action_upload()

    def watch_report(self, report: AnalysisReport | None) -> None:
        if report is None:
            return
        self.findings = LineFindings(report)
        self.examples.set_report(report.example_lines, report.token_counts, self.findings.marks)
        self.tabs.show_problems(report)
        self.query_one(FileBanner).show(self.file_problem, self.findings.file_errors)
        self._price()
        self._show_preview()

    def on_file_analysis_failed(self, failed: FileAnalysis.Failed) -> None:
        from tuner.data.analysis.report import AnalysisCancelled

        if isinstance(failed.error, AnalysisCancelled):
            return
        if isinstance(failed.error, OSError):
            self._cannot_read(failed.error)
            return
        message = f"Analysis failed: {failed.reason}"
        self.tabs.show_message(message)
        self.notify(message, severity="error")

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
        if self.report is None:
            return
        estimate = self.stats.show_priced(self.report, self.catalog)
        epochs = plural(estimate.epochs, "epoch")
        self._estimate_text = f"{estimate.cost_text} ({self.stats.model}, {epochs})"
        self._show_summary()

    def action_epochs(self, delta: int) -> None:
        """`+` / `-` step the epochs from the service's choice (`StatsPane.step_epochs`)."""
        self.stats.step_epochs(delta, self.report.estimate.epochs if self.report else 3)

    # -- problems ----------------------------------------------------------------------------

    @on(ProblemsPane.JumpTo)
    def _jump_to_problem(self, event: ProblemsPane.JumpTo) -> None:
        self.examples.go_to_line(event.line)
        self.tabs.active = "preview-tab"
        self.examples.focus()

    def action_next_problem(self) -> None:
        self.examples.step(self.findings.lines, 1, "problem")

    def action_previous_problem(self) -> None:
        self.examples.step(self.findings.lines, -1, "problem")

    # -- search ------------------------------------------------------------------------------

    def action_search(self) -> None:
        self.search_bar.opened = True

    @on(SearchBar.Found)
    def _search_found(self, event: SearchBar.Found) -> None:
        bar = event.bar
        if event.next_requested:
            self.action_next_match()
            return
        if not bar.matches and not bar.done:
            self._show_preview()  # a new search: its text marked where the row shows it
        self.examples.set_matches(bar.match_set)
        target = bar.take_jump(self.examples.line)
        if target is not None:
            self.examples.go_to_line(target)

    def action_next_match(self) -> None:
        self.examples.step(self.search_bar.matches, 1, "match")

    def action_previous_match(self) -> None:
        self.examples.step(self.search_bar.matches, -1, "match")

    def action_close_find(self) -> None:
        """Close the bar; the search stays active (n / N step its matches)."""
        self.search_bar.close()

    def action_end_search(self) -> None:
        self.search_bar.end()

    @on(SearchBar.Closed)
    def _search_closed(self) -> None:
        self.examples.focus()

    @on(SearchBar.Ended)
    def _search_ended(self) -> None:
        self.examples.set_matches(set())
        self._show_preview()

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
        if self._can_reach_service():
            self.query_one(FileUpload).start(self.report)

    @on(FileUpload.Done)
    def _uploaded(self) -> None:
        self._show_summary()  # which names the file's id from now on

    # -- the status line and the keys that apply ---------------------------------------------

    def _show_summary(self) -> None:
        """What the status line says when nothing runs (`dataset_status`)."""
        index = self.index
        self.activity.show_summary(
            dataset_status(
                self.path.name,
                lines=len(index) if index is not None and index.scanned else None,
                report=self.report,
                estimate=self._estimate_text,
                uploaded_file_id=self.uploaded_file_id,
                file_problem=self.file_problem,
            )
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        bar = self.search_bar
        searching = bar.active
        if action in ("next_match", "previous_match"):
            return searching
        if action in ("next_problem", "previous_problem"):
            if searching:
                return False
            return True if self.findings.lines else None
        if action == "close_find":
            return bar.opened
        if action == "end_search":
            return searching and not bar.opened
        if action == "stop_analysis":
            return self.query_one(FileAnalysis).running
        if action == "convert":
            return self.path.suffix.lower() == ".json"
        if action in ("upload", "new_job"):
            return self.path.suffix.lower() != ".json"  # convert it first
        return True
