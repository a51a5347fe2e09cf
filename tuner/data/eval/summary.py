"""A run's figures: per model, per grader, and each later model against the first.

Per model: how many examples it was asked, how many failed after retries, each grader's mean
with its 95% bootstrap interval and its pass rate (Wilson interval), tokens, cost and latency.
With two or more models, each later model is compared with the first (the baseline: the old
model, or the base a fine-tune is measured against): the paired difference per grader on the
examples both were graded on, and the examples that flipped between pass and fail.

The figures are stored as summary.json by `summary_file` and gated by `--min-score` in `gate`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tuner.data.eval.graders import GraderKind, GraderSpec
from tuner.data.eval.results import ExampleResult, by_model
from tuner.data.eval.statistics import (
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    Flip,
    Latency,
    MeanEstimate,
    PairedDifference,
    PassRate,
    bootstrap_mean,
    find_flips,
    latency_percentiles,
    paired_difference,
    pass_rate,
)


@dataclass(frozen=True, slots=True)
class GraderSummary:
    """One grader's figures for one model.

    `graded` examples have a score, `not_graded` have none (no reference, judge failed, the
    example failed). `outcomes` is (wins, ties, losses) against the baseline for pairwise.
    """

    grader: str
    threshold: float
    graded: int
    not_graded: int
    mean: MeanEstimate | None
    passing: PassRate | None
    outcomes: tuple[int, int, int] | None = None


@dataclass(frozen=True, slots=True)
class ModelSummary:
    """One model's figures: `n` examples asked, `failures` of them failed after retries.

    `cost` is the sum of the replies' known costs in US dollars (None when none was priced).
    """

    model: str
    n: int
    failures: int
    graders: tuple[GraderSummary, ...]
    tokens_in: int
    tokens_out: int
    cost: float | None
    latency: Latency | None

    def grader(self, name: str) -> GraderSummary | None:
        return next((g for g in self.graders if g.grader == name), None)


@dataclass(frozen=True, slots=True)
class Comparison:
    """`model` against the `baseline` on one grader: the paired difference (model - baseline)
    and the flips (`Flip.first_passed` is the baseline's outcome)."""

    model: str
    baseline: str
    grader: str
    difference: PairedDifference | None
    flips: tuple[Flip, ...]


@dataclass(frozen=True, slots=True)
class EvalSummary:
    """Everything summary.json holds. `examples` counts the distinct examples in the results."""

    examples: int
    graders: tuple[GraderSpec, ...]
    models: tuple[ModelSummary, ...]
    comparisons: tuple[Comparison, ...]
    resamples: int = DEFAULT_RESAMPLES
    seed: int = DEFAULT_SEED

    def model(self, label: str) -> ModelSummary | None:
        return next((m for m in self.models if m.model == label), None)

    def comparison(self, model: str, grader: str) -> Comparison | None:
        return next((c for c in self.comparisons if c.model == model and c.grader == grader), None)


def summarise(
    results: Iterable[ExampleResult],
    graders: Sequence[GraderSpec],
    models: Sequence[str] | None = None,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> EvalSummary:
    """The figures of a run from its records (the latest per model and example count).

    `models` gives the order (the first is the baseline); by default the order in which the
    models first appear in `results`.
    """
    groups = by_model(results, models)
    examples = {result.example for group in groups.values() for result in group}
    summaries = tuple(
        _model_summary(model, group, graders, resamples, seed) for model, group in groups.items()
    )
    comparisons: list[Comparison] = []
    labels = list(groups)
    if len(labels) > 1:
        baseline = labels[0]
        for model in labels[1:]:
            for spec in graders:
                if spec.kind is GraderKind.PAIRWISE:
                    continue
                comparisons.append(
                    _compare(
                        baseline, groups[baseline], model, groups[model], spec, resamples, seed
                    )
                )
    return EvalSummary(
        len(examples), tuple(graders), summaries, tuple(comparisons), resamples, seed
    )


def _model_summary(
    model: str,
    results: Sequence[ExampleResult],
    graders: Sequence[GraderSpec],
    resamples: int,
    seed: int,
) -> ModelSummary:
    grader_summaries = []
    for spec in graders:
        values = [
            score.value
            for result in results
            if (score := result.scores.get(spec.name)) is not None and score.value is not None
        ]
        passed = sum(1 for value in values if spec.passed(value))
        outcomes = None
        if spec.kind is GraderKind.PAIRWISE and values:
            outcomes = (
                sum(1 for v in values if v == 1.0),
                sum(1 for v in values if v == 0.5),
                sum(1 for v in values if v == 0.0),
            )
        grader_summaries.append(
            GraderSummary(
                spec.name,
                spec.threshold,
                len(values),
                len(results) - len(values),
                bootstrap_mean(values, resamples=resamples, seed=seed),
                pass_rate(passed, len(values)),
                outcomes,
            )
        )
    costs = [result.cost for result in results if result.cost is not None]
    return ModelSummary(
        model=model,
        n=len(results),
        failures=sum(1 for result in results if result.failed),
        graders=tuple(grader_summaries),
        tokens_in=sum(result.tokens_in for result in results),
        tokens_out=sum(result.tokens_out for result in results),
        cost=sum(costs) if costs else None,
        latency=latency_percentiles(
            [r.latency for r in results if r.latency is not None and not r.failed]
        ),
    )


def _compare(
    baseline: str,
    baseline_results: Sequence[ExampleResult],
    model: str,
    model_results: Sequence[ExampleResult],
    spec: GraderSpec,
    resamples: int,
    seed: int,
) -> Comparison:
    first = scores_by_example(baseline_results, spec.name)
    other = scores_by_example(model_results, spec.name)
    common = [example for example in first if example in other]
    difference = paired_difference(
        [first[e] for e in common], [other[e] for e in common], resamples=resamples, seed=seed
    )
    lines = {r.example: r.line for r in baseline_results}
    flips = find_flips(
        {e: spec.passed(v) for e, v in first.items()},
        {e: spec.passed(v) for e, v in other.items()},
        lines,
    )
    return Comparison(model, baseline, spec.name, difference, flips)


def scores_by_example(results: Iterable[ExampleResult], grader: str) -> dict[str, float]:
    """Each graded example's score on `grader`, by example id (ungraded ones left out)."""
    found = {}
    for result in results:
        score = result.scores.get(grader)
        if score is not None and score.value is not None:
            found[result.example] = score.value
    return found
