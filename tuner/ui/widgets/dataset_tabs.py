"""The three tabs beside a dataset's example list: one line's preview, the file's problems, its
figures and cost.

What the tabs show for an analysis (`show_problems`; the Stats tab prices it itself), for a
line (`show_line`) and for a file that cannot be read or analysed (`show_message`) is said here
once, so the screen only decides when. The Problems tab, however it is reached (its key, a
click, the tab bar), gives the keys to its tree at once: enter, space and → act on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import RenderableType
from textual import on
from textual.widgets import TabbedContent, TabPane

from tuner.ui.failures import describe_error
from tuner.ui.outside import outside
from tuner.ui.widgets.conversation import PARSE_LIMIT, RAW_LIMIT, ConversationView, build_preview
from tuner.ui.widgets.problems_pane import ProblemsPane
from tuner.ui.widgets.stats_pane import StatsPane

if TYPE_CHECKING:
    from tuner.data.analysis.report import AnalysisReport
    from tuner.data.jsonl.line_index import LineIndex
    from tuner.data.line_findings import LineFindings


class DatasetTabs(TabbedContent):
    """`Preview` (`#preview`), `Problems` (`#problems`) and `Stats` (`#stats`), with the
    models to price for and the one chosen first."""

    def __init__(self, models: list[str], model: str, *, id: str | None = None) -> None:
        super().__init__(id=id, initial="preview-tab")
        for pane in (
            TabPane("Preview", ConversationView(id="preview"), id="preview-tab"),
            TabPane("Problems", ProblemsPane(id="problems"), id="problems-tab"),
            TabPane("Stats", StatsPane(models, model, id="stats"), id="stats-tab"),
        ):
            self.compose_add_child(pane)  # what `with TabPane(...)` does in a compose

    @property
    def preview(self) -> ConversationView:
        return self.query_one(ConversationView)

    @property
    def problems(self) -> ProblemsPane:
        return self.query_one(ProblemsPane)

    @property
    def stats(self) -> StatsPane:
        return self.query_one(StatsPane)

    def show_problems(self, report: AnalysisReport) -> None:
        """The analysis' problems, counted in the tab's name (its figures are priced apart:
        `StatsPane.show_priced`, again whenever the model or epochs change)."""
        self.problems.show(report.problems, report.problems_left_out())
        count = report.error_count + report.warning_count
        self.get_tab("problems-tab").label = f"Problems {count:,}" if count else "Problems"

    def show_message(self, text: str) -> None:
        """Why there are no problems and figures to show (the file unread, the analysis
        failed)."""
        self.problems.show_message(text)
        self.stats.show_message(text)

    def show_line(
        self,
        index: LineIndex,
        line: int,
        findings: LineFindings,
        *,
        tokens: int | None,
        show_raw: bool,
        find: str | None,
    ) -> None:
        """Line `line` of `index` in the preview, as a conversation or (`show_raw`) its JSON,
        with its problems, its `tokens` and the search's text `find` marked."""
        if line < 1 or line > len(index):
            return
        shown: RenderableType
        try:
            raw, total = index.line_head(line, PARSE_LIMIT, RAW_LIMIT)
        except OSError as exc:
            shown = outside(f"Cannot read line {line}: {describe_error(exc)}", "bold red")
        else:
            problems = findings.of_line(line, raw, total)
            shown = build_preview(line, raw, total, problems, tokens, show_raw=show_raw, find=find)
        self.preview.show(shown)

    @on(TabbedContent.TabActivated)
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        if event.tabbed_content is self and event.pane.id == "problems-tab":
            self.problems.tree.focus()
