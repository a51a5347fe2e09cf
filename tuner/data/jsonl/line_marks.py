"""Which lines of a file have a finding, and whether one of them is an error.

A screen that lists every line marks the ones with findings and steps from one to the next;
the findings themselves are kept only to a bounded number per code (`problem_log`), so the
marks are kept apart, compactly: the lines in ascending order in an `array` (4 bytes each)
and one byte each saying whether an error is among them.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable
from heapq import merge

from tuner.data.rules.problems import Problem


class LineMarks:
    """The marked lines (ascending, each once) and their error flags."""

    __slots__ = ("errors", "lines")

    def __init__(self, lines: array | None = None, errors: bytearray | None = None) -> None:
        self.lines: array = lines if lines is not None else array("I")
        self.errors: bytearray = errors if errors is not None else bytearray()

    @classmethod
    def of(cls, problems: Iterable[Problem]) -> LineMarks:
        """The marks of these findings (those without a line are not marks)."""
        flags: dict[int, bool] = {}
        for p in problems:
            if p.line is not None:
                flags[p.line] = flags.get(p.line, False) or p.is_error
        lines = sorted(flags)
        return cls(array("I", lines), bytearray(flags[line] for line in lines))

    def __len__(self) -> int:
        return len(self.lines)

    def get(self, line: int) -> bool | None:
        """True: `line` has an error; False: only warnings; None: no finding."""
        lines = self.lines
        i = bisect_left(lines, line)
        if i < len(lines) and lines[i] == line:
            return bool(self.errors[i])
        return None

    def with_problems(self, problems: Iterable[Problem]) -> LineMarks:
        """These marks and those of `problems` (a few, such as the file-level findings that
        name a line), as new marks."""
        extra = LineMarks.of(problems)
        if not extra.lines:
            return self
        lines = array("I")
        errors = bytearray()
        ours = zip(self.lines, self.errors, strict=True)
        theirs = zip(extra.lines, extra.errors, strict=True)
        for line, flag in merge(ours, theirs):
            if lines and lines[-1] == line:
                errors[-1] |= flag
            else:
                lines.append(line)
                errors.append(flag)
        return LineMarks(lines, errors)
