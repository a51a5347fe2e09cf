"""One evaluation from what the user chose to its run folder: the flow `tuner eval` and the Eval
screen share.

`prepare_eval` turns the choices (a file or a job, models, graders, a judge, a golden file) into
an `EvalPlan` with its warnings, opening each profile's service once; `estimate_eval` prices it;
`run_eval` asks, grades and writes `results.jsonl` as it goes, then `summary.json`, `report.md`
and `run.json`. Nothing here prints: the command and the screen show what comes back.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from tuner.api.eval.asking import DEFAULT_POLICY
from tuner.api.eval.job_source import JobSourceError, job_source
from tuner.api.eval.plan import EvalPlan
from tuner.api.eval.run import DEFAULT_CONCURRENCY, EvalRunner, Progress, RunTotals
from tuner.api.eval.targets import EvalServices, TargetError, TargetSpec, parse_target
from tuner.api.retry import RetryPolicy
from tuner.data.eval.examples import (
    BadLine,
    EvalFileError,
    match_references,
    read_eval_file,
    training_overlap,
)
from tuner.data.eval.graders import GraderKind, GraderUsageError, grader_specs
from tuner.data.eval.history import (
    RunInfo,
    default_run_folder,
    now_iso,
    remember_run,
    write_run_info,
)
from tuner.data.eval.results import RESULTS_NAME, ExampleResult, read_results
from tuner.data.eval.runs import RunFolder, write_run_files
from tuner.data.eval.summary import EvalSummary, summarise

if TYPE_CHECKING:
    from tuner.api.eval.reply_cache import ReplyCache
    from tuner.api.eval.targets import EvalTarget
    from tuner.data.eval.examples import EvalExample

# How many bad lines a warning names before "and N more".
BAD_LINES_SHOWN = 3


class EvalUsageError(Exception):
    """The choices do not make an evaluation (a bad grader, no models, an unreadable file):
    one line saying what to change."""


@dataclass(frozen=True, slots=True)
class EvalChoices:
    """What the user asked for. `models` are `MODEL[@PROFILE]`; with `job`, the job's base and
    fine-tune are the models unless some are given, and its validation file is the file unless
    `file` is. `profile` is the profile the job (and models without `@`) are on."""

    file: Path | None = None
    models: tuple[str, ...] = ()
    job: str | None = None
    profile: str | None = None
    graders: tuple[str, ...] = ()
    passes: tuple[str, ...] = ()
    judge: str | None = None
    embedder: str | None = None
    rubric: Path | None = None
    reference: Path | None = None
    backup: Path | None = None
    out: Path | None = None
    concurrency: int = DEFAULT_CONCURRENCY


@dataclass(frozen=True, slots=True)
class PreparedEval:
    """A plan ready to price and run, what it will be recorded as, and what the user should
    know first (`warnings`: prompts also trained on, golden replies missing, bad lines)."""

    plan: EvalPlan
    file: Path
    folder: Path
    info: RunInfo
    warnings: tuple[str, ...] = ()
    bad_lines: tuple[BadLine, ...] = ()


@dataclass(frozen=True, slots=True)
class EvalOutcome:
    """A finished run: its folder, summary and records, and what the helpers spent."""

    folder: RunFolder
    summary: EvalSummary
    results: tuple[ExampleResult, ...]
    totals: RunTotals


def _targets(
    services: EvalServices, texts: tuple[str, ...], profile: str | None
) -> list[EvalTarget]:
    specs: list[TargetSpec] = []
    for text in texts:
        spec = parse_target(text)
        specs.append(spec if spec.profile is not None else TargetSpec(spec.model, profile))
    return [services.target(spec) for spec in specs]


async def prepare_eval(choices: EvalChoices, services: EvalServices) -> PreparedEval:
    """The plan for `choices`. Raises `EvalUsageError`; `ConfigError`, `CatalogError` and
    `ServiceError` come out as they are (a profile, the settings, or a service at fault)."""
    warnings: list[str] = []
    try:
        specs = grader_specs(choices.graders, choices.passes, judge=choices.judge is not None)
        models = _targets(services, choices.models, choices.profile)
        judge = _targets(services, (choices.judge,), choices.profile)[0] if choices.judge else None
    except (GraderUsageError, TargetError) as exc:
        raise EvalUsageError(str(exc)) from None
    file = choices.file
    name = file.stem if file is not None else "eval"
    training = None
    if choices.job is not None:
        try:
            source = await job_source(
                services.service(choices.profile),
                choices.job,
                backup=choices.backup,
                need_validation=file is None,
            )
        except JobSourceError as exc:
            raise EvalUsageError(str(exc)) from None
        if not models:
            models = [
                services.target(TargetSpec(source.base, choices.profile)),
                services.target(TargetSpec(source.fine_tuned, choices.profile)),
            ]
        if file is None and source.validation is not None:
            file = source.validation.path
            name = f"{source.job.id}-{Path(source.validation.filename or 'validation').stem}"
        training = source.training
    if file is None:
        raise EvalUsageError("name the file to evaluate on (or --job JOB with a validation file)")
    if not models:
        raise EvalUsageError("name the models to evaluate: --model MODEL[@PROFILE] (or --job JOB)")
    read = _read_examples(file)
    examples, bad = list(read.examples), read.bad_lines
    if choices.reference is not None:
        golden = _read_examples(choices.reference, what="golden file")
        matched = match_references(examples, golden)
        examples = list(matched.examples)
        if matched.missing:
            warnings.append(
                f"{len(matched.missing)} of {len(examples)} examples have no reply in "
                f"{choices.reference}: they are not graded against it"
            )
    if bad:
        shown = "; ".join(item.located() for item in bad[:BAD_LINES_SHOWN])
        more = f" and {len(bad) - BAD_LINES_SHOWN} more" if len(bad) > BAD_LINES_SHOWN else ""
        warnings.append(f"{len(bad)} lines are left out: {shown}{more}")
    if training is not None:
        overlap = await asyncio.to_thread(training_overlap, examples, training.path)
        if overlap.count:
            warnings.append(
                f"{overlap.count} of {len(examples)} prompts also appear in the job's training "
                "file: a score on examples the model was trained on says little about new ones"
            )
    embedder = None
    if any(spec.kind is GraderKind.COSINE for spec in specs):
        embedder = _embedder(services, choices)
    rubric = _rubric(choices.rubric)
    plan = EvalPlan(tuple(examples), tuple(models), specs, judge, embedder, rubric)
    folder = choices.out or default_run_folder(name)
    info = RunInfo(
        file=str(file),
        models=tuple(t.label for t in plan.targets),
        graders=tuple(spec.name for spec in specs),
        examples=len(examples),
        judge=judge.label if judge else None,
        embedder=embedder.label if embedder else None,
        reference=str(choices.reference) if choices.reference else None,
        params=plan.params(),
    )
    return PreparedEval(plan, file, folder, info, tuple(warnings), tuple(bad))


def _read_examples(path: Path, what: str = "file") -> tuple[list[EvalExample], tuple[BadLine, ...]]:
    try:
        read = read_eval_file(path)
    except FileNotFoundError:
        raise EvalUsageError(f"{path}: no such {what}") from None
    except EvalFileError as exc:
        raise EvalUsageError(str(exc)) from None
    except OSError as exc:
        raise EvalUsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not read.examples:
        raise EvalUsageError(f"{path}: no example to evaluate on (every line is left out)")
    return read


def _embedder(services: EvalServices, choices: EvalChoices) -> EvalTarget:
    """The `--embedder` model, else the embeddings model of the profile's service."""
    if choices.embedder:
        try:
            return _targets(services, (choices.embedder,), choices.profile)[0]
        except TargetError as exc:
            raise EvalUsageError(str(exc)) from None
    capabilities = services.service(choices.profile).capabilities
    if not capabilities.embeddings or capabilities.embedding_model is None:
        raise EvalUsageError(
            f"{capabilities.service} names no embeddings model: give one with --embedder "
            "MODEL[@PROFILE] for the cosine grader"
        )
    return services.target(TargetSpec(capabilities.embedding_model, choices.profile))


def _rubric(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise EvalUsageError(f"{path}: cannot read the rubric: {reason}") from None


async def run_eval(
    prepared: PreparedEval,
    *,
    cache: ReplyCache | None,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_progress: Progress | None = None,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> EvalOutcome:
    """Ask, grade and write the run folder. A run of the same folder again continues it: the
    records already there are kept (the newest per example and model counts), and the reply
    cache answers what was asked before. Raises `EvalAborted` when a model cannot be reached."""
    folder = RunFolder(prepared.folder)
    info = replace(prepared.info, started=now_iso())
    write_run_info(folder.path, info)
    remember_run(folder.path)
    runner = EvalRunner(
        prepared.plan,
        results_path=folder.path / RESULTS_NAME,
        cache=cache,
        concurrency=concurrency,
        on_progress=on_progress,
        policy=policy,
    )
    await runner.run()
    return finish_run(prepared, folder, runner.totals, info)


def finish_run(
    prepared: PreparedEval, folder: RunFolder, totals: RunTotals, info: RunInfo
) -> EvalOutcome:
    """Summarise the run's records (those of this plan's examples and models) into
    `summary.json` and `report.md`, and mark `run.json` finished."""
    plan = prepared.plan
    labels = [t.label for t in plan.targets]
    wanted = {example.ident for example in plan.examples}
    records = [
        result
        for result in read_results(folder.results_path).results
        if result.example in wanted and result.model in labels
    ]
    summary = summarise(records, plan.graders, labels)
    by_ident = {example.ident: example for example in plan.examples}
    title = f"Evaluation of {prepared.file.name}"
    write_run_files(folder.path, summary, records, by_ident, title=title)
    write_run_info(folder.path, replace(info, finished=now_iso()))
    return EvalOutcome(folder, summary, tuple(records), totals)
