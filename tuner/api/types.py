"""tuner's own small types for what a fine-tuning service returns: jobs, events, checkpoints, files.

Every service tuner talks to (OpenAI, Azure OpenAI, a compatible host, Together AI) answers in its
own shapes. The implementations behind `tuner.api.service.FineTuningService` translate those into
these frozen dataclasses, and nothing above `tuner.api` ever sees an SDK type: a screen that shows
a `Job` works the same whichever service produced it, and a second service plugs in without
touching a screen.

Statuses are tuner's (`JobStatus`); the service's own word is kept in `Job.service_status` for the
user who wants to see it. Every type has `to_json()` for the headless commands' `--json` output,
which is therefore the same shape for every service.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from tuner.api.jobs.metrics import MetricPoint
from tuner.config.service_facts import RulesFamily, ServiceFacts, facts_for

Progress = Callable[[int, int], None]
"""progress(bytes_sent, bytes_total); called often from an upload or a download, must be cheap."""


class JobStatus(StrEnum):
    """Where a job is, in tuner's words. The values are OpenAI's, which most services share."""

    VALIDATING = "validating_files"
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    CANCELLING = "cancelling"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        """True once the job can no longer change (it succeeded, failed or was cancelled)."""
        return self in FINISHED_STATUSES

    @property
    def words(self) -> str:
        """How a person reads it: `validating`, `running`, ..."""
        return "validating" if self is JobStatus.VALIDATING else self.value


FINISHED_STATUSES = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})


def _plain(value: Any) -> Any:
    """Dataclasses, enums, mappings and tuples as plain JSON data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class _JsonMixin:
    def to_json(self) -> dict[str, Any]:
        """This value as plain JSON data (the `--json` output of the commands)."""
        return _plain(self)  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class JobError(_JsonMixin):
    """Why a job failed, as the service said it: a code, a message, the parameter at fault."""

    code: str | None
    message: str
    param: str | None = None


@dataclass(frozen=True, slots=True)
class Job(_JsonMixin):
    """A fine-tuning job as the service last reported it.

    `fine_tuned_model` is what one chats with once it succeeded (OpenAI's `ft:...` id,
    Together's output name). `hyperparameters` holds the values the service resolved (after
    "auto" became numbers), keyed with tuner's names: n_epochs, batch_size,
    learning_rate_multiplier, learning_rate, beta, lora...
    """

    id: str
    status: JobStatus
    model: str
    created_at: int
    training_file: str | None = None
    validation_file: str | None = None
    fine_tuned_model: str | None = None
    finished_at: int | None = None
    estimated_finish: int | None = None
    trained_tokens: int | None = None
    method: str = "supervised"
    hyperparameters: Mapping[str, Any] = field(default_factory=dict)
    seed: int | None = None
    suffix: str | None = None
    error: JobError | None = None
    result_files: tuple[str, ...] = ()
    service_status: str | None = None

    @property
    def finished(self) -> bool:
        return self.status.finished

    @property
    def active(self) -> bool:
        return not self.status.finished


@dataclass(frozen=True, slots=True)
class JobEvent(_JsonMixin):
    """One line of a job's log. `metrics` is set for a training-metrics event."""

    id: str
    created_at: int
    level: str  # info | warn | error
    message: str
    type: str = "message"  # message | metrics
    metrics: MetricPoint | None = None
    data: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class EventPage:
    """One page of events, newest first (the order every service lists them in)."""

    events: tuple[JobEvent, ...]
    has_more: bool


@dataclass(frozen=True, slots=True)
class Checkpoint(_JsonMixin):
    """A saved step of a job. `model` is the name to chat with, when the service serves it."""

    id: str
    step: int
    created_at: int
    model: str | None = None
    metrics: MetricPoint | None = None


@dataclass(frozen=True, slots=True)
class RemoteFile(_JsonMixin):
    """A file stored on the service (training data, a result CSV)."""

    id: str
    filename: str
    bytes: int | None
    created_at: int | None
    purpose: str | None = None
    status: str | None = None


ModelKind = Literal["fine_tuned", "checkpoint", "base"]


@dataclass(frozen=True, slots=True)
class JobPage:
    """One page of jobs, newest first, and whether older ones follow."""

    jobs: tuple[Job, ...]
    has_more: bool


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a service can do beyond the basics (upload, create, list, follow, cancel, chat).

    Screens and commands offer only what is here, and `missing` says why in one sentence when a
    user asks for something the connected service lacks.
    """

    service: str  # "OpenAI", "Azure OpenAI", "Together AI", ...
    pause_resume: bool = False
    checkpoints: bool = False
    dpo: bool = False
    price_estimate: bool = False
    uploads_in_parts: bool = False
    result_metrics: bool = False
    models_need_deployment: bool = False
    # Together's shape: a LoRA-or-full choice and an absolute learning rate (OpenAI's API takes
    # a learning-rate multiplier and picks the method of adaptation itself).
    lora_choice: bool = False
    absolute_learning_rate: bool = False
    # Whether a running job's events carry its loss (OpenAI's metrics events). Together's do
    # not: a screen charting the loss live reads `job_metrics` while the job runs instead.
    loss_in_events: bool = True
    # Whose data rules and catalog a file for this service is checked with (its facts' `rules`):
    # `tuner.data.analysis.analyse.analyse_file(service=...)`.
    rules: RulesFamily = RulesFamily.OPENAI
    # The profile kind it was opened for ("openai", "azure", "together"): the key of its
    # `facts`, which callers ask instead of comparing the kind with a name.
    kind: str = "openai"
    # Chat with `response_format` json_schema (a judge's verdict as JSON) and an embeddings
    # endpoint (the `cosine` grader). A compatible host is assumed to have both until it refuses.
    structured_output: bool = True
    embeddings: bool = True
    # The embeddings model the `cosine` grader uses when none is named (None: name one).
    embedding_model: str | None = None

    @property
    def facts(self) -> ServiceFacts:
        """What tuner knows of this kind of service (`tuner.config.service_facts`): the same
        facts a profile of the kind gives before the service is opened."""
        return facts_for(self.kind)

    def missing(self, feature: str) -> str | None:
        """None if `feature` (a field name above) is supported, else why it is not offered."""
        if getattr(self, feature, False):
            return None
        words = {
            "pause_resume": "pause or resume a job",
            "checkpoints": "list a job's checkpoints",
            "dpo": "train with preference (DPO) data",
            "price_estimate": "price a job before it starts",
            "uploads_in_parts": "take files larger than one upload request",
            "result_metrics": "send a finished job's metrics file",
            "models_need_deployment": "require deploying a model",
            "lora_choice": "choose between LoRA and full fine-tuning",
            "absolute_learning_rate": "take an absolute learning rate (it takes a multiplier)",
            "structured_output": "answer in a JSON schema (structured output)",
            "embeddings": "make embeddings",
        }
        return f"{self.service} cannot {words.get(feature, feature.replace('_', ' '))}."


@dataclass(frozen=True, slots=True)
class PriceEstimate(_JsonMixin):
    """The service's own price for a job before it starts (Together's `estimate-price`),
    shown beside tuner's estimate: the service's figure is the one it will bill.

    `trained_tokens` is what the service counted (examples' tokens times epochs) when it says;
    `allowed` is False when the account may not start the job (over its credit limit), with
    `note` saying why in the service's terms.
    """

    dollars: float
    trained_tokens: int | None = None
    allowed: bool = True
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ModelLimits(_JsonMixin):
    """What a service allows when fine-tuning one base model (Together's `models/limits`).

    `max_tokens` is the longest example it trains on (its context length for supervised
    training), `max_tokens_dpo` the same for preference training. None: not said.
    """

    model: str
    max_tokens: int | None = None
    max_tokens_dpo: int | None = None
    lora: bool = True
    full: bool = False
    max_epochs: int | None = None
    min_batch_size: int | None = None
    max_batch_size: int | None = None
    min_learning_rate: float | None = None
    max_learning_rate: float | None = None
    # Whether the model trains on images / tool calls; None: the service does not say.
    vision: bool | None = None
    tools: bool | None = None
