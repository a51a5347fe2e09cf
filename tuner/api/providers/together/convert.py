"""The together SDK's objects as tuner's own types: the one place that reads SDK fields.

Everything is read by attribute (or key) with a default, so this module never imports the SDK
and copes with the SDK's three job types (the generated `FinetuneResponse` of retrieve and async
create, the list / cancel items, and the hand-written type of sync create), which name the same
fields differently and leave different ones out.

Decisions worth knowing:

- Status. `pending` (the request is taken, not yet queued) is `QUEUED`, not `VALIDATING`: Together
  checks the data at upload (`preprocess`) and again once running, never in a phase of its own.
  `compressing` and `uploading` (the trained model being packed and stored) are still `RUNNING`,
  `cancel_requested` is `CANCELLING`, `error` and `user_error` are `FAILED`, `completed` is
  `SUCCEEDED`; a word tuner does not know is `QUEUED` (still to come). The service's own word is
  kept in `Job.service_status`.
- `Job.fine_tuned_model` is the job's `model_output_name`, which Together names at creation. It is
  kept whatever the status, as the service gives it; the model answers only once the job
  succeeded, and the screens offer chat only for a `SUCCEEDED` job (the job screen's check on the
  status) and list it as a model only then (`TogetherService.list_models`).
- Times: Together writes jobs, events and checkpoints as ISO-8601 strings, files as unix seconds;
  all become unix seconds. A job has no `finished_at`: a finished job's `updated_at` is the moment
  it reached its last status. `estimated_finish` comes from `progress.seconds_remaining`, which
  counts to the *next* status, so it is used only while the job runs (the next status is the end
  of training).
- Events carry no loss (Together serves those from `/metrics`), but epoch and checkpoint events
  carry `step` and `total_steps`: those events stay `message`s (a person reads them) with a
  `MetricPoint` of the step attached, which moves the job screen's "step n/N" on. An event that
  did carry a step and a loss would be a `metrics` event, as OpenAI's are.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from tuner.api.jobs.metrics import MetricPoint
from tuner.api.types import (
    Checkpoint,
    Job,
    JobError,
    JobEvent,
    JobStatus,
    ModelLimits,
    PriceEstimate,
    RemoteFile,
)

STATUSES: dict[str, JobStatus] = {
    "pending": JobStatus.QUEUED,
    "queued": JobStatus.QUEUED,
    "running": JobStatus.RUNNING,
    "compressing": JobStatus.RUNNING,
    "uploading": JobStatus.RUNNING,
    "cancel_requested": JobStatus.CANCELLING,
    "cancelled": JobStatus.CANCELLED,
    "error": JobStatus.FAILED,
    "user_error": JobStatus.FAILED,
    "completed": JobStatus.SUCCEEDED,
}

_LEVELS = {
    "info": "info",
    "legacy_info": "info",
    "warning": "warn",
    "warn": "warn",
    "legacy_iwarning": "warn",
    "error": "error",
    "legacy_ierror": "error",
}

# Event fields worth keeping in `JobEvent.data` (the `--json` output), when set.
_EVENT_DATA = (
    "type",
    "step",
    "total_steps",
    "checkpoint_path",
    "model_path",
    "token_count",
    "param_count",
    "wandb_url",
)
# Names of a metric row's (or an event's) step and losses, first found wins.
_STEP_KEYS = ("train/global_step", "global_step", "step")
_TRAIN_KEYS = ("train/loss", "train_loss", "loss")
_VALID_KEYS = ("eval/loss", "eval_loss", "valid/loss", "valid_loss")


def field(source: Any, name: str, default: Any = None) -> Any:
    """`source.name` or `source[name]`: SDK objects, nested dicts and pydantic extras alike."""
    if source is None:
        return default
    if isinstance(source, Mapping):
        value = source.get(name, default)
    else:
        value = getattr(source, name, default)
    return default if value is None else value


def epoch(value: Any) -> int | None:
    """Unix seconds from a datetime, an ISO-8601 string or a number; None when absent or odd."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    try:
        return int(datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


def job_status(word: str | None) -> JobStatus:
    """Together's status word as tuner's; an unknown word counts as queued (still to come)."""
    return STATUSES.get((word or "").lower(), JobStatus.QUEUED)


def output_name(job: Any) -> str | None:
    """The trained model's name, whichever of the SDK's job types `job` is."""
    for name in ("x_model_output_name", "model_output_name", "output_name"):
        value = field(job, name)
        if value:
            return str(value)
    return None


def _hyperparameters(job: Any) -> tuple[str, dict[str, Any]]:
    """(method, values the service resolved), keyed with tuner's names."""
    values: dict[str, Any] = {}
    for ours, theirs in (
        ("n_epochs", "n_epochs"),
        ("batch_size", "batch_size"),
        ("learning_rate", "learning_rate"),
    ):
        value = field(job, theirs)
        if value is not None:
            values[ours] = value
    training_type = field(job, "training_type")
    kind = field(training_type, "type")
    if kind is not None:
        values["lora"] = kind == "Lora"
        for name in ("lora_r", "lora_alpha"):
            if field(training_type, name) is not None:
                values[name] = field(training_type, name)
    training_method = field(job, "training_method")
    dpo = field(training_method, "method") == "dpo"
    if dpo and field(training_method, "dpo_beta") is not None:
        values["beta"] = field(training_method, "dpo_beta")
    evals = field(job, "n_evals")
    if evals:
        values["n_evals"] = evals
    return ("dpo" if dpo else "supervised"), values


def _job_error(job: Any, status: JobStatus) -> JobError | None:
    """Why a failed job failed: its last error event (retrieve carries the events), else a
    sentence saying the service gave no reason here."""
    if status is not JobStatus.FAILED:
        return None
    for event in reversed(list(field(job, "events", []) or [])):
        level = _LEVELS.get(str(field(event, "level", "")).lower())
        kind = field(event, "type")
        if level == "error" or kind == "job_error":
            return JobError(str(kind) if kind else None, str(field(event, "message", "")))
    word = field(job, "status", "error")
    return JobError(word, f"Together reports the job as {word}; its events may say why")


def _estimated_finish(job: Any, word: str | None, now: float) -> int | None:
    progress = field(job, "progress")
    if word != "running" or not field(progress, "estimate_available", False):
        return None
    seconds = field(progress, "seconds_remaining")
    return int(now + seconds) if isinstance(seconds, int | float) else None


def job_from_sdk(job: Any, now: float | None = None) -> Job:
    """`now` (unix seconds, default the clock) dates `estimated_finish`."""
    word = field(job, "status")
    status = job_status(word)
    method, hyper = _hyperparameters(job)
    created = epoch(field(job, "created_at")) or 0
    finished = epoch(field(job, "updated_at")) if status.finished else None
    tokens = field(job, "token_count")
    return Job(
        id=str(job.id),
        status=status,
        model=str(field(job, "model") or field(job, "from_checkpoint") or ""),
        created_at=created,
        training_file=field(job, "training_file") or None,
        validation_file=field(job, "validation_file") or None,
        fine_tuned_model=output_name(job),
        finished_at=finished,
        estimated_finish=_estimated_finish(job, word, time.time() if now is None else now),
        trained_tokens=int(tokens) if tokens else None,
        method=method,
        hyperparameters=hyper,
        seed=field(job, "random_seed"),
        suffix=field(job, "suffix") or None,
        error=_job_error(job, status),
        result_files=(),
        service_status=word,
    )


def event_level(event: Any) -> str:
    level = _LEVELS.get(str(field(event, "level", "")).lower())
    if level is None:
        return "error" if field(event, "type") == "job_error" else "info"
    return level


def _event_losses(event: Any) -> dict[str, float]:
    """Losses an event carries beyond the SDK's declared fields (none do today; an event
    that does is a metrics event)."""
    found: dict[str, float] = {}
    for ours, names in (("train_loss", _TRAIN_KEYS), ("valid_loss", _VALID_KEYS)):
        for name in names:
            value = field(event, name)
            if isinstance(value, int | float) and not isinstance(value, bool):
                found[ours] = float(value)
                break
    return found


def event_from_sdk(event: Any, event_id: str) -> JobEvent:
    """One event under the id tuner gave it (Together's events have none; see `events`)."""
    data = {name: field(event, name) for name in _EVENT_DATA}
    data["model_path"] = field(event, "x_model_path") or field(event, "model_path")
    data = {name: value for name, value in data.items() if value not in (None, "", 0)}
    step = data.get("step")
    losses = _event_losses(event)
    point = None
    if isinstance(step, int) and step > 0:
        total = data.get("total_steps")
        point = MetricPoint(
            step=step, total_steps=total if isinstance(total, int) else None, **losses
        )
    return JobEvent(
        id=event_id,
        created_at=epoch(field(event, "created_at")) or 0,
        level=event_level(event),
        message=str(field(event, "message", "")),
        type="metrics" if point is not None and losses else "message",
        metrics=point,
        data=data or None,
    )


def checkpoint_id(job_id: str, step: int, artifact: str | None) -> str:
    """Together's own reference for a checkpoint (`JOB:STEP`, as `from_checkpoint` takes it);
    the final LoRA adapter, which shares its step with the merged model, gets `:adapter`."""
    base = f"{job_id}:{step}"
    return f"{base}:adapter" if artifact == "adapter" else base


def checkpoints_from_sdk(job_id: str, items: Iterable[Any]) -> list[Checkpoint]:
    """Newest (highest step) first. `model` is None: Together serves a checkpoint only on a
    dedicated endpoint, never by name through serverless chat, so none is offered for chat."""
    found: list[Checkpoint] = []
    seen: set[str] = set()
    for item in items:
        step = int(field(item, "step", 0))
        ident = checkpoint_id(job_id, step, field(item, "checkpoint"))
        if ident in seen:
            ident = f"{ident}:{len(found)}"
        seen.add(ident)
        created = epoch(field(item, "created_at")) or 0
        found.append(Checkpoint(id=ident, step=step, created_at=created, model=None))
    return sorted(found, key=lambda c: (c.step, c.created_at), reverse=True)


def file_from_sdk(file: Any) -> RemoteFile:
    return RemoteFile(
        id=str(file.id),
        filename=str(field(file, "filename", "")),
        bytes=field(file, "bytes"),
        created_at=epoch(field(file, "created_at")),
        purpose=field(file, "purpose"),
        status=field(file, "processing_status"),
    )


def file_refusal(file: Any) -> str | None:
    """Why Together's check of an uploaded file failed, or None when it passed (or is pending)."""
    report = field(file, "validation_report")
    status = str(field(file, "processing_status", "")).upper()
    valid = field(report, "valid")
    if valid is False or status.startswith("INVALID") or status in ("FAILED", "ERROR"):
        reason = field(report, "error") or field(report, "message")
        return str(reason) if reason else f"its check ended in {status or 'failure'}"
    return None


def _first(row: Mapping[str, Any], keys: tuple[str, ...]) -> float | None:
    for key in keys:
        value = row.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def metric_points(rows: Iterable[Mapping[str, Any]], total_steps: int | None) -> list[MetricPoint]:
    """Together's metric rows (train rows and evaluation rows, each with its step) merged into
    one point per step, in step order."""
    merged: dict[int, dict[str, float | None]] = {}
    for row in rows:
        step = _first(row, _STEP_KEYS)
        if step is None:
            continue
        values = merged.setdefault(int(step), {"train_loss": None, "valid_loss": None})
        train, valid = _first(row, _TRAIN_KEYS), _first(row, _VALID_KEYS)
        if train is not None:
            values["train_loss"] = train
        if valid is not None:
            values["valid_loss"] = valid
    return [
        MetricPoint(step=step, total_steps=total_steps, **merged[step]) for step in sorted(merged)
    ]


def limits_from_sdk(limits: Any, model: str) -> ModelLimits:
    """`max_tokens` is the supervised context length. Batch sizes are LoRA's (the default);
    full training's may differ, and the SDK checks those before it sends a full job."""
    lora = field(limits, "lora_training")
    full = field(limits, "full_training")
    full_ok = bool(field(limits, "supports_full_training", False)) and bool(
        field(full, "max_batch_size", 0)
    )
    return ModelLimits(
        model=str(field(limits, "api_model_name") or field(limits, "model_name") or model),
        max_tokens=field(limits, "max_seq_length_sft"),
        max_tokens_dpo=field(limits, "max_seq_length_dpo"),
        lora=lora is not None,
        full=full_ok,
        max_epochs=field(limits, "max_num_epochs"),
        min_batch_size=field(lora, "min_batch_size"),
        max_batch_size=field(lora, "max_batch_size"),
        min_learning_rate=field(limits, "min_learning_rate"),
        max_learning_rate=field(limits, "max_learning_rate"),
        vision=_flag(field(limits, "supports_vision")),
        tools=_flag(field(limits, "supports_tools")),
    )


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def price_from_sdk(estimate: Any) -> PriceEstimate:
    """An available estimate (`estimation_available` true) as tuner's `PriceEstimate`."""
    dollars = float(field(estimate, "estimated_total_price", 0.0))
    tokens = field(estimate, "estimated_train_token_count")
    allowed = field(estimate, "allowed_to_proceed", True) is not False
    note = None
    if not allowed:
        limit = field(estimate, "user_limit")
        credit = f" (${limit:,.2f})" if isinstance(limit, int | float) else ""
        note = (
            f"Together estimates ${dollars:,.2f}, more than the account's credit limit{credit} "
            "and balance: the job would likely be cancelled for insufficient funds."
        )
    return PriceEstimate(
        dollars=dollars,
        trained_tokens=int(tokens) if tokens else None,
        allowed=allowed,
        note=note,
    )
