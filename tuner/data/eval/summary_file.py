"""summary.json: a run's figures written whole for scripts and read back for the history.

The file keeps exact text and unrounded numbers (`SUMMARY_VERSION` says which shape); a file
that cannot be read as one is refused with a `SummaryError` naming it, never half-read.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

from tuner.data.eval.graders import GraderSpec, parse_grader
from tuner.data.eval.statistics import Flip, Latency, MeanEstimate, PairedDifference, PassRate
from tuner.data.eval.summary import Comparison, EvalSummary, GraderSummary, ModelSummary
from tuner.data.jsonl.atomic_file import output_target, write_atomically

SUMMARY_NAME = "summary.json"
SUMMARY_VERSION = 1


class SummaryError(ValueError):
    """A summary.json that cannot be read; the message names the file and the problem."""


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
