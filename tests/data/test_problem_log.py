"""A bounded log of findings: the first ones of each code kept, the rest counted."""

from __future__ import annotations

from tuner.data.rules.problem_log import ProblemLog
from tuner.data.rules.problems import Severity, error, warning


def test_the_first_of_each_code_are_kept_and_the_rest_counted() -> None:
    log = ProblemLog(per_code=2)
    for line in range(1, 6):
        log.add(error("invalid_json", "bad", line))
        log.add(warning("blank_line", "blank", line))
    assert [(p.code, p.line) for p in log.kept] == [
        ("invalid_json", 1),
        ("blank_line", 1),
        ("invalid_json", 2),
        ("blank_line", 2),
    ]
    assert log.left_out == {
        (Severity.ERROR, "invalid_json"): 3,
        (Severity.WARNING, "blank_line"): 3,
    }
    assert log.count(Severity.ERROR) == 5 and log.count(Severity.WARNING) == 5


def test_logs_of_consecutive_parts_merge_into_the_log_of_the_whole() -> None:
    whole, first, second = ProblemLog(per_code=3), ProblemLog(per_code=3), ProblemLog(per_code=3)
    problems = [error("invalid_json", "bad", line) for line in range(1, 9)]
    whole.extend(problems)
    first.extend(problems[:2])
    second.extend(problems[2:])
    merged = first.merge(second)
    assert merged.kept == whole.kept and merged.left_out == whole.left_out
    merged.leave_out(Severity.WARNING, "duplicate_example", 4)
    assert merged.left_out_by_code() == {"invalid_json": 5, "duplicate_example": 4}
