"""The `--min-score` gate: `tuner eval` exits 1 when a model misses it.

`--min-score X` applies to the run's first grader (the first `--grader` given, else chrf),
excluding pairwise, which scores a model only relative to the baseline; `--min-score G=X` names
the grader. Several may be given. A model meets a rule when its mean on that grader (not the
interval's lower end) is at least X; a model with no example graded by it does not. Pairwise
rules skip the baseline, which has no pairwise score. Every model of the run is gated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tuner.data.eval.graders import GraderKind, GraderSpec, GraderUsageError, parse_grader
from tuner.data.eval.summary import EvalSummary


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
