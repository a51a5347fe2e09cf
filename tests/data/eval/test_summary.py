"""A run's figures (`summary`), summary.json (`summary_file`), and the --min-score gate (`gate`),
tested together on one run's results."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuner.data.eval.gate import MinScore, gate_failures, parse_min_score
from tuner.data.eval.graders import GraderUsageError, Score, grader_specs
from tuner.data.eval.results import ExampleResult
from tuner.data.eval.summary import summarise
from tuner.data.eval.summary_file import SummaryError, read_summary, write_summary

SPECS = grader_specs(["chrf", "exact", "pairwise"], ["chrf=0.5"], judge=True)
BASE, TUNED = "gpt-4o-mini@openai", "ft:gpt-4o-mini:acme::x@openai"


def results() -> list[ExampleResult]:
    """Ten examples: the fine-tune scores 0.3 higher on chrf everywhere, and wins pairwise."""
    records = []
    for i in range(10):
        base = 0.2 + 0.04 * i
        records.append(
            ExampleResult(
                f"k{i}",
                i + 1,
                BASE,
                f"taban {i}",
                {"chrf": Score(base), "exact": Score(0.0), "pairwise": Score.missing("baseline")},
                tokens_in=10,
                tokens_out=5,
                latency=1.0 + i,
                cost=0.001,
            )
        )
        records.append(
            ExampleResult(
                f"k{i}",
                i + 1,
                TUNED,
                f"ince ayar {i}",
                {
                    "chrf": Score(base + 0.3),
                    "exact": Score(1.0 if i % 2 else 0.0),
                    "pairwise": Score(1.0 if i < 8 else 0.5),
                },
                tokens_in=10,
                tokens_out=7,
                latency=0.5,
            )
        )
    records.append(ExampleResult("k10", 11, BASE, None, error="timed out after 3 tries"))
    return records


def test_each_model_has_its_figures() -> None:
    summary = summarise(results(), SPECS)
    assert summary.examples == 11
    base, tuned = summary.models
    assert (base.model, base.n, base.failures) == (BASE, 11, 1)
    assert (base.tokens_in, base.tokens_out, base.cost) == (100, 50, pytest.approx(0.01))
    assert tuned.cost is None  # no reply was priced
    chrf = base.grader("chrf")
    assert chrf is not None and chrf.mean is not None and chrf.passing is not None
    assert (chrf.graded, chrf.not_graded) == (10, 1)
    assert chrf.mean.mean == pytest.approx(0.38)
    assert chrf.mean.low < 0.38 < chrf.mean.high
    assert chrf.passing.passed == 2  # 0.52 and 0.56 are at least 0.5
    assert base.latency is not None and base.latency.p50 == pytest.approx(5.5)


def test_pairwise_counts_wins_ties_and_losses_against_the_baseline() -> None:
    summary = summarise(results(), SPECS)
    base, tuned = summary.models
    assert tuned.grader("pairwise").outcomes == (8, 2, 0)
    assert base.grader("pairwise").graded == 0
    assert base.grader("pairwise").mean is None
    assert summary.comparison(TUNED, "pairwise") is None  # no paired difference for it


def test_later_models_are_compared_with_the_first() -> None:
    summary = summarise(results(), SPECS)
    chrf = summary.comparison(TUNED, "chrf")
    assert chrf is not None and chrf.baseline == BASE and chrf.difference is not None
    assert chrf.difference.n == 10
    assert chrf.difference.mean == pytest.approx(0.3)
    assert chrf.difference.significant
    # The base fails on 0.2..0.48 (8 examples) where the fine-tune, 0.3 higher, passes.
    assert [f.line for f in chrf.flips] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert not any(f.first_passed for f in chrf.flips)
    exact = summary.comparison(TUNED, "exact")
    assert exact is not None and [f.line for f in exact.flips] == [2, 4, 6, 8, 10]


def test_the_model_order_can_be_given() -> None:
    summary = summarise(results(), SPECS, [TUNED, BASE])
    assert summary.models[0].model == TUNED
    assert summary.comparison(BASE, "chrf").difference.mean == pytest.approx(-0.3)


def test_summary_json_round_trips(tmp_path: Path) -> None:
    summary = summarise(results(), SPECS)
    path = tmp_path / "summary.json"
    write_summary(path, summary)
    assert read_summary(path) == summary
    write_summary(path, summary)  # a second write replaces the first
    assert read_summary(path) == summary


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"{", "not valid JSON"), (b'{"version": 99}', "not a tuner eval summary")],
)
def test_a_broken_summary_is_named(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "summary.json"
    path.write_bytes(content)
    with pytest.raises(SummaryError, match=message):
        read_summary(path)


# -- the gate -----------------------------------------------------------------------------------


def test_min_score_parses_a_number_or_a_grader_and_number() -> None:
    assert parse_min_score("0.7") == MinScore(0.7)
    assert parse_min_score("judge=0.6") == MinScore(0.6, "judge")
    assert parse_min_score("regex:a=b=1") == MinScore(1.0, "regex:a=b")
    for bad in ("high", "1.5", "nope=0.5"):
        with pytest.raises(GraderUsageError):
            parse_min_score(bad)


def test_the_gate_applies_to_the_first_grader_for_every_model() -> None:
    summary = summarise(results(), SPECS)
    assert gate_failures(summary, [MinScore(0.3)]) == ()
    (failure,) = gate_failures(summary, [MinScore(0.5)])
    assert (failure.model, failure.grader) == (BASE, "chrf")
    assert failure.mean == pytest.approx(0.38)
    assert "below --min-score 0.5" in failure.describe()


def test_a_gate_on_a_named_grader() -> None:
    summary = summarise(results(), SPECS)
    failed = gate_failures(summary, [MinScore(0.6, "exact")])
    assert [f.model for f in failed] == [BASE, TUNED]
    # pairwise skips the baseline, which has no pairwise score
    assert gate_failures(summary, [MinScore(0.8, "pairwise")]) == ()
    with pytest.raises(GraderUsageError, match="not a grader of this run"):
        gate_failures(summary, [MinScore(0.5, "bleu")])


def test_a_model_with_nothing_graded_misses_the_gate() -> None:
    only_failures = [ExampleResult("k", 1, BASE, None, error="down")]
    summary = summarise(only_failures, grader_specs(["chrf"]))
    (failure,) = gate_failures(summary, [MinScore(0.0)])
    assert failure.mean is None and "no graded example" in failure.describe()


def test_a_run_of_pairwise_only_has_no_gate_grader() -> None:
    summary = summarise(results(), grader_specs(["pairwise"], judge=True))
    with pytest.raises(GraderUsageError, match="scores each model alone"):
        gate_failures(summary, [MinScore(0.5)])
