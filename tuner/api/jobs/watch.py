"""What the jobs screens decide without drawing anything: refresh pacing, job-list merging,
which controls a status allows, event filters and the metric series a chart plots.

Kept out of the UI so the rules are tested directly: a list that polls too often costs the
user's CPU and the service's rate limit, and a control offered for the wrong status turns into
a refusal the user has to read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from tuner.api.jobs.metrics import MetricPoint
from tuner.api.types import Job, JobStatus

# --------------------------------------------------------------------------- controls

Control = Literal["cancel", "pause", "resume"]

# The statuses in which the service accepts each control (FACTS.md; the emulator agrees).
CONTROL_STATUSES: dict[Control, frozenset[JobStatus]] = {
    "cancel": frozenset(
        {JobStatus.VALIDATING, JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.PAUSED}
    ),
    "pause": frozenset({JobStatus.RUNNING}),
    "resume": frozenset({JobStatus.PAUSED}),
}


def control_refusal(control: Control, status: JobStatus) -> str | None:
    """Why `control` cannot apply to a job in `status` (one sentence), or None if it can.

    Checked before asking for confirmation, so the user is never asked to confirm something
    the service would refuse.
    """
    if status in CONTROL_STATUSES[control]:
        return None
    if status.finished:
        return f"The job has {status.value}; it cannot be {_PAST[control]} any more."
    if control == "pause":
        return f"Only a running job can be paused (this one is {status.words})."
    if control == "resume":
        return f"Only a paused job can be resumed (this one is {status.words})."
    return f"A {status.words} job cannot be cancelled."


_PAST: dict[Control, str] = {"cancel": "cancelled", "pause": "paused", "resume": "resumed"}


# --------------------------------------------------------------------------- refresh pacing


@dataclass(frozen=True)
class RefreshPolicy:
    """How often the jobs list re-reads the service while a job is active.

    `fast` after something changed, doubling while nothing does, never slower than `slow`.
    With no active job the list stops refreshing (`next_interval` returns None): a finished
    history does not change by itself, and `r` refreshes by hand.
    """

    fast: float = 5.0
    slow: float = 30.0

    def scaled(self, factor: float) -> RefreshPolicy:
        """The same pacing on a faster clock (tests)."""
        return replace(self, fast=self.fast * factor, slow=self.slow * factor)

    def next_interval(self, previous: float | None, *, changed: bool, active: bool) -> float | None:
        """Seconds until the next refresh; None: stop until something restarts it."""
        if not active:
            return None
        if changed or previous is None:
            return self.fast
        return min(self.slow, previous * 2)


# --------------------------------------------------------------------------- the list of jobs


def _fingerprint(job: Job) -> tuple[object, ...]:
    return (
        job.status,
        job.fine_tuned_model,
        job.trained_tokens,
        job.finished_at,
        job.estimated_finish,
    )


@dataclass
class ListUpdate:
    """What a refresh changed: `changed` ids (rows to redraw), `added` (new rows at the top)
    and `finished` (jobs that went from active to terminal since the last look)."""

    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    finished: list[Job] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.changed or self.added)


class JobList:
    """The profile's jobs, newest first, as loaded page by page and refreshed at the top.

    `next_after` is the cursor for the next older page (None once the history is complete).
    """

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}  # insertion order = newest first
        self.has_more = False
        self.loaded = False

    @property
    def ordered(self) -> list[Job]:
        return list(self.jobs.values())

    @property
    def next_after(self) -> str | None:
        if not self.has_more or not self.jobs:
            return None
        return next(reversed(self.jobs))

    @property
    def active(self) -> list[Job]:
        return [job for job in self.jobs.values() if job.active]

    def append_page(self, page: Sequence[Job], has_more: bool) -> list[str]:
        """Add an older page at the bottom; returns the ids that were new."""
        new = [job.id for job in page if job.id not in self.jobs]
        for job in page:
            self.jobs.setdefault(job.id, job)
        self.has_more = has_more and bool(page)
        self.loaded = True
        return new

    def refresh(self, newest: Sequence[Job], has_more: bool = False) -> ListUpdate:
        """Merge a fresh first page (and any individually re-read jobs) into the list."""
        update = ListUpdate()
        fresh: dict[str, Job] = {}
        for job in newest:
            old = self.jobs.get(job.id)
            if old is None:
                update.added.append(job.id)
                fresh[job.id] = job
                continue
            if _fingerprint(old) != _fingerprint(job):
                update.changed.append(job.id)
                if old.active and job.finished:
                    update.finished.append(job)
            self.jobs[job.id] = job
        if fresh:
            self.jobs = {**fresh, **self.jobs}
        if not self.loaded:
            self.has_more = has_more
            self.loaded = True
        return update


# --------------------------------------------------------------------------- filters

StatusFilter = Literal["all", "active", "succeeded", "failed", "cancelled"]
STATUS_FILTERS: tuple[StatusFilter, ...] = ("all", "active", "succeeded", "failed", "cancelled")


def status_matches(selected: StatusFilter, status: JobStatus) -> bool:
    if selected == "all":
        return True
    if selected == "active":
        return not status.finished
    return status.value == selected


EventFilter = Literal["all", "messages", "metrics"]
EVENT_FILTERS: tuple[EventFilter, ...] = ("all", "messages", "metrics")


def event_matches(selected: EventFilter, event_type: str | None) -> bool:
    """Metrics events are `type == "metrics"`; everything else counts as a message."""
    if selected == "all":
        return True
    is_metrics = event_type == "metrics"
    return is_metrics if selected == "metrics" else not is_metrics


def next_in(options: Sequence[str], current: str) -> str:
    """The option after `current`, wrapping around (for keys that cycle a filter)."""
    index = options.index(current) if current in options else -1
    return options[(index + 1) % len(options)]


# --------------------------------------------------------------------------- metrics for a chart


@dataclass
class MetricSeries:
    """Metric points by step, as a chart plots them: one point per step, newest value wins.

    Live events fill it as they arrive; the finished job's result file `replace`s it with the
    full per-step record (live events may skip steps on long jobs).
    """

    points: dict[int, MetricPoint] = field(default_factory=dict)
    source: Literal["live", "result file"] = "live"

    def add(self, point: MetricPoint) -> None:
        self.points[point.step] = point

    def replace(self, points: Iterable[MetricPoint]) -> None:
        self.points = {point.step: point for point in points}
        self.source = "result file"

    def __len__(self) -> int:
        return len(self.points)

    def series(self, name: str) -> tuple[list[int], list[float]]:
        """(steps, values) of one `MetricPoint` field, skipping steps without a value."""
        steps: list[int] = []
        values: list[float] = []
        for step in sorted(self.points):
            value = getattr(self.points[step], name)
            if value is not None:
                steps.append(step)
                values.append(float(value))
        return steps, values

    @property
    def total_steps(self) -> int | None:
        for step in sorted(self.points, reverse=True):
            total = self.points[step].total_steps
            if total:
                return total
        return None

    @property
    def last(self) -> MetricPoint | None:
        return self.points[max(self.points)] if self.points else None


def deployment_hint(model: str) -> str:
    """What an Azure user must do before chatting with a fine-tuned model: Azure serves a
    model only through a deployment, and chat names the deployment, not the model."""
    return (
        f"deploy {model} on the Azure resource first (Azure AI Foundry > Deployments, or "
        f"az cognitiveservices account deployment create --model-name {model} ...), "
        "then chat with the deployment's name"
    )


def finished_summary(job: Job, *, needs_deployment: bool = False) -> str:
    """One line for a notification: what happened to the job and what it produced (and, on a
    service that serves models only through deployments, the step before chatting)."""
    if job.status is JobStatus.SUCCEEDED:
        made = f"Job {job.id} succeeded: {job.fine_tuned_model or 'model ready'}"
        if needs_deployment and job.fine_tuned_model:
            made += f"; {deployment_hint(job.fine_tuned_model)}"
        return made
    if job.status is JobStatus.FAILED:
        error = job.error
        reason = error.message if error is not None and error.message else "no reason given"
        return f"Job {job.id} failed: {reason}"
    return f"Job {job.id} {job.status.value}"


# --------------------------------------------------------------------------- short names

_DATE_TAIL = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{4})$")


def short_model(model_id: str) -> str:
    """A base model without its snapshot date or its organisation: `gpt-4o-mini-2024-07-18` →
    `gpt-4o-mini`, `meta-llama/Meta-Llama-3.1-8B-Instruct-Reference` → `Meta-Llama-3.1-8B-...`."""
    return _DATE_TAIL.sub("", model_id.rsplit("/", 1)[-1])


# Words a base model's name carries that tell two models of a list apart least.
_MODEL_WORDS = re.compile(r"-(?:Instruct|Reference|Turbo|chat|hf)(?=-|$)", re.IGNORECASE)


def brief_model(model_id: str) -> str:
    """`short_model` without the words that tell models apart least, for a narrow column:
    `meta-llama/Meta-Llama-3.1-8B-Instruct-Reference` → `Llama-3.1-8B`, `Qwen/Qwen2.5-72B-Instruct`
    → `Qwen2.5-72B`; the size stays, which is what tells a family's models apart."""
    name = _MODEL_WORDS.sub("", short_model(model_id))
    return name.removeprefix("Meta-") or short_model(model_id)


def short_fine_tuned(model_id: str | None, base: str | None = None) -> str | None:
    """The distinguishing end of a fine-tuned model's name: `SUFFIX:ID` of OpenAI's
    `ft:BASE:ORG:SUFFIX:ID` (or `ID` with no suffix); `SUFFIX-HASH` of Together's
    `ACCOUNT/BASENAME-SUFFIX-HASH` when its `base` model is given."""
    if not model_id:
        return None
    parts = model_id.split(":")
    if len(parts) >= 5 and parts[0] == "ft":
        suffix, ident = parts[3], parts[4]
        tail = ":".join(parts[5:])
        name = f"{suffix}:{ident}" if suffix else ident
        return f"{name}:{tail}" if tail else name
    if base and "/" in model_id:
        name = model_id.split("/", 1)[1]
        base_name = base.rsplit("/", 1)[-1]
        if name.startswith(f"{base_name}-") and len(name) > len(base_name) + 1:
            return name[len(base_name) + 1 :]
    return model_id
