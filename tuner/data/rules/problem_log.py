"""The findings of one validation, kept to a bounded number per code and counted beyond it.

A file where every line repeats the same mistake (two million `{}` lines) has millions of
findings that say the same thing; keeping each one made memory grow with the file. A
`ProblemLog` keeps the first `per_code` findings of each code, in the order they are added
(line order, when validation adds them line by line), and counts the rest by code and
severity, so totals and the verdict stay exact. Logs of consecutive parts of a file merge in
file order into the log of the whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from tuner.data.rules.problems import Problem, Severity

# How many findings of one code are kept (and listed by `tuner validate --json`).
PROBLEMS_KEPT_PER_CODE = 1000


@dataclass(slots=True)
class ProblemLog:
    """Findings, at most `per_code` of each code; `left_out` counts the others by
    (severity, code)."""

    per_code: int = PROBLEMS_KEPT_PER_CODE
    kept: list[Problem] = field(default_factory=list)
    left_out: dict[tuple[Severity, str], int] = field(default_factory=dict)
    _kept_of: dict[str, int] = field(default_factory=dict)

    def add(self, problem: Problem) -> None:
        code = problem.code
        kept = self._kept_of.get(code, 0)
        if kept < self.per_code:
            self._kept_of[code] = kept + 1
            self.kept.append(problem)
        else:
            key = (problem.severity, code)
            self.left_out[key] = self.left_out.get(key, 0) + 1

    def add_at(self, problem: Problem, line: int) -> None:
        """Add `problem` as found on `line` instead (a line identical to an earlier one has
        the same findings); nothing is made when only a count is kept."""
        code = problem.code
        kept = self._kept_of.get(code, 0)
        if kept < self.per_code:
            self._kept_of[code] = kept + 1
            self.kept.append(replace(problem, line=line))
        else:
            key = (problem.severity, code)
            self.left_out[key] = self.left_out.get(key, 0) + 1

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.add(problem)

    def leave_out(self, severity: Severity, code: str, count: int) -> None:
        """Count `count` findings of `code` that were never made (their source kept only a
        bounded number of them either)."""
        if count > 0:
            key = (severity, code)
            self.left_out[key] = self.left_out.get(key, 0) + count

    def merge(self, later: ProblemLog) -> ProblemLog:
        """Fold in the log of the part of the file after this one; returns self."""
        self.extend(later.kept)
        for key, count in later.left_out.items():
            self.left_out[key] = self.left_out.get(key, 0) + count
        return self

    def count(self, severity: Severity) -> int:
        """Every finding of `severity`, kept or left out."""
        kept = sum(1 for p in self.kept if p.severity is severity)
        return kept + sum(n for (s, _), n in self.left_out.items() if s is severity)

    def left_out_by_code(self) -> dict[str, int]:
        """{code: findings of it left out}, most first."""
        merged: dict[str, int] = {}
        for (_, code), count in self.left_out.items():
            merged[code] = merged.get(code, 0) + count
        return dict(sorted(merged.items(), key=lambda item: (-item[1], item[0])))
