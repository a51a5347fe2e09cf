"""A run's figures as plain text for an 80-column terminal (`tuner eval`'s output).

report.md is a wide table for a code host; a terminal gets one block per model instead, each
grader on its own line with its interval and pass rate, then how each later model compares with
the baseline (the difference, its interval, whether it is significant, and the flips). Model
labels come from a service and pass through `visible_line`.
"""

from __future__ import annotations

from tuner.data.eval.summary import Comparison, EvalSummary, GraderSummary, ModelSummary
from tuner.data.visible_text import visible_line
from tuner.data.wording import plural


def summary_lines(summary: EvalSummary) -> list[str]:
    """The run's figures, a line each."""
    lines: list[str] = []
    width = max((len(spec.name) for spec in summary.graders), default=5)
    for index, model in enumerate(summary.models):
        baseline = index == 0 and len(summary.models) > 1
        lines.append(visible_line(model.model) + ("  (baseline)" if baseline else ""))
        lines.append("  " + _facts(model))
        for spec in summary.graders:
            grader = model.grader(spec.name)
            lines.append(f"  {visible_line(spec.name).ljust(width)}  {_grader(grader)}")
        for c in summary.comparisons:
            if c.model != model.model:
                continue
            lines.append(f"  vs baseline, {visible_line(c.grader)}: {_difference(c)}")
    return lines


def _facts(model: ModelSummary) -> str:
    parts = [plural(model.n, "example"), f"{model.failures:,} failed"]
    parts.append("cost unknown" if model.cost is None else f"${model.cost:,.4f}")
    if model.latency is not None:
        parts.append(f"latency p50 {model.latency.p50:.2f} s, p95 {model.latency.p95:.2f} s")
    return " · ".join(parts)


def _grader(grader: GraderSummary | None) -> str:
    if grader is None or grader.mean is None:
        return "not graded" if grader is None else f"not graded ({grader.not_graded})"
    m = grader.mean
    text = f"{m.mean:.3f} [{m.low:.3f}, {m.high:.3f}]"
    if grader.passing is not None:
        text += f"  pass {grader.passing.rate:.0%} (≥ {grader.threshold:g})"
    if grader.outcomes is not None:
        wins, ties, losses = grader.outcomes
        text += f"  {wins} won, {ties} tied, {losses} lost"
    if grader.not_graded:
        text += f"  {grader.not_graded} not graded"
    return text


def _difference(comparison: Comparison) -> str:
    d = comparison.difference
    if d is None:
        return "no examples graded for both"
    verdict = "significant" if d.significant else "not significant"
    worse = sum(1 for flip in comparison.flips if flip.first_passed)
    better = len(comparison.flips) - worse
    flips = f"{better} now pass, {worse} now fail" if comparison.flips else "no flips"
    return f"{d.mean:+.3f} [{d.low:+.3f}, {d.high:+.3f}] {verdict}; {flips}"
