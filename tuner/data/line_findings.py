"""An analysis' findings by line: what a screen listing every line marks, steps through, and
shows beside the line under its cursor.

An analysis lists only a bounded number of findings per code (`problem_log`) but marks every
line that has one (`LineMarks`), so a line past the listed ones has a mark and no listed
problem. Its own problems are found again from its bytes when it is shown (`of_line`): one
line, so it costs nothing, and the user sees why the line is marked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tuner.data.jsonl.line_marks import LineMarks

if TYPE_CHECKING:
    from tuner.data.analysis.report import AnalysisReport
    from tuner.data.rules.problems import Problem


class LineFindings:
    """The listed problems of each line, every marked line, and the whole-file errors."""

    def __init__(self, report: AnalysisReport | None = None) -> None:
        self.by_line: dict[int, list[Problem]] = {}
        self.marks = LineMarks()
        self.file_errors: list[Problem] = []
        self.rules = ""  # the service whose rules found them
        if report is not None:
            self.by_line, self.marks, self.file_errors = report.problems_by_line()
            self.rules = report.service

    @property
    def lines(self) -> Sequence[int]:
        """Every line with a finding, ascending."""
        return self.marks.lines

    def of_line(self, line: int, raw: bytes, total: int) -> list[Problem]:
        """The problems of `line`, whose first bytes are `raw` of `total`: those listed, else,
        for a marked line read whole, its own found again by the same service's rules."""
        problems = self.by_line.get(line, [])
        if not problems and len(raw) == total and self.marks.get(line) is not None:
            from tuner.data.rules.check import check_example

            problems = check_example(raw, line, self.rules).problems
        return problems
