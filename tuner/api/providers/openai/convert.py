"""The openai SDK's objects as tuner's own types: the one place that reads SDK fields.

Everything is read with plain attribute access, so this module never imports the SDK. A paused
job reports `paused`, which the SDK's status Literal lacks; pydantic keeps the string anyway.
"""

from __future__ import annotations

from typing import Any

from tuner.api.jobs.metrics import MetricPoint, point_from_mapping
from tuner.api.types import Checkpoint, Job, JobError, JobEvent, JobStatus, RemoteFile

_STATUSES = {status.value: status for status in JobStatus}


def job_status(value: str | None) -> JobStatus:
    """OpenAI's status word as tuner's; an unknown word counts as queued (still to come)."""
    return _STATUSES.get(value or "", JobStatus.QUEUED)


def _hyperparameters(job: Any) -> tuple[str, dict[str, Any]]:
    """(method, hyperparameters) as the service resolved them: the method's block, else the
    legacy top-level `hyperparameters`."""
    method = getattr(job, "method", None)
    kind = method.type if method is not None and method.type else "supervised"
    block = getattr(method, kind, None) if method is not None else None
    hyper = getattr(block, "hyperparameters", None) if block is not None else None
    if hyper is None:
        hyper = getattr(job, "hyperparameters", None)
    values = hyper.model_dump(exclude_none=True) if hyper is not None else {}
    return kind, values


def _suffix(fine_tuned_model: str | None) -> str | None:
    parts = (fine_tuned_model or "").split(":")
    return parts[3] or None if len(parts) >= 5 and parts[0] == "ft" else None


def job_from_sdk(job: Any) -> Job:
    method, hyper = _hyperparameters(job)
    error = getattr(job, "error", None)
    job_error = None
    if error is not None and (error.code or error.message):
        job_error = JobError(error.code or None, error.message or "", error.param)
    return Job(
        id=job.id,
        status=job_status(job.status),
        model=job.model,
        created_at=int(job.created_at),
        training_file=job.training_file,
        validation_file=job.validation_file,
        fine_tuned_model=job.fine_tuned_model,
        finished_at=job.finished_at,
        estimated_finish=getattr(job, "estimated_finish", None),
        trained_tokens=job.trained_tokens,
        method=method,
        hyperparameters=hyper,
        seed=getattr(job, "seed", None),
        suffix=_suffix(job.fine_tuned_model),
        error=job_error,
        result_files=tuple(job.result_files or ()),
        service_status=job.status,
    )


def event_from_sdk(event: Any) -> JobEvent:
    data = event.data if isinstance(event.data, dict) else None
    metrics: MetricPoint | None = None
    if data is not None and event.type in (None, "metrics"):
        metrics = point_from_mapping(data)
    return JobEvent(
        id=event.id,
        created_at=int(event.created_at),
        level=event.level,
        message=event.message,
        type="metrics" if metrics is not None else (event.type or "message"),
        metrics=metrics,
        data=data,
    )


def checkpoint_from_sdk(checkpoint: Any) -> Checkpoint:
    metrics = checkpoint.metrics
    values = metrics.model_dump(exclude_none=True) if metrics is not None else {}
    point = point_from_mapping({"step": checkpoint.step_number, **values})
    return Checkpoint(
        id=checkpoint.id,
        step=checkpoint.step_number,
        created_at=int(checkpoint.created_at),
        model=checkpoint.fine_tuned_model_checkpoint,
        metrics=point,
    )


def file_from_sdk(file: Any) -> RemoteFile:
    return RemoteFile(
        id=file.id,
        filename=file.filename,
        bytes=file.bytes,
        created_at=file.created_at,
        purpose=file.purpose,
        status=getattr(file, "status", None),
    )
