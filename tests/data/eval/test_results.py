"""results.jsonl: records written as they come, read back, the last record of each counting."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuner.data.eval.graders import Score
from tuner.data.eval.results import (
    ExampleResult,
    append_results,
    by_model,
    latest,
    models_in_order,
    read_results,
)

RESULT = ExampleResult(
    example="k1",
    line=1,
    model="ft:gpt-4o-mini:acme::x@openai",
    reply="Merhaba | dünya\n`kod`",
    scores={"chrf": Score(0.75), "judge": Score.missing("judge failed: no JSON with a score")},
    tokens_in=12,
    tokens_out=5,
    latency=0.5,
    cost=0.0001,
)


def test_a_record_round_trips_with_exact_text(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    failed = ExampleResult("k2", 2, "m@p", None, error="429 after 5 tries")
    append_results(path, [RESULT, failed])
    read = read_results(path)
    assert read.results == (RESULT, failed)
    assert read.bad_lines == ()
    assert failed.failed and not RESULT.failed
    assert "Merhaba | dünya".encode() in path.read_bytes()  # UTF-8, not escaped


def test_appending_keeps_earlier_lines_and_the_last_record_counts(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    append_results(path, [RESULT])
    regraded = ExampleResult(RESULT.example, 1, RESULT.model, RESULT.reply, {"chrf": Score(0.5)})
    append_results(path, [regraded])
    records = read_results(path).results
    assert len(records) == 2
    assert latest(records) == {(RESULT.model, "k1"): regraded}


def test_a_cut_off_last_line_is_reported_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    append_results(path, [RESULT])
    with open(path, "ab") as out:
        out.write(b'{"example": "k2", "line": 2, "mod')
    read = read_results(path)
    assert read.results == (RESULT,)
    assert [(b.line, b.message.startswith("not valid JSON")) for b in read.bad_lines] == [(2, True)]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b'{"line": 1, "model": "m"}', "'example' is missing"),
        (b'{"example": "k", "line": "1", "model": "m"}', "'line' is missing or not a number"),
        (b'{"example": "k", "line": 1, "model": "m", "reply": 3}', "'reply' is not text"),
        (b"[1]", "a result is a JSON object"),
    ],
)
def test_records_of_the_wrong_shape_are_named(tmp_path: Path, line: bytes, message: str) -> None:
    path = tmp_path / "results.jsonl"
    path.write_bytes(line + b"\n")
    (bad,) = read_results(path).bad_lines
    assert message in bad.message


def test_a_missing_file_has_no_records(tmp_path: Path) -> None:
    assert read_results(tmp_path / "none.jsonl").results == ()


def test_grouping_by_model_keeps_the_first_models_order_and_line_order() -> None:
    records = [
        ExampleResult("b", 2, "base@p", "x"),
        ExampleResult("a", 1, "ft@p", "y"),
        ExampleResult("a", 1, "base@p", "z"),
    ]
    assert models_in_order(records) == ["base@p", "ft@p"]
    groups = by_model(records)
    assert list(groups) == ["base@p", "ft@p"]
    assert [r.example for r in groups["base@p"]] == ["a", "b"]
    assert list(by_model(records, ["ft@p"])) == ["ft@p"]
