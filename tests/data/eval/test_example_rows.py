"""Per-example rows of a run: each model's score on one grader, the spread, flips, the order."""

from __future__ import annotations

import json
from pathlib import Path

from tuner.data.eval.example_rows import (
    RowOrder,
    arrange_rows,
    example_rows,
    run_examples,
)
from tuner.data.eval.graders import Score, parse_grader
from tuner.data.eval.results import ExampleResult

BASE, TUNED = "base@p", "ft@p"
CHRF = parse_grader("chrf")  # passes at 0.5


def record(example: str, line: int, model: str, chrf: float | None) -> ExampleResult:
    if chrf is None:
        return ExampleResult(example, line, model, None, error="500 after 4 tries")
    return ExampleResult(example, line, model, f"reply {example}", {"chrf": Score(chrf)})


RECORDS = [
    record("a", 1, BASE, 0.2),
    record("a", 1, TUNED, 0.9),  # flipped, spread 0.7
    record("b", 2, BASE, 0.6),
    record("b", 2, TUNED, 0.7),  # both pass, spread 0.1
    record("c", 3, BASE, 0.3),
    record("c", 3, TUNED, None),  # the fine-tune failed: no spread, no flip
    record("d", 4, BASE, 0.8),
    record("d", 4, TUNED, 0.1),  # flipped the other way, spread 0.7
]


def test_rows_hold_each_models_score_in_the_runs_model_order() -> None:
    rows = example_rows(RECORDS, [BASE, TUNED], CHRF)
    assert [row.line for row in rows] == [1, 2, 3, 4]
    first = rows[0]
    assert first.scores == (0.2, 0.9) and first.passed == (False, True)
    assert [r.model for r in first.results if r is not None] == [BASE, TUNED]
    assert rows[2].scores == (0.3, None) and rows[2].spread is None
    assert abs(rows[0].spread - 0.7) < 1e-9


def test_the_latest_record_counts() -> None:
    regraded = record("a", 1, TUNED, 0.3)
    (row, *_) = example_rows([*RECORDS, regraded], [BASE, TUNED], CHRF)
    assert row.scores == (0.2, 0.3) and not row.flipped


def test_flips_are_a_pass_for_one_model_and_a_fail_for_another() -> None:
    rows = example_rows(RECORDS, [BASE, TUNED], CHRF)
    assert [row.example for row in rows if row.flipped] == ["a", "d"]
    flips = arrange_rows(rows, RowOrder.LINE, flips_only=True)
    assert [row.example for row in flips] == ["a", "d"]


def test_disagreement_puts_the_widest_spread_first_and_the_unscored_last() -> None:
    rows = example_rows(RECORDS, [BASE, TUNED], CHRF)
    ordered = arrange_rows(rows, RowOrder.DISAGREEMENT)
    assert [row.example for row in ordered] == ["a", "d", "b", "c"]  # ties keep line order
    assert [row.example for row in arrange_rows(ordered, RowOrder.LINE)] == ["a", "b", "c", "d"]


def test_a_model_without_records_leaves_empty_cells() -> None:
    rows = example_rows(RECORDS, [BASE, TUNED, "other@q"], CHRF)
    assert rows[0].results[2] is None and rows[0].scores[2] is None


def test_a_past_runs_examples_are_read_again_and_a_missing_file_is_said(tmp_path: Path) -> None:
    path = tmp_path / "holdout.jsonl"
    messages = [{"role": "user", "content": "Merhaba?"}, {"role": "assistant", "content": "Selam"}]
    path.write_text(json.dumps({"messages": messages}) + "\n", encoding="utf-8")
    found = run_examples(str(path))
    assert found.problem is None
    (example,) = found.examples.values()
    assert example.reference == "Selam" and example.prompt[0]["content"] == "Merhaba?"
    path.unlink()
    gone = run_examples(str(path))
    assert gone.examples == {} and "holdout.jsonl: no such file any more" in (gone.problem or "")


def test_a_golden_reference_replaces_the_files_own(tmp_path: Path) -> None:
    def write(path: Path, answer: str) -> Path:
        messages = [{"role": "user", "content": "Soru"}, {"role": "assistant", "content": answer}]
        path.write_text(json.dumps({"messages": messages}) + "\n", encoding="utf-8")
        return path

    file = write(tmp_path / "holdout.jsonl", "own")
    golden = write(tmp_path / "golden.jsonl", "old model's")
    (example,) = run_examples(file, golden).examples.values()
    assert example.reference == "old model's"


def test_a_prompt_is_shown_by_its_turns_and_previewed_by_its_question(tmp_path: Path) -> None:
    from tuner.data.eval.example_rows import prompt_preview, prompt_turns

    path = tmp_path / "holdout.jsonl"
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "Where is\n my  order?"}]},
        {"role": "assistant", "content": "On its way."},
    ]
    path.write_text(json.dumps({"messages": messages}) + "\n", encoding="utf-8")
    (example,) = run_examples(path).examples.values()
    assert prompt_turns(example) == [("system", "Be brief."), ("user", "Where is\n my  order?")]
    assert prompt_preview(example) == "Where is my order?"
