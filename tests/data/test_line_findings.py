"""An analysis' findings by line, and stepping from one marked line to the next."""

from __future__ import annotations

from pathlib import Path

import orjson

from tuner.data.analysis.analyse import analyse_file
from tuner.data.jsonl.line_marks import step_through
from tuner.data.line_findings import LineFindings
from tuner.data.rules.problem_log import PROBLEMS_KEPT_PER_CODE

MODEL = "gpt-4o-mini-2024-07-18"


def test_step_through_goes_round_the_ends() -> None:
    lines = [3, 6, 9]
    assert step_through(lines, 3, 1) == (6, False)
    assert step_through(lines, 4, -1) == (3, False)
    assert step_through(lines, 9, 1) == (3, True)
    assert step_through(lines, 3, -1) == (9, True)
    assert step_through([5], 5, 1) == (5, False)  # round one line is no wrapping
    assert step_through([], 1, 1) is None


def test_before_an_analysis_there_are_no_findings() -> None:
    findings = LineFindings()
    assert list(findings.lines) == [] and findings.file_errors == []
    assert findings.of_line(1, b"{}", 2) == []


def test_a_line_past_the_listed_findings_has_its_own_found_again(tmp_path: Path) -> None:
    bad = b'{"messages": "not a list"}\n'
    count = PROBLEMS_KEPT_PER_CODE + 5
    path = tmp_path / "many.jsonl"
    path.write_bytes(bad * count)
    report = analyse_file(path, MODEL, keep_examples=True)
    findings = LineFindings(report)
    assert list(findings.lines) == list(range(1, count + 1))
    last = count
    assert last not in findings.by_line  # not listed: over the count kept per code
    found = findings.of_line(last, bad.rstrip(b"\n"), len(bad) - 1)
    assert found and all(p.line == last for p in found)
    assert findings.of_line(last, b"", 10) == []  # only part of the line read: not checked


def test_whole_file_errors_are_kept_apart(tmp_path: Path) -> None:
    path = tmp_path / "few.jsonl"
    row = {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}
    path.write_bytes(orjson.dumps(row) + b"\n")
    findings = LineFindings(analyse_file(path, MODEL))
    assert any(p.code == "too_few_examples" for p in findings.file_errors)
