"""Fine-tuning jobs: create from a typed spec, list, retrieve, cancel / pause / resume, checkpoints.

Results are the SDK's own pydantic types (`FineTuningJob`, `FineTuningJobCheckpoint`), so screens
see exactly the fields the service documents. A suffix is checked locally first: a typo should not
cost a round trip, nor show up as the service's terser refusal.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from tuner.api.errors import ErrorKind, ServiceError, service_errors

if TYPE_CHECKING:
    from openai import AsyncOpenAI
    from openai.types.fine_tuning import FineTuningJob
    from openai.types.fine_tuning.jobs import FineTuningJobCheckpoint

TERMINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})
SUFFIX_MAX = 64
# The OpenAPI description only bounds the length (1–64). The suffix becomes one colon-separated
# field of `ft:BASE:ORG:SUFFIX:ID`, so tuner allows the characters that are safe there.
SUFFIX_PATTERN = re.compile(r"^[A-Za-z0-9._-]+$")
METADATA_MAX_PAIRS = 16

Method = Literal["supervised", "dpo"]
Auto = Literal["auto"]


@dataclass(frozen=True)
class Hyperparameters:
    """None means "not sent" (the service picks); "auto" is sent as "auto"."""

    n_epochs: int | Auto | None = None
    batch_size: int | Auto | None = None
    learning_rate_multiplier: float | Auto | None = None
    beta: float | Auto | None = None  # dpo only

    def as_params(self, method: Method) -> dict[str, Any]:
        values = {
            "n_epochs": self.n_epochs,
            "batch_size": self.batch_size,
            "learning_rate_multiplier": self.learning_rate_multiplier,
        }
        if method == "dpo":
            values["beta"] = self.beta
        return {key: value for key, value in values.items() if value is not None}


@dataclass(frozen=True)
class JobSpec:
    """Everything a new job needs; `as_params()` is the request body (Nones omitted)."""

    model: str
    training_file: str
    validation_file: str | None = None
    suffix: str | None = None
    seed: int | None = None
    metadata: Mapping[str, str] | None = None
    method: Method = "supervised"
    hyperparameters: Hyperparameters = field(default_factory=Hyperparameters)

    def as_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"model": self.model, "training_file": self.training_file}
        optional = {
            "validation_file": self.validation_file,
            "suffix": self.suffix,
            "seed": self.seed,
            "metadata": dict(self.metadata) if self.metadata else None,
        }
        params.update({key: value for key, value in optional.items() if value is not None})
        method: dict[str, Any] = {"type": self.method}
        hyper = self.hyperparameters.as_params(self.method)
        if hyper:
            method[self.method] = {"hyperparameters": hyper}
        params["method"] = method
        return params


def check_spec(spec: JobSpec) -> None:
    """Raise `ServiceError(invalid_request)` for what the service would refuse anyway."""
    if not spec.model:
        raise _invalid("a base model is required")
    if not spec.training_file:
        raise _invalid("a training file is required")
    check_suffix(spec.suffix)
    if spec.metadata and len(spec.metadata) > METADATA_MAX_PAIRS:
        raise _invalid(f"metadata holds at most {METADATA_MAX_PAIRS} pairs")
    if spec.method not in ("supervised", "dpo"):
        raise _invalid(f"method must be supervised or dpo, not {spec.method!r}")
    epochs = spec.hyperparameters.n_epochs
    if isinstance(epochs, int) and not 1 <= epochs <= 50:
        raise _invalid(f"n_epochs must be between 1 and 50 (got {epochs})")
    batch = spec.hyperparameters.batch_size
    if isinstance(batch, int) and not 1 <= batch <= 256:
        raise _invalid(f"batch_size must be between 1 and 256 (got {batch})")


def check_suffix(suffix: str | None) -> None:
    """A suffix is 1–64 characters of letters, digits, '.', '_' and '-' (None: no suffix)."""
    if suffix is None:
        return
    if not suffix or len(suffix) > SUFFIX_MAX:
        raise _invalid(f"suffix must be 1 to {SUFFIX_MAX} characters (got {len(suffix)})")
    if not SUFFIX_PATTERN.match(suffix):
        bad = sorted({char for char in suffix if not SUFFIX_PATTERN.match(char)})
        shown = " ".join(repr(char) for char in bad)
        raise _invalid(f"suffix may hold only letters, digits, '.', '_' and '-' (not {shown})")


def _invalid(message: str) -> ServiceError:
    return ServiceError(ErrorKind.INVALID_REQUEST, f"Invalid job: {message}")


async def create_job(client: AsyncOpenAI, spec: JobSpec) -> FineTuningJob:
    """Check `spec` locally, then create the job; returns it (status validating_files)."""
    check_spec(spec)
    with service_errors():
        return await client.fine_tuning.jobs.create(**spec.as_params())


async def list_jobs(
    client: AsyncOpenAI, after: str | None = None, limit: int = 20
) -> tuple[list[FineTuningJob], bool]:
    """One page, newest first, and whether more follow; pass the last id as `after` for more."""
    kwargs: dict[str, Any] = {"limit": limit}
    if after:
        kwargs["after"] = after
    with service_errors():
        page = await client.fine_tuning.jobs.list(**kwargs)
    return list(page.data), bool(page.has_more)


async def iter_jobs(client: AsyncOpenAI, page_size: int = 100) -> AsyncIterator[FineTuningJob]:
    """Every job, newest first, fetching pages as the consumer goes."""
    after: str | None = None
    while True:
        jobs, has_more = await list_jobs(client, after=after, limit=page_size)
        for job in jobs:
            yield job
        if not has_more or not jobs:
            return
        after = jobs[-1].id


async def retrieve_job(client: AsyncOpenAI, job_id: str) -> FineTuningJob:
    with service_errors():
        return await client.fine_tuning.jobs.retrieve(job_id)


async def cancel_job(client: AsyncOpenAI, job_id: str) -> FineTuningJob:
    with service_errors():
        return await client.fine_tuning.jobs.cancel(job_id)


async def pause_job(client: AsyncOpenAI, job_id: str) -> FineTuningJob:
    with service_errors():
        return await client.fine_tuning.jobs.pause(job_id)


async def resume_job(client: AsyncOpenAI, job_id: str) -> FineTuningJob:
    with service_errors():
        return await client.fine_tuning.jobs.resume(job_id)


async def list_checkpoints(client: AsyncOpenAI, job_id: str) -> list[FineTuningJobCheckpoint]:
    """All checkpoints the service kept for a job, newest first."""
    with service_errors():
        return [item async for item in client.fine_tuning.jobs.checkpoints.list(job_id)]


@dataclass(frozen=True)
class ChatModel:
    """A model one can chat with. `kind`: fine_tuned, checkpoint or base."""

    id: str
    kind: Literal["fine_tuned", "checkpoint", "base"]
    created: int | None = None
    job_id: str | None = None


def _model_kind(model_id: str) -> Literal["fine_tuned", "checkpoint", "base"]:
    if model_id.startswith("ft:"):
        return "checkpoint" if ":ckpt-step-" in model_id else "fine_tuned"
    return "base"


async def list_chat_models(client: AsyncOpenAI, job_pages: int = 1) -> list[ChatModel]:
    """Fine-tuned models (newest first), then base models (by name).

    Fine-tuned models come from `/v1/models` and from the recent succeeded jobs (a service such
    as Azure may not list them as models); base models are the rest of `/v1/models`.
    """
    with service_errors():
        listed = [item async for item in client.models.list()]
    fine_tuned: dict[str, ChatModel] = {}
    base: list[ChatModel] = []
    for model in listed:
        kind = _model_kind(model.id)
        entry = ChatModel(model.id, kind, getattr(model, "created", None))
        if kind == "base":
            base.append(entry)
        else:
            fine_tuned[model.id] = entry
    after: str | None = None
    for _ in range(job_pages):
        jobs, has_more = await list_jobs(client, after=after, limit=100)
        for job in jobs:
            name = job.fine_tuned_model
            if job.status == "succeeded" and name:
                known = fine_tuned.get(name)
                created = job.finished_at or job.created_at
                fine_tuned[name] = ChatModel(
                    name, "fine_tuned", known.created if known else created, job.id
                )
        if not has_more or not jobs:
            break
        after = jobs[-1].id
    newest_first = sorted(fine_tuned.values(), key=lambda m: m.created or 0, reverse=True)
    return newest_first + sorted(base, key=lambda m: m.id)
