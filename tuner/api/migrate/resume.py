"""Never the same move twice: each step of a move saved as it goes, and what an earlier run of
it made found again on the target.

Kept apart from the move's orchestration (`tuner.api.migrate.move`) because this is the part that
keeps a second run from paying for a second job: the record (`tuner.api.migrate.record`) is only
a hint, so the job it names is looked up before it is trusted, and a run that stopped between
asking for the job and hearing the answer looks for a job on its files before it makes one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.migrate.plan import MigrationPlan, MigrationResult

if TYPE_CHECKING:
    from tuner.api.migrate.record import MoveEntry, MoveRecord
    from tuner.api.service import FineTuningService
    from tuner.api.types import Job


def found_result(
    plan: MigrationPlan,
    job: Job,
    training_file: str | None,
    validation_file: str | None,
    earlier: MoveEntry,
) -> MigrationResult:
    """The result of a move made before: its job, found on the target, not made again."""
    return MigrationResult(
        plan=plan,
        training_file=job.training_file or training_file or "",
        validation_file=job.validation_file or validation_file,
        service_estimate=None,
        job=job,
        found=True,
        made_at=earlier.created_at or earlier.saved_at or None,
    )


async def job_still_there(target: FineTuningService, job_id: str) -> Job | None:
    """The job an earlier move made, or None when the target no longer has it."""
    try:
        return await target.retrieve_job(job_id)
    except ServiceError as exc:
        if exc.kind is ErrorKind.NOT_FOUND or exc.status == 404:
            return None
        raise


async def job_on(target: FineTuningService, training_file: str, model: str) -> Job | None:
    """The newest job on the target's first page that trains `model` on `training_file`."""
    page = await target.list_jobs(limit=100)
    for job in page.jobs:
        if job.training_file == training_file and job.model == model:
            return job
    return None


def record_step(moves: MoveRecord, entry: MoveEntry, report: Callable[..., None]) -> None:
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
