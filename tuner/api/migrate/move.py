"""Move a fine-tune to another service: the same examples, converted and checked for the target,
priced on both sides before anything is sent, then uploaded and trained there.

OpenAI stops taking new fine-tuning jobs on 2027-01-06; a job trained there can be trained again
on Together AI (or the other way, or on Azure OpenAI) from the data it was trained on. Two steps,
so that a screen can show the plan and its cost before the user agrees to anything:

    plan = await plan_migration(source, target, "ftjob-abc", "meta-llama/...", work_dir=folder)
    for line in plan.summary_lines(): ...          # files, changes, both costs, settings
    result = await run_migration(plan, target)     # uploads, the service's own price, the job

`plan_migration` reads the job and its files (a backup's copies, the user's own, or downloads
kept in `work_dir`), converts each for the target's rules and the model's limits
(`tuner.data.migrate.convert`), checks the result again as any upload is checked (a file that still
fails raises `DataRefused` listing the problems), prices both sides with tuner's catalogs
(`migrate_costs`) and decides which settings carry over (`migrate_settings`). It sends nothing
to the target: it only asks it for the model's limits. `run_migration` uploads the converted
files, asks the target for its own price where it has one (Together's needs the uploaded files'
ids, so it can only come now; a price the account cannot pay stops here, files uploaded), and
creates the job, once: every move is recorded (`tuner.api.migrate.record`), so running the same
move again finds the job it made instead of paying for another, and a move stopped after its
upload goes on from the uploaded file.

Both are cancellable (cancel the task: a conversion or check in progress stops at its next
line), and report progress through `on_progress` with plain `MigrationProgress` values, always
called on the event loop that awaits them. Failures: `MigrationError` (and its `DataRefused`,
`DownloadRefused`, `PriceRefused`) in tuner's words, `ServiceError` in the service's.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import threading
import time
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.ids import checked_id
from tuner.api.jobs.creation import CreationStep, JobCreation, JobRequest, on_the_loop
from tuner.api.jobs.quote import QuoteRefused
from tuner.api.jobs.spec import check_model_available
from tuner.api.migrate.costs import CostFigure, billed_cost, estimated_cost
from tuner.api.migrate.errors import DataRefused, MigrationError
from tuner.api.migrate.plan import (
    MigrationPlan,
    MigrationProgress,
    MigrationResult,
    PlannedFile,
    PriceRefused,
    ProgressCallback,
    default_work_dir,
)
from tuner.api.migrate.settings import CarriedSettings, Setting, carry_over
from tuner.api.migrate.sources import (
    BackupCopies,
    DownloadRefused,
    SourceCopy,
    download_copy,
    local_copy,
)
from tuner.config.service_facts import SERVICE_FACTS, ServiceFacts
from tuner.data.analysis.analyse import analyse_file
from tuner.data.catalog.choice import default_catalog
from tuner.data.catalog.lookup import Catalog
from tuner.data.jsonl.atomic_file import OutputError, remove_stale_temporaries
from tuner.data.migrate.convert import ConversionTarget, convert_file
from tuner.data.service_kinds import SERVICE_KINDS

if TYPE_CHECKING:
    from tuner.api.migrate.record import MoveEntry, MoveRecord
    from tuner.api.service import FineTuningService
    from tuner.api.types import Job, ModelLimits, RemoteFile

__all__ = [
    "CostFigure",
    "DataRefused",
    "DownloadRefused",
    "MigrationError",
    "MigrationPlan",
    "MigrationProgress",
    "MigrationResult",
    "PlannedFile",
    "PriceRefused",
    "Setting",
    "default_work_dir",
    "plan_migration",
    "run_migration",
]

# --------------------------------------------------------------------------- planning


async def plan_migration(
    source: FineTuningService,
    target: FineTuningService,
    job_id: str,
    base_model: str,
    *,
    work_dir: Path,
    from_backup: Path | None = None,
    training_path: Path | None = None,
    validation_path: Path | None = None,
    suffix: str | None = None,
    source_catalog: Catalog | None = None,
    target_catalog: Catalog | None = None,
    on_progress: ProgressCallback | None = None,
    today: date | None = None,
    source_name: str | None = None,
) -> MigrationPlan:
    """Plan moving `job_id` from `source` to `target` as a job on `base_model` (see the module
    docstring). Nothing is sent to `target`; downloads and converted files go to `work_dir`
    (created). `from_backup` is a `tuner backup` folder to take the files from;
    `training_path` / `validation_path` are the user's own copies (they win over both).
    Catalogs default to each service's built-in one; pass the user's (with overrides).
    `source_name` is how the source is named to people (a profile's label; by default its
    service's name, which for a host other than OpenAI's is only its address)."""
    checked_id(job_id, "job")  # before a word of progress: `..` is one line, nothing else
    report = _reporter(on_progress)
    source_kind, target_kind = source.capabilities.kind, target.capabilities.kind
    source_name = source_name or source.capabilities.service
    target_name = target.capabilities.service
    source_catalog = source_catalog or default_catalog(source_kind)
    target_catalog = target_catalog or default_catalog(target_kind)
    today = today or date.today()

    report("job", f"reading {job_id} on {source_name}")
    job = await _whole_job(source, await source.retrieve_job(job_id))
    if not job.training_file and training_path is None:
        raise MigrationError(f"{job.id} names no training file")
    report("job", f"asking {target_name} about {base_model}")
    limits = await target.model_limits(base_model)
    settings = carry_over(
        job,
        source=source.capabilities,
        target=target.capabilities,
        model=base_model,
        limits=limits,
        suffix=suffix,
    )
    check_model_available(settings.spec, target_catalog, today)

    _make_folder(work_dir)
    copies = await _copies(
        source, job, work_dir, from_backup, training_path, validation_path, report
    )
    conversion_target = _conversion_target(
        target_kind, base_model, target_catalog, limits, source_kind
    )
    epochs = settings.spec.hyperparameters.n_epochs
    files = []
    for copy in copies:
        files.append(
            await _plan_file(
                copy, work_dir, conversion_target, target_catalog, limits, epochs, settings, report
            )
        )
    training = files[0]
    report("estimate", f"pricing on {source_name} and {target_name}")
    source_cost = await _source_cost(job, copies[0], source_catalog, source_name, source_kind)
    target_cost = estimated_cost(
        training.report.estimate, target_name, base_model, training.report.token_note
    )
    service_prices = target.capabilities.price_estimate
    return MigrationPlan(
        job=job,
        source_service=source_name,
        source_kind=source_kind,
        target_service=target_name,
        target_kind=target_kind,
        model=base_model,
        work_dir=work_dir,
        files=tuple(files),
        source_cost=source_cost,
        target_cost=target_cost,
        settings=settings,
        limits=limits,
        service_prices=service_prices,
        notes=tuple(_notes(training, target.capabilities.facts, base_model, today)),
    )


# How many pages of the job list are read to find what a job's own record leaves out.
_LIST_PAGES = 5


async def _whole_job(source: FineTuningService, job: Job) -> Job:
    """`job` with its suffix and seed, which Together's answer for one job leaves out while its
    job list has them: read from the list when both are missing (OpenAI always gives a seed,
    so its jobs cost no listing), a few pages at most."""
    if job.suffix is not None or job.seed is not None:
        return job
    after: str | None = None
    for _ in range(_LIST_PAGES):
        try:
            page = await source.list_jobs(after=after, limit=100)
        except ServiceError:
            return job
        for listed in page.jobs:
            if listed.id == job.id:
                seed = job.seed if job.seed is not None else listed.seed
                return dataclasses.replace(job, suffix=job.suffix or listed.suffix, seed=seed)
        if not page.has_more or not page.jobs:
            return job
        after = page.jobs[-1].id
    return job


def _reporter(on_progress: ProgressCallback | None) -> Callable[..., None]:
    def report(step: str, message: str, done: int | None = None, total: int | None = None) -> None:
        if on_progress is not None:
            on_progress(MigrationProgress(step, message, done, total))

    return report


def _make_folder(folder: Path) -> None:
    """Create the work folder, and remove the temporary files a killed run left in it (a
    download or conversion cut off by SIGKILL or a power cut: never used, only in the way)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(folder)
    except FileExistsError:
        raise MigrationError(f"{folder} is a file, not a folder") from None
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise MigrationError(f"cannot create {folder}: {reason}") from None


async def _copies(
    source: FineTuningService,
    job: Job,
    work_dir: Path,
    from_backup: Path | None,
    training_path: Path | None,
    validation_path: Path | None,
    report: Callable[..., None],
) -> list[SourceCopy]:
    """The local copies of the job's training (first) and validation files."""
    backup = BackupCopies(from_backup) if from_backup is not None else None
    wanted = [("training", job.training_file, training_path)]
    if job.validation_file or validation_path is not None:
        wanted.append(("validation", job.validation_file, validation_path))
    listed: dict[str, RemoteFile] | None = None
    copies = []
    for role, file_id, path in wanted:
        file_id = file_id or "(none)"
        if path is not None:
            copies.append(local_copy(role, file_id, path))
        elif backup is not None:
            copies.append(backup.copy(role, file_id))
        else:
            if listed is None:
                listed = await _listed(source)
            report("download", f"downloading the {role} file {file_id}")
            copies.append(await download_copy(source, role, file_id, work_dir, listed))
        report("download", f"{role} file: {copies[-1].describe()}")
    return copies


async def _listed(source: FineTuningService) -> dict[str, RemoteFile]:
    """The source's files by id (for their names and sizes); empty when it will not list them
    (the download then says what is wrong, if anything)."""
    try:
        return {item.id: item for item in await source.list_files()}
    except ServiceError:
        return {}


def _conversion_target(
    kind: str, model: str, catalog: Catalog, limits: ModelLimits | None, source: str
) -> ConversionTarget:
    return ConversionTarget(
        kind,
        model,
        catalog,
        token_limit=limits.max_tokens if limits is not None else None,
        preference_token_limit=limits.max_tokens_dpo if limits is not None else None,
        # Read when the seam's `ModelLimits` says it (Together's limits do, as supports_vision
        # and supports_tools); unknown until then, and such examples are kept.
        images=getattr(limits, "vision", None),
        tools=getattr(limits, "tools", None),
        source=source,
    )


def converted_name(copy: SourceCopy, kind: str) -> str:
    """`ID__train.together.jsonl`: the copy's name with the target's kind before `.jsonl`, in
    place of any kind it had already (a file moved there and back is `ID__train.openai.jsonl`,
    never `...together.openai.jsonl`)."""
    from tuner.api.backup.folder import file_name

    stem = file_name(copy.file_id, copy.filename or copy.path.name)
    stem = _KIND_TAGS.sub("", stem.removesuffix(".jsonl"))
    return f"{stem}.{kind}.jsonl"


# The kinds `converted_name` puts before `.jsonl`, however many a name has gathered.
_KIND_TAGS = re.compile(r"(?:\.(?:" + "|".join(SERVICE_KINDS) + r"))+$")


async def _plan_file(
    copy: SourceCopy,
    work_dir: Path,
    conversion_target: ConversionTarget,
    catalog: Catalog,
    limits: ModelLimits | None,
    epochs: Any,
    settings: CarriedSettings,
    report: Callable[..., None],
) -> PlannedFile:
    output = work_dir / converted_name(copy, conversion_target.service)
    if output.resolve() == copy.path.resolve():
        output = output.with_name(f"converted-{output.name}")
    message = f"converting {copy.path.name} for {conversion_target.name}"
    report("convert", message)
    progress = on_the_loop(partial(report, "convert", message))
    try:
        conversion = await _threaded(
            convert_file, copy.path, output, conversion_target, progress=progress
        )
    except OutputError as exc:
        raise MigrationError(str(exc)) from None
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise MigrationError(f"cannot read {copy.path}: {reason}") from None
    report("check", f"checking {output.name} by {conversion_target.name}'s rules")
    checked = await _threaded(
        analyse_file,
        output,
        conversion_target.model,
        catalog=catalog,
        service=conversion_target.service,
        epochs=epochs if isinstance(epochs, int) else None,
        example_token_limit=limits.max_tokens if limits is not None else None,
        preference_token_limit=limits.max_tokens_dpo if limits is not None else None,
        full=settings.spec.lora is False,
    )
    if not checked.valid:
        raise DataRefused(
            output,
            conversion_target.name,
            checked.errors,
            conversion.changes,
            checked.error_count,
        )
    return PlannedFile(copy.role, copy, conversion, checked)


async def _threaded(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`function(*args, cancel=event, **kwargs)` in a thread; cancelling the awaiting task sets
    the event, so the work stops at its next line instead of running on unseen."""
    cancel = threading.Event()
    try:
        return await asyncio.to_thread(function, *args, cancel=cancel, **kwargs)
    except asyncio.CancelledError:
        cancel.set()
        raise


async def _source_cost(
    job: Job, training: SourceCopy, catalog: Catalog, service: str, kind: str
) -> CostFigure:
    """What the job was billed, else tuner's estimate of its original training file."""
    billed = billed_cost(job, catalog, service)
    if billed is not None:
        return billed
    epochs = job.hyperparameters.get("n_epochs")
    try:
        original = await _threaded(
            analyse_file,
            training.path,
            job.model,
            catalog=catalog,
            service=kind,
            epochs=epochs if isinstance(epochs, int) and not isinstance(epochs, bool) else None,
            full=job.hyperparameters.get("lora") is False,
        )
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise MigrationError(f"cannot read {training.path}: {reason}") from None
    note = "the job reports no trained tokens: tuner's count of the original file"
    if original.token_note:
        note += f", {original.token_note}"
    return estimated_cost(original.estimate, service, job.model, note)


def _notes(training: PlannedFile, facts: ServiceFacts, model: str, today: date) -> list[str]:
    from tuner.api.deadlines import closes_for, jobs_closing_note

    # The counts' note is said with the target's cost already.
    notices = [n for n in training.report.notices if not n.startswith("token counts are")]
    notes = list(dict.fromkeys(notices))
    if closes_for(facts, model):
        notes.append(jobs_closing_note(today))
    return notes


# --------------------------------------------------------------------------- running


async def run_migration(
    plan: MigrationPlan,
    target: FineTuningService,
    *,
    on_progress: ProgressCallback | None = None,
    source_profile: str | None = None,
    target_profile: str | None = None,
    again: bool = False,
    moves: MoveRecord | None = None,
) -> MigrationResult:
    """Upload the plan's converted files to `target`, ask its own price where it has one, and
    create the job. Raises `PriceRefused` when the target says the account cannot pay (nothing
    started, the files stay uploaded), `ServiceError` for what the target refuses.

    Never twice: the move is recorded (`moves`, default tuner's data folder) under the profiles
    (`source_profile`, `target_profile`: how the user named them), the job, the base model and
    the converted files' checksums. When that move was made before and its job is still on the
    target, that job is the answer (`found`); when the job is gone, a new one is made (and
    `replaced` names the old). A file uploaded before, by this move or any upload, is reused
    (`upload_checked`). `again` makes a new job on purpose."""
    from tuner.api.migrate.record import MoveEntry, MoveRecord

    report = _reporter(on_progress)
    capabilities = target.capabilities
    if SERVICE_FACTS.get(plan.target_kind) is not capabilities.facts:
        raise MigrationError(
            f"the plan is for {plan.target_service}, not {capabilities.service}: plan again"
        )
    moves = moves if moves is not None else MoveRecord()
    key = plan.move_key(source_profile, target_profile)
    earlier = None if again else moves.get(key)
    replaced: str | None = None
    if earlier is not None and earlier.job_id is not None:
        report("create", f"looking for {earlier.job_id}, made by an earlier move")
        job = await _job_still_there(target, earlier.job_id)
        if job is not None:
            return _found(plan, job, earlier.training_file, earlier.validation_file, earlier)
        replaced = earlier.job_id
        report(
            "create", f"{replaced}, made by an earlier move, is gone from {capabilities.service}"
        )
    creation = _creation(plan, target, report)
    uploaded = await _upload(plan, creation)
    entry = MoveEntry(key, "uploaded", uploaded[0], uploaded[1])
    _record(moves, entry, report)
    if earlier is not None and earlier.state == "creating" and replaced is None:
        # The last run asked for the job and stopped before it heard the answer: look first.
        job = await _job_on(target, uploaded[0], plan.model)
        if job is not None:
            _record(moves, entry.moved(state="created", job_id=job.id), report)
            return _found(plan, job, entry.training_file, entry.validation_file, earlier)
    spec = creation.spec_for(*uploaded)
    try:
        quote = await creation.quote(spec)
    except QuoteRefused as exc:
        kept = tuple(file_id for file_id in uploaded if file_id)
        raise PriceRefused(
            f"{exc.message}; the files stay uploaded as {', '.join(kept)}", exc.quote, kept
        ) from None
    _record(moves, entry.moved(state="creating"), report)
    job = await creation.create(spec)
    _record(moves, entry.moved(state="created", job_id=job.id, created_at=time.time()), report)
    report("create", f"created {job.id}")
    return MigrationResult(
        plan=plan,
        training_file=uploaded[0],
        validation_file=uploaded[1],
        service_estimate=quote,
        job=job,
        replaced=replaced,
    )


def _creation(
    plan: MigrationPlan, target: FineTuningService, report: Callable[..., None]
) -> JobCreation:
    """The job-creation flow for the plan's converted files, already checked (their reports
    are the plan's), its steps told as the move's progress."""
    paths = [planned.path for planned in plan.files]
    request = JobRequest(
        plan.settings.spec,
        paths[0],
        paths[1] if len(paths) > 1 else None,
        reports={planned.path.resolve(): planned.report for planned in plan.files},
    )
    service = target.capabilities.service

    def told(step: CreationStep) -> None:
        name = step.path.name if step.path is not None else ""
        if step.stage == "upload":
            report("upload", f"uploading {name}", step.done, step.total)
        elif step.stage == "uploaded" and step.upload is not None:
            report("upload", step.upload.describe(Path(name)), step.done, step.total)
        elif step.stage == "quote":
            report("price", f"asking {service} for its price")
        elif step.stage == "create":
            report("create", f"creating the job on {service}")

    return JobCreation(target, request, on_step=told)


async def _upload(plan: MigrationPlan, creation: JobCreation) -> tuple[str, str | None]:
    """The target's ids of the plan's converted files: uploaded now, or reused (an identical
    file uploaded before, still there)."""
    for planned in plan.files:
        if not planned.path.is_file():
            raise MigrationError(f"{planned.path} is gone since the plan: plan again")
    return await creation.upload_files()


def _found(
    plan: MigrationPlan,
    job: Job,
    training_file: str | None,
    validation_file: str | None,
    earlier: MoveEntry,
) -> MigrationResult:
    return MigrationResult(
        plan=plan,
        training_file=job.training_file or training_file or "",
        validation_file=job.validation_file or validation_file,
        service_estimate=None,
        job=job,
        found=True,
        made_at=earlier.created_at or earlier.saved_at or None,
    )


async def _job_still_there(target: FineTuningService, job_id: str) -> Job | None:
    """The job an earlier move made, or None when the target no longer has it."""
    try:
        return await target.retrieve_job(job_id)
    except ServiceError as exc:
        if exc.kind is ErrorKind.NOT_FOUND or exc.status == 404:
            return None
        raise


async def _job_on(target: FineTuningService, training_file: str, model: str) -> Job | None:
    """The newest job on the target's first page that trains `model` on `training_file`."""
    page = await target.list_jobs(limit=100)
    for job in page.jobs:
        if job.training_file == training_file and job.model == model:
            return job
    return None


def _record(moves: MoveRecord, entry: MoveEntry, report: Callable[..., None]) -> None:
    """Save the move as it stands. A record that cannot be saved does not stop the move, but
    is said: a later run would not find what this one made."""
    try:
        moves.save(entry)
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        report(
            "create",
            f"cannot record this move in {moves.file.path.parent} ({reason}): "
            "running it again would not find what it made",
        )
