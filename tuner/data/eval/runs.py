"""A run folder (`results.jsonl`, `summary.json`, `report.md`) and `tuner eval diff RUN_A RUN_B`.

Two runs made apart (last week's run on OpenAI, today's on Together) are compared model by
model: by default the first model of each run (its baseline, usually the model under test when
only one was asked). Each grader that both runs used gets both summaries side by side and,
on the examples that match by key (the same prompts), the paired difference (B - A) with its
interval and the examples that flipped, each run's pass threshold deciding its own pass.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuner.data.eval.examples import EvalExample
from tuner.data.eval.graders import GraderKind, GraderSpec
from tuner.data.eval.report import REPORT_NAME, md_cell, render_report, table_row
from tuner.data.eval.results import RESULTS_NAME, ExampleResult, by_model, read_results
from tuner.data.eval.statistics import Flip, PairedDifference, find_flips, paired_difference
from tuner.data.eval.summary import EvalSummary, GraderSummary, scores_by_example
from tuner.data.eval.summary_file import SUMMARY_NAME, read_summary, write_summary
from tuner.data.jsonl.atomic_file import output_target, write_atomically


class RunError(Exception):
    """A run folder that cannot be used; the message is one line naming it."""


@dataclass(frozen=True, slots=True)
class RunFolder:
    """Where a run's files are."""

    path: Path

    @property
    def results_path(self) -> Path:
        return self.path / RESULTS_NAME

    @property
    def summary_path(self) -> Path:
        return self.path / SUMMARY_NAME

    @property
    def report_path(self) -> Path:
        return self.path / REPORT_NAME


@dataclass(frozen=True, slots=True)
class Run:
    """A finished run read back: its summary and its records (the latest per example/model)."""

    folder: RunFolder
    summary: EvalSummary
    results: tuple[ExampleResult, ...]


@dataclass(frozen=True, slots=True)
class GraderDiff:
    """One grader in two runs: each run's summary for its model (None when the run did not use
    the grader), and the paired difference (B - A) with the flips (`Flip.first_passed` is run
    A's outcome) on the examples both runs graded."""

    grader: str
    a: GraderSummary | None
    b: GraderSummary | None
    paired: PairedDifference | None
    flips: tuple[Flip, ...]


@dataclass(frozen=True, slots=True)
class RunDiff:
    """Run B's `model_b` against run A's `model_a`: `matched` examples in both runs, `only_a`
    and `only_b` in one of them, and a `GraderDiff` per grader of either run."""

    run_a: Path
    run_b: Path
    model_a: str
    model_b: str
    matched: int
    only_a: int
    only_b: int
    graders: tuple[GraderDiff, ...]


def write_run_files(
    folder: str | os.PathLike[str],
    summary: EvalSummary,
    results: Sequence[ExampleResult],
    examples: Mapping[str, EvalExample] | None = None,
    *,
    title: str = "Evaluation",
) -> RunFolder:
    """Write summary.json and report.md into `folder` (results.jsonl is the runner's, written
    as it goes); each file whole or not at all."""
    run = RunFolder(Path(folder))
    write_summary(run.summary_path, summary)
    text = render_report(summary, results, examples, title=title).encode("utf-8")

    def write(out: Any) -> bool:
        out.write(text)
        return True

    write_atomically(output_target(run.report_path, force=True), write)
    return run


def read_run(folder: str | os.PathLike[str]) -> Run:
    """A run folder's summary and records; raises `RunError` when it is not a finished run."""
    run = RunFolder(Path(folder))
    if not run.path.is_dir():
        raise RunError(f"{folder}: not a folder")
    if not run.summary_path.is_file():
        raise RunError(f"{folder}: no {SUMMARY_NAME}; is it the folder of a finished eval run?")
    try:
        summary = read_summary(run.summary_path)
        results = read_results(run.results_path)
    except ValueError as exc:
        raise RunError(str(exc)) from None
    except OSError as exc:
        raise RunError(f"{folder}: {exc.strerror or exc}") from None
    return Run(run, summary, results.results)


def diff_runs(
    run_a: str | os.PathLike[str],
    run_b: str | os.PathLike[str],
    *,
    model_a: str | None = None,
    model_b: str | None = None,
) -> RunDiff:
    """Compare two run folders: `model_b` of run B against `model_a` of run A (by default each
    run's first model). Raises `RunError` for a folder that is not a finished run or a model it
    did not ask."""
    a, b = read_run(run_a), read_run(run_b)
    label_a = _model(a, model_a)
    label_b = _model(b, model_b)
    results_a = by_model(a.results, [label_a])[label_a]
    results_b = by_model(b.results, [label_b])[label_b]
    examples_a = {r.example for r in results_a}
    examples_b = {r.example for r in results_b}
    specs_a = {spec.name: spec for spec in a.summary.graders}
    specs_b = {spec.name: spec for spec in b.summary.graders}
    names = [*specs_a, *(name for name in specs_b if name not in specs_a)]
    summary_a = a.summary.model(label_a)
    summary_b = b.summary.model(label_b)
    lines = {r.example: r.line for r in results_a}
    graders = []
    for name in names:
        spec_a, spec_b = specs_a.get(name), specs_b.get(name)
        paired, flips = None, ()
        if spec_a is not None and spec_b is not None and spec_a.kind is not GraderKind.PAIRWISE:
            paired, flips = _paired(results_a, results_b, spec_a, spec_b, lines, a.summary)
        graders.append(
            GraderDiff(
                name,
                summary_a.grader(name) if summary_a else None,
                summary_b.grader(name) if summary_b else None,
                paired,
                flips,
            )
        )
    return RunDiff(
        a.folder.path,
        b.folder.path,
        label_a,
        label_b,
        len(examples_a & examples_b),
        len(examples_a - examples_b),
        len(examples_b - examples_a),
        tuple(graders),
    )


def _model(run: Run, wanted: str | None) -> str:
    labels = [m.model for m in run.summary.models]
    if not labels:
        raise RunError(f"{run.folder.path}: the run asked no model")
    if wanted is None:
        return labels[0]
    if wanted not in labels:
        raise RunError(
            f"{run.folder.path}: the run did not ask {wanted}; it asked {', '.join(labels)}"
        )
    return wanted


def _paired(
    results_a: Sequence[ExampleResult],
    results_b: Sequence[ExampleResult],
    spec_a: GraderSpec,
    spec_b: GraderSpec,
    lines: Mapping[str, int],
    summary: EvalSummary,
) -> tuple[PairedDifference | None, tuple[Flip, ...]]:
    first = scores_by_example(results_a, spec_a.name)
    other = scores_by_example(results_b, spec_b.name)
    common = [example for example in first if example in other]
    paired = paired_difference(
        [first[e] for e in common],
        [other[e] for e in common],
        resamples=summary.resamples,
        seed=summary.seed,
    )
    flips = find_flips(
        {e: spec_a.passed(v) for e, v in first.items()},
        {e: spec_b.passed(v) for e, v in other.items()},
        lines,
    )
    return paired, flips


def diff_json(diff: RunDiff) -> dict[str, Any]:
    """The diff as `tuner eval diff --json` prints it (exact text)."""

    def grader_json(g: GraderSummary | None) -> dict[str, Any] | None:
        if g is None:
            return None
        return {
            "mean": None if g.mean is None else g.mean.mean,
            "low": None if g.mean is None else g.mean.low,
            "high": None if g.mean is None else g.mean.high,
            "pass_rate": None if g.passing is None else g.passing.rate,
            "graded": g.graded,
        }

    return {
        "run_a": str(diff.run_a),
        "run_b": str(diff.run_b),
        "model_a": diff.model_a,
        "model_b": diff.model_b,
        "matched": diff.matched,
        "only_a": diff.only_a,
        "only_b": diff.only_b,
        "graders": [
            {
                "grader": g.grader,
                "a": grader_json(g.a),
                "b": grader_json(g.b),
                "difference": None
                if g.paired is None
                else {
                    "n": g.paired.n,
                    "mean": g.paired.mean,
                    "low": g.paired.low,
                    "high": g.paired.high,
                    "significant": g.paired.significant,
                },
                "flips": [
                    {"example": f.example, "line": f.line, "a_passed": f.first_passed}
                    for f in g.flips
                ],
            }
            for g in diff.graders
        ],
    }


def render_diff(diff: RunDiff) -> str:
    """The diff as Markdown: a table of both runs' means and the paired difference."""
    head = ["grader", "A", "B", "B - A", "95% interval", "significant", "flips"]
    rows = [table_row(head), table_row(["---"] * len(head))]
    for g in diff.graders:
        if g.paired is None:
            change = ["–", "–", "–"]
        else:
            p = g.paired
            change = [
                f"{p.mean:+.3f}",
                f"[{p.low:+.3f}, {p.high:+.3f}]",
                "yes" if p.significant else "no",
            ]
        worse = sum(1 for f in g.flips if f.first_passed)
        flips = f"{worse} now fail, {len(g.flips) - worse} now pass" if g.flips else "none"
        rows.append(table_row([md_cell(g.grader), _mean(g.a), _mean(g.b), *change, flips]))
    lead = [
        f"A: {md_cell(diff.model_a)} in {md_cell(str(diff.run_a))}",
        "",
        f"B: {md_cell(diff.model_b)} in {md_cell(str(diff.run_b))}",
        "",
        f"{diff.matched:,} examples in both runs, {diff.only_a:,} only in A, "
        f"{diff.only_b:,} only in B.",
        "",
    ]
    return "\n".join(["# Two runs compared", "", *lead, *rows]) + "\n"


def _mean(g: GraderSummary | None) -> str:
    if g is None or g.mean is None:
        return "–"
    return f"{g.mean.mean:.3f} [{g.mean.low:.3f}, {g.mean.high:.3f}]"
