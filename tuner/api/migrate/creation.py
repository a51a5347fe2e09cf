"""A move's job on the target, made by the one job-creation flow (`tuner.api.jobs.creation`) that
`tuner jobs create` and the new-job form use: upload or reuse the converted files, ask the
service's price, create.

Kept apart from the move's orchestration (`tuner.api.migrate.move`) because it is the adapter
between the two: the plan's files, already checked (their reports are the plan's, so nothing is
analysed twice), go in; the flow's steps come out as the move's own progress lines.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tuner.api.jobs.creation import CreationStep, JobCreation, JobRequest
from tuner.api.migrate.errors import MigrationError

if TYPE_CHECKING:
    from tuner.api.migrate.plan import MigrationPlan
    from tuner.api.service import FineTuningService


def move_creation(
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


async def upload_plan_files(plan: MigrationPlan, creation: JobCreation) -> tuple[str, str | None]:
    """The target's ids of the plan's converted files: uploaded now, or reused (an identical
    file uploaded before, still there)."""
    for planned in plan.files:
        if not planned.path.is_file():
            raise MigrationError(f"{planned.path} is gone since the plan: plan again")
    return await creation.upload_files()
