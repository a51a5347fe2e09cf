"""A fine-tuning job, its events and checkpoints as Together's JSON.

Which fields each answer carries is decided field by field against both the OpenAPI
(`FinetuneResponseTruncated` for create, list and cancel; `FinetuneResponse` for retrieve;
`FineTuneEvent`; `FineTuneCheckpoint`) and the official SDK's type for that call, so nothing the
SDK would see as an unknown field is sent, except where the OpenAPI requires it:
- every event carries `training_offset` and `hash`, which the OpenAPI requires and SDK 3.x's
  generated `FinetuneEvent` no longer declares;
- the create answer leaves out `packing` and `random_seed`, which the SDK's hand-written
  `FinetuneResponse` (the type `create` returns) lacks, and adds `adapter_output_name`, which
  that type requires (the name of the LoRA adapter, null for full training); list and cancel
  carry the OpenAPI's fields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import catalog
from .times import iso

if TYPE_CHECKING:
    from .jobs import TogetherJob


def event(
    at: float,
    type: str,
    message: str,
    *,
    level: str = "info",
    step: int = 0,
    total_steps: int = 0,
    checkpoint_path: str = "",
    model_path: str = "",
    param_count: int = 0,
    token_count: int = 0,
    wandb_url: str = "",
) -> dict[str, Any]:
    """One `FineTuneEvent`, with every field the OpenAPI requires (zeros and "" when unset)."""
    return {
        "object": "fine-tune-event",
        "created_at": iso(at),
        "level": level,
        "message": message,
        "type": type,
        "param_count": param_count,
        "token_count": token_count,
        "total_steps": total_steps,
        "wandb_url": wandb_url,
        "step": step,
        "checkpoint_path": checkpoint_path,
        "model_path": model_path,
        "training_offset": 0,
        "hash": "",
    }


def checkpoint(at: float, step: int, path: str, kind: str, artifact: str) -> dict[str, Any]:
    """One `FineTuneCheckpoint`; `kind` is the display label ("Intermediate", "Final Merged")."""
    return {
        "step": step,
        "path": path,
        "created_at": iso(at),
        "checkpoint_type": kind,
        "checkpoint": artifact,
    }


def _common(job: TogetherJob) -> dict[str, Any]:
    spec = job.spec
    body: dict[str, Any] = {
        "id": job.id,
        "status": job.status,
        "created_at": iso(job.created_at),
        "updated_at": iso(job.updated_at),
        "user_id": catalog.USER_ID,
        "model": spec.model.name,
        "model_output_name": job.output_name,
        "training_file": spec.training_file,
        "n_epochs": spec.n_epochs,
        "n_checkpoints": spec.n_checkpoints,
        "n_evals": spec.n_evals,
        "batch_size": spec.batch_size,
        "learning_rate": spec.learning_rate,
        "lr_scheduler": spec.lr_scheduler,
        "warmup_ratio": spec.warmup_ratio,
        "max_grad_norm": spec.max_grad_norm,
        "weight_decay": spec.weight_decay,
        "training_type": spec.training_type,
        "training_method": spec.training_method,
        "token_count": job.token_count,
        "total_price": job.total_price,
        "progress": job.progress(),
    }
    if job.started_at is not None:
        body["started_at"] = iso(job.started_at)
    if spec.validation_file:
        body["validation_file"] = spec.validation_file
    if spec.from_checkpoint:
        body["from_checkpoint"] = spec.from_checkpoint
    if spec.wandb_key:
        body["wandb_project_name"] = spec.wandb_project_name or "together"
    return body


def truncated(job: TogetherJob, *, for_create: bool = False) -> dict[str, Any]:
    """`FinetuneResponseTruncated`: the answer of create, list and cancel."""
    spec = job.spec
    body = _common(job)
    if spec.suffix:
        body["suffix"] = spec.suffix
    if spec.max_seq_length is not None:
        body["max_seq_length"] = spec.max_seq_length
    if spec.wandb_key and spec.wandb_name:
        body["wandb_name"] = spec.wandb_name
    if for_create:
        body["adapter_output_name"] = None if spec.full else f"{job.output_name}-adapter"
    else:
        body["packing"] = spec.packing
        body["random_seed"] = spec.random_seed
    return body


def full(job: TogetherJob) -> dict[str, Any]:
    """`FinetuneResponse`: the answer of retrieve, with the job's events."""
    spec = job.spec
    body = _common(job)
    body["events"] = list(job.events)
    body["trainingfile_numlines"] = job.n_examples
    body["trainingfile_size"] = job.training_bytes
    body["param_count"] = spec.model.param_count
    body["epochs_completed"] = job.epochs_completed()
    body["queue_depth"] = 0
    if spec.n_evals:
        body["eval_steps"] = max(1, job.total_steps // spec.n_evals)
    if spec.training_method["method"] == "sft":
        body["train_on_inputs"] = spec.training_method["train_on_inputs"]
    if job.model_path:
        body["model_output_path"] = job.model_path
    if job.wandb_url:
        body["wandb_url"] = job.wandb_url
    return body
