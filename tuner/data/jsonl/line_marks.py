"""Which lines of a file have a finding, and whether one of them is an error.

A screen that lists every line marks the ones with findings and steps from one to the next;
the findings themselves are kept only to a bounded number per code (`problem_log`), so the
marks are kept apart, compactly: the lines in ascending order in an `array` (4 bytes each)
and one byte each saying whether an error is among them.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
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


def step_through(lines: Sequence[int], current: int, direction: int) -> tuple[int, bool] | None:
    """(the line after (`direction` > 0) or before `current` in ascending `lines`, whether that
    wrapped around the end), or None when there are no lines: what `n` / `N` step through,
    problems and search matches alike. Going round a single line is not called wrapping."""
    if not lines:
        return None
    if direction > 0:
        i = bisect_right(lines, current)
        return (lines[i], False) if i < len(lines) else (lines[0], len(lines) > 1)
    i = bisect_left(lines, current) - 1
    return (lines[i], False) if i >= 0 else (lines[-1], len(lines) > 1)
