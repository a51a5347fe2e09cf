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
(`tuner.api.migrate.costs`) and decides which settings carry over (`tuner.api.migrate.settings`).
It sends nothing to the target: it only asks it for the model's limits. `run_migration` uploads
the converted files, asks the target for its own price where it has one (Together's needs the
uploaded files' ids, so it can only come now; a price the account cannot pay stops here, files
uploaded), and creates the job, once: every move is recorded (`tuner.api.migrate.record`), so
running the same move again finds the job it made instead of paying for another, and a move
stopped after its upload goes on from the uploaded file.

This module is the order of those steps and nothing else. Each step lives with its kind: the
job and its files read from the source in `sources`, each file converted and checked (and the
original priced) in `conversion`, the target's job made through the shared creation flow in
`creation`, the never-twice record and look-ups in `resume`; what a plan and a result say, in
`plan` (all in `tuner.api.migrate`).

Both are cancellable (cancel the task: a conversion or check in progress stops at its next
line), and report progress through `on_progress` with plain `MigrationProgress` values, always
called on the event loop that awaits them. Failures: `MigrationError` (and its `DataRefused`,
`DownloadRefused`, `PriceRefused`) in tuner's words, `ServiceError` in the service's.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from tuner.api.ids import checked_id
from tuner.api.jobs.quote import QuoteRefused
from tuner.api.jobs.spec import check_model_available
from tuner.api.migrate.conversion import conversion_target_for, plan_file, source_job_cost
from tuner.api.migrate.costs import estimated_cost
from tuner.api.migrate.creation import move_creation, upload_plan_files
from tuner.api.migrate.errors import MigrationError
from tuner.api.migrate.plan import (
    MigrationPlan,
    MigrationProgress,
    MigrationResult,
    PlannedFile,
    PriceRefused,
    ProgressCallback,
    make_work_dir,
)
from tuner.api.migrate.resume import found_result, job_on, job_still_there, record_step
from tuner.api.migrate.settings import carry_over
from tuner.api.migrate.sources import source_copies, whole_job
from tuner.config.service_facts import SERVICE_FACTS, ServiceFacts
from tuner.data.catalog.choice import default_catalog

if TYPE_CHECKING:
    from collections.abc import Callable

    from tuner.api.migrate.record import MoveRecord
    from tuner.api.service import FineTuningService
    from tuner.data.catalog.lookup import Catalog

__all__ = ["plan_migration", "run_migration"]

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
    job = await whole_job(source, await source.retrieve_job(job_id))
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

    make_work_dir(work_dir)
    copies = await source_copies(
        source, job, work_dir, from_backup, training_path, validation_path, report
    )
    conversion_target = conversion_target_for(
        target_kind, base_model, target_catalog, limits, source_kind
    )
    epochs = settings.spec.hyperparameters.n_epochs
    files = []
    for copy in copies:
        files.append(
            await plan_file(
                copy, work_dir, conversion_target, target_catalog, limits, epochs, settings, report
            )
        )
    training = files[0]
    report("estimate", f"pricing on {source_name} and {target_name}")
    source_cost = await source_job_cost(job, copies[0], source_catalog, source_name, source_kind)
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


def _reporter(on_progress: ProgressCallback | None) -> Callable[..., None]:
    def report(step: str, message: str, done: int | None = None, total: int | None = None) -> None:
        if on_progress is not None:
            on_progress(MigrationProgress(step, message, done, total))

    return report


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
        job = await job_still_there(target, earlier.job_id)
        if job is not None:
            return found_result(plan, job, earlier.training_file, earlier.validation_file, earlier)
        replaced = earlier.job_id
        report(
            "create", f"{replaced}, made by an earlier move, is gone from {capabilities.service}"
        )
    creation = move_creation(plan, target, report)
    uploaded = await upload_plan_files(plan, creation)
    entry = MoveEntry(key, "uploaded", uploaded[0], uploaded[1])
    record_step(moves, entry, report)
    if earlier is not None and earlier.state == "creating" and replaced is None:
        # The last run asked for the job and stopped before it heard the answer: look first.
        job = await job_on(target, uploaded[0], plan.model)
        if job is not None:
            record_step(moves, entry.moved(state="created", job_id=job.id), report)
            return found_result(plan, job, entry.training_file, entry.validation_file, earlier)
    spec = creation.spec_for(*uploaded)
    try:
        quote = await creation.quote(spec)
    except QuoteRefused as exc:
        kept = tuple(file_id for file_id in uploaded if file_id)
        raise PriceRefused(
            f"{exc.message}; the files stay uploaded as {', '.join(kept)}", exc.quote, kept
        ) from None
    record_step(moves, entry.moved(state="creating"), report)
    job = await creation.create(spec)
    record_step(moves, entry.moved(state="created", job_id=job.id, created_at=time.time()), report)
    report("create", f"created {job.id}")
    return MigrationResult(
        plan=plan,
        training_file=uploaded[0],
        validation_file=uploaded[1],
        service_estimate=quote,
        job=job,
        replaced=replaced,
    )
