"""`tuner eval --job JOB`: a job's fine-tune and its base, measured on the job's validation file.

The question after a fine-tune is whether it beats the model it started from on data it has not
seen; the job already names all three: its `fine_tuned_model`, its base `model`, and the
validation file it was given. The files come from a backup made with `tuner backup` when one is
named (a service may refuse to send training files, or no longer have them), else from the
service, saved once in tuner's data folder and reused by the next run. The training file is
fetched as well, to warn when eval prompts were also trained on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tuner.api.migrate.errors import MigrationError
from tuner.api.migrate.sources import BackupCopies, SourceCopy, download_copy

if TYPE_CHECKING:
    from tuner.api.service import FineTuningService
    from tuner.api.types import Job

EVAL_FILES_DIR = "eval-files"


class JobSourceError(Exception):
    """The job cannot be evaluated as asked (not finished, no validation file, a file that
    cannot be had); one line saying why and what to do instead."""


@dataclass(frozen=True, slots=True)
class JobSource:
    """The job, its two models, and local copies of its files (None where it has none)."""

    job: Job
    fine_tuned: str
    base: str
    validation: SourceCopy | None
    training: SourceCopy | None


def eval_files_dir() -> Path:
    """Where a job's files are kept between runs (tuner's data folder)."""
    from tuner.config import data_dir

    return data_dir() / EVAL_FILES_DIR


async def job_source(
    service: FineTuningService,
    job_id: str,
    *,
    backup: Path | None = None,
    need_validation: bool = True,
    work_dir: Path | None = None,
) -> JobSource:
    """The job's models and files. Raises `JobSourceError`, or `ServiceError` when the service
    cannot be asked."""
    job = await service.retrieve_job(job_id)
    if not job.fine_tuned_model:
        raise JobSourceError(
            f"job {job.id} has no fine-tuned model ({job.status.words}): evaluate it once it "
            "has succeeded"
        )
    if need_validation and not job.validation_file:
        raise JobSourceError(
            f"job {job.id} was trained without a validation file: give the held-out file to "
            "evaluate on (tuner eval FILE --job ...; `tuner split` makes one)"
        )
    folder = work_dir or eval_files_dir()
    copies = BackupCopies(backup) if backup is not None else None
    listed = None
    found: dict[str, SourceCopy | None] = {}
    for role, file_id in (("validation", job.validation_file), ("training", job.training_file)):
        if file_id is None or (role == "validation" and not need_validation):
            found[role] = None
            continue
        try:
            if copies is not None:
                found[role] = copies.copy(role, file_id)
                continue
            if listed is None:
                listed = {remote.id: remote for remote in await service.list_files()}
                folder.mkdir(parents=True, exist_ok=True)
            found[role] = await download_copy(service, role, file_id, folder, listed)
        except MigrationError as exc:
            if role == "training":
                found[role] = None  # only for the overlap warning: go on without it
                continue
            raise JobSourceError(str(exc)) from None
    return JobSource(job, job.fine_tuned_model, job.model, found["validation"], found["training"])
