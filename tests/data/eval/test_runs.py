"""Run folders and `tuner eval diff`: two runs compared on the examples they share."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuner.data.eval.graders import Score, grader_specs
from tuner.data.eval.results import ExampleResult, append_results
from tuner.data.eval.runs import (
    RunError,
    diff_json,
    diff_runs,
    read_run,
    render_diff,
    write_run_files,
)
from tuner.data.eval.summary import summarise

OLD, NEW = "ft:gpt-4o-mini:acme::x@openai", "acme/Llama-3-8B-ft@together"


def make_run(folder: Path, model: str, scores: dict[str, float], graders: list[str]) -> Path:
    folder.mkdir()
    records = [
        ExampleResult(key, int(key[1:]), model, f"cevap {key}", {g: Score(v) for g in graders})
        for key, v in scores.items()
    ]
    append_results(folder / "results.jsonl", records)
    specs = grader_specs(graders)
    write_run_files(folder, summarise(records, specs), records, title=f"{model} | run")
    return folder


def test_a_run_folder_is_written_and_read_back(tmp_path: Path) -> None:
    folder = make_run(tmp_path / "run", OLD, {"k1": 0.5, "k2": 0.7}, ["chrf"])
    assert (folder / "report.md").read_text(encoding="utf-8").startswith("# ft:gpt-4o-mini")
    run = read_run(folder)
    assert [m.model for m in run.summary.models] == [OLD]
    assert len(run.results) == 2


def test_two_runs_are_compared_on_their_shared_examples(tmp_path: Path) -> None:
    old = {f"k{i}": 0.8 for i in range(1, 11)}
    new = {f"k{i}": 0.4 for i in range(2, 13)}  # k1 only in the old run, k11 and k12 new
    run_a = make_run(tmp_path / "a", OLD, old, ["chrf", "fuzzy"])
    run_b = make_run(tmp_path / "b", NEW, new, ["chrf", "bleu"])
    diff = diff_runs(run_a, run_b)
    assert (diff.model_a, diff.model_b) == (OLD, NEW)
    assert (diff.matched, diff.only_a, diff.only_b) == (9, 1, 2)
    by_grader = {g.grader: g for g in diff.graders}
    assert list(by_grader) == ["chrf", "fuzzy", "bleu"]
    chrf = by_grader["chrf"]
    assert chrf.paired is not None and chrf.paired.n == 9
    assert chrf.paired.mean == pytest.approx(-0.4) and chrf.paired.significant
    assert len(chrf.flips) == 9 and all(f.first_passed for f in chrf.flips)  # 0.8 passes, 0.4 not
    assert by_grader["fuzzy"].b is None and by_grader["fuzzy"].paired is None
    assert by_grader["bleu"].a is None
    text = render_diff(diff)
    assert "| chrf | 0.800 [0.800, 0.800] | 0.400 [0.400, 0.400] | -0.400 |" in text
    assert "9 examples in both runs, 1 only in A, 2 only in B." in text
    payload = diff_json(diff)
    assert payload["graders"][0]["difference"]["significant"] is True


def test_a_model_can_be_chosen_in_each_run(tmp_path: Path) -> None:
    run_a = make_run(tmp_path / "a", OLD, {"k1": 0.5}, ["chrf"])
    with pytest.raises(RunError, match="did not ask nope@p; it asked"):
        diff_runs(run_a, run_a, model_b="nope@p")
    assert diff_runs(run_a, run_a, model_a=OLD).graders[0].paired.mean == 0


@pytest.mark.parametrize("what", ["missing", "no summary", "broken summary"])
def test_a_folder_that_is_not_a_run_is_named(tmp_path: Path, what: str) -> None:
    folder = tmp_path / "run"
    if what != "missing":
        folder.mkdir()
    if what == "broken summary":
        (folder / "summary.json").write_text("{", encoding="utf-8")
    with pytest.raises(RunError, match=str(folder)):
        read_run(folder)
