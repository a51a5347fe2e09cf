"""A run's figures, `summary.json`, and the `--min-score` gate.

Per model: how many examples it was asked, how many failed after retries, each grader's mean
with its 95% bootstrap interval and its pass rate (Wilson interval), tokens, cost and latency.
With two or more models, each later model is compared with the first (the baseline: the old
model, or the base a fine-tune is measured against): the paired difference per grader on the
examples both were graded on, and the examples that flipped between pass and fail.

The `--min-score` gate (exit 1 when a model misses it): `--min-score X` applies to the run's
first grader (the first `--grader` given, else chrf), excluding pairwise, which scores a model
only relative to the baseline; `--min-score G=X` names the grader. Several may be given. A model
meets a rule when its mean on that grader (not the interval's lower end) is at least X; a model
with no example graded by it does not. Pairwise rules skip the baseline, which has no pairwise
score. Every model of the run is gated.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from tuner.data.eval.graders import GraderKind, GraderSpec, GraderUsageError, parse_grader
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
from tuner.data.jsonl.atomic_file import output_target, write_atomically

SUMMARY_NAME = "summary.json"
SUMMARY_VERSION = 1


class SummaryError(ValueError):
    """A summary.json that cannot be read; the message names the file and the problem."""


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


# -- the gate ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MinScore:
    """One `--min-score` rule: `grader` None means the run's first grader."""

    value: float
    grader: str | None = None


@dataclass(frozen=True, slots=True)
class GateFailure:
    """A model that missed a rule: its mean on `grader` (None: nothing graded) and the minimum."""

    model: str
    grader: str
    mean: float | None
    required: float

    def describe(self) -> str:
        got = f"{self.mean:.3f}" if self.mean is not None else "no graded example"
        return f"{self.model}: {self.grader} {got} is below --min-score {self.required:g}"


def parse_min_score(text: str) -> MinScore:
    """`X` or `GRADER=X` (X in 0..1); raises `GraderUsageError` with the reason."""
    name, equals, number = text.rpartition("=")
    try:
        value = float(number)
    except ValueError:
        raise GraderUsageError(
            f"--min-score '{text}' is not a number or GRADER=NUMBER (e.g. 0.7, judge=0.7)"
        ) from None
    if not 0 <= value <= 1:
        raise GraderUsageError(f"--min-score '{text}': a score is within 0..1")
    return MinScore(value, parse_grader(name).name if equals else None)


def gate_grader(graders: Sequence[GraderSpec], rule: MinScore) -> str:
    """The grader a rule applies to; raises `GraderUsageError` when the run has no such grader."""
    if rule.grader is not None:
        if not any(spec.name == rule.grader for spec in graders):
            chosen = ", ".join(spec.name for spec in graders)
            raise GraderUsageError(
                f"--min-score {rule.grader}={rule.value:g}: '{rule.grader}' is not a grader of "
                f"this run ({chosen})"
            )
        return rule.grader
    for spec in graders:
        if spec.kind is not GraderKind.PAIRWISE:
            return spec.name
    raise GraderUsageError("--min-score needs a grader that scores each model alone")


def gate_failures(summary: EvalSummary, rules: Sequence[MinScore]) -> tuple[GateFailure, ...]:
    """Every (model, rule) the run misses; empty when every model meets every rule (exit 0)."""
    failures = []
    for rule in rules:
        name = gate_grader(summary.graders, rule)
        pairwise = any(s.name == name and s.kind is GraderKind.PAIRWISE for s in summary.graders)
        for index, model in enumerate(summary.models):
            if pairwise and index == 0:
                continue
            grader = model.grader(name)
            mean = grader.mean.mean if grader is not None and grader.mean is not None else None
            if mean is None or mean < rule.value:
                failures.append(GateFailure(model.model, name, mean, rule.value))
    return tuple(failures)


# -- summary.json ------------------------------------------------------------------------------


def summary_json(summary: EvalSummary) -> dict[str, Any]:
    """The summary as summary.json holds it (exact text; numbers unrounded)."""
    return {
        "version": SUMMARY_VERSION,
        "examples": summary.examples,
        "resamples": summary.resamples,
        "seed": summary.seed,
        "graders": [{"name": s.name, "threshold": s.threshold} for s in summary.graders],
        "models": [_model_json(m) for m in summary.models],
        "comparisons": [_comparison_json(c) for c in summary.comparisons],
    }


def write_summary(path: str | os.PathLike[str], summary: EvalSummary) -> None:
    """Write summary.json whole or not at all (it replaces an earlier one)."""
    data = orjson.dumps(summary_json(summary), option=orjson.OPT_INDENT_2) + b"\n"

    def write(out: Any) -> bool:
        out.write(data)
        return True

    write_atomically(output_target(path, force=True), write)


def read_summary(path: str | os.PathLike[str]) -> EvalSummary:
    """Read a summary.json; raises `SummaryError` naming the file and what is wrong, `OSError`
    when it cannot be read."""
    shown = str(path)
    try:
        data = orjson.loads(Path(path).read_bytes())
        return summary_from_json(data)
    except orjson.JSONDecodeError as exc:
        raise SummaryError(f"{shown}: not valid JSON ({exc})") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise SummaryError(f"{shown}: not a tuner eval summary ({exc})") from None


def summary_from_json(data: Any) -> EvalSummary:
    """An `EvalSummary` from summary.json's form; raises KeyError, TypeError or ValueError."""
    if not isinstance(data, dict) or data.get("version") != SUMMARY_VERSION:
        raise ValueError(f"version {data.get('version') if isinstance(data, dict) else None!r}")
    graders = []
    for item in data["graders"]:
        spec = parse_grader(item["name"])
        graders.append(GraderSpec(spec.kind, float(item["threshold"]), spec.pattern))
    return EvalSummary(
        examples=int(data["examples"]),
        graders=tuple(graders),
        models=tuple(_model_from(m) for m in data["models"]),
        comparisons=tuple(_comparison_from(c) for c in data["comparisons"]),
        resamples=int(data["resamples"]),
        seed=int(data["seed"]),
    )


def _model_json(m: ModelSummary) -> dict[str, Any]:
    return {
        "model": m.model,
        "n": m.n,
        "failures": m.failures,
        "tokens_in": m.tokens_in,
        "tokens_out": m.tokens_out,
        "cost": m.cost,
        "latency": None
        if m.latency is None
        else {"n": m.latency.n, "p50": m.latency.p50, "p95": m.latency.p95},
        "graders": [
            {
                "grader": g.grader,
                "threshold": g.threshold,
                "graded": g.graded,
                "not_graded": g.not_graded,
                "mean": _estimate_json(g.mean),
                "pass_rate": None
                if g.passing is None
                else {
                    "n": g.passing.n,
                    "passed": g.passing.passed,
                    "rate": g.passing.rate,
                    "low": g.passing.low,
                    "high": g.passing.high,
                },
                "outcomes": None
                if g.outcomes is None
                else dict(zip(("wins", "ties", "losses"), g.outcomes, strict=True)),
            }
            for g in m.graders
        ],
    }


def _estimate_json(e: MeanEstimate | PairedDifference | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {"n": e.n, "mean": e.mean, "low": e.low, "high": e.high}


def _comparison_json(c: Comparison) -> dict[str, Any]:
    difference = _estimate_json(c.difference)
    if difference is not None and c.difference is not None:
        difference["significant"] = c.difference.significant
    return {
        "model": c.model,
        "baseline": c.baseline,
        "grader": c.grader,
        "difference": difference,
        "flips": [
            {"example": f.example, "line": f.line, "baseline_passed": f.first_passed}
            for f in c.flips
        ],
    }


def _model_from(d: dict[str, Any]) -> ModelSummary:
    latency = d.get("latency")
    return ModelSummary(
        model=str(d["model"]),
        n=int(d["n"]),
        failures=int(d["failures"]),
        graders=tuple(_grader_from(g) for g in d["graders"]),
        tokens_in=int(d["tokens_in"]),
        tokens_out=int(d["tokens_out"]),
        cost=None if d.get("cost") is None else float(d["cost"]),
        latency=None
        if latency is None
        else Latency(int(latency["n"]), float(latency["p50"]), float(latency["p95"])),
    )


def _grader_from(g: dict[str, Any]) -> GraderSummary:
    mean = g.get("mean")
    passing = g.get("pass_rate")
    outcomes = g.get("outcomes")
    return GraderSummary(
        grader=str(g["grader"]),
        threshold=float(g["threshold"]),
        graded=int(g["graded"]),
        not_graded=int(g["not_graded"]),
        mean=None
        if mean is None
        else MeanEstimate(
            int(mean["n"]), float(mean["mean"]), float(mean["low"]), float(mean["high"])
        ),
        passing=None
        if passing is None
        else PassRate(
            int(passing["n"]),
            int(passing["passed"]),
            float(passing["rate"]),
            float(passing["low"]),
            float(passing["high"]),
        ),
        outcomes=None
        if outcomes is None
        else (int(outcomes["wins"]), int(outcomes["ties"]), int(outcomes["losses"])),
    )


def _comparison_from(c: dict[str, Any]) -> Comparison:
    d = c.get("difference")
    return Comparison(
        model=str(c["model"]),
        baseline=str(c["baseline"]),
        grader=str(c["grader"]),
        difference=None
        if d is None
        else PairedDifference(int(d["n"]), float(d["mean"]), float(d["low"]), float(d["high"])),
        flips=tuple(
            Flip(str(f["example"]), int(f["line"]), bool(f["baseline_passed"])) for f in c["flips"]
        ),
    )
