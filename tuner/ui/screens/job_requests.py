"""What the job screen asks of the service, and the typed messages its answers come back as.

The screen runs each of these in a worker it owns (so leaving the screen cancels them) and
handles the messages: following the events (`follow_job`), re-reading the job and its
checkpoints (`read_details`), a job's full per-step metrics (`read_results`), and cancel, pause
or resume (`apply_control`). Each kind of work has its `WorkFailed` message, so the screen's
handlers, not a switch on worker names, say what could not be done. Kept apart from the screen
so the screen reads as what it shows and what its keys do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

from tuner.api.jobs.follower import FollowState, FollowStatus, PollPolicy
from tuner.api.jobs.watch import Control, control_refusal
from tuner.api.types import Capabilities, Checkpoint, Job, JobEvent
from tuner.data.fit_text import short_path
from tuner.ui.failures import WorkFailed, describe_error

if TYPE_CHECKING:
    from tuner.api.jobs.metrics import MetricPoint
    from tuner.api.service import FineTuningService

Post = Callable[[Message], object]

# The `Capabilities` feature each control needs (cancel: every service can).
CONTROL_FEATURE = {"cancel": None, "pause": "pause_resume", "resume": "pause_resume"}

# What the confirmation asks before a control is sent.
CONTROL_QUESTIONS = {
    "cancel": "Cancel this job? Training stops and cannot be restarted.",
    "pause": "Pause this job? It keeps its progress and can be resumed.",
    "resume": "Resume this job?",
}


@dataclass
class EventsArrived(Message):
    """Events read together (a finished job's whole history at once): drawn together."""

    events: list[JobEvent]


@dataclass
class FollowChanged(Message):
    status: FollowStatus


@dataclass
class CursorUnsaved(Message):
    """Where the user got to cannot be saved (a read-only or full data folder). Said once."""

    error: OSError

    @property
    def warning(self) -> str:
        """What the user is told: following goes on, and why the place is not kept."""
        error = self.error
        folder = Path(error.filename).parent if error.filename else "data folder"
        return (
            f"Following goes on, but where you got to is not saved ({short_path(folder)}: "
            f"{describe_error(error)})"
        )


@dataclass
class FollowEnded(Message):
    job: Job | None


@dataclass
class DetailsLoaded(Message):
    """The job and its checkpoints, re-read."""

    job: Job
    checkpoints: list[Checkpoint]


@dataclass
class ResultsLoaded(Message):
    """A finished job's full per-step metrics (its result file)."""

    points: list[MetricPoint]


@dataclass
class ControlDone(Message):
    """The service accepted a cancel, pause or resume."""

    job: Job


class FollowFailed(WorkFailed):
    DOING = "follow the job"


class DetailsFailed(WorkFailed):
    DOING = "read the job"


class ResultsFailed(WorkFailed):
    DOING = "read the result metrics"


class ControlRefused(WorkFailed):
    DOING = "cancel, pause or resume the job"


def stopped_following(failed: FollowFailed) -> FollowStatus:
    """The follower's state once following failed: the header says why."""
    from tuner.api.errors import ErrorKind, ServiceError

    failure = failed.error
    if not isinstance(failure, ServiceError):
        failure = ServiceError(ErrorKind.UNKNOWN, failed.reason)
    return FollowStatus(FollowState.FAILED, failure)


def control_offered(control: str, job: Job | None, capabilities: Capabilities | None) -> bool:
    """Whether the footer offers `control`: not once the job ended (nothing to cancel, pause or
    resume any more), nor what the service cannot do."""
    if job is not None and job.finished:
        return False
    feature = CONTROL_FEATURE.get(control)
    if feature is not None and capabilities is not None:
        return capabilities.missing(feature) is None
    return True


def control_problem(control: Control, job: Job, capabilities: Capabilities | None) -> str | None:
    """Why `control` cannot be sent now (the service lacks it, or the job's status), or None."""
    feature = CONTROL_FEATURE[control]
    missing = capabilities.missing(feature) if feature and capabilities else None
    return missing or control_refusal(control, job.status)


async def follow_job(service: FineTuningService, job_id: str, poll: PollPolicy, post: Post) -> None:
    """Every event of the job, once, in batches, until it ends: `EventsArrived` per batch,
    `FollowChanged` as the connection comes and goes, `FollowEnded` with the last job read."""
    from tuner.api.jobs.cursors import CursorStore
    from tuner.api.jobs.follower import EventFollower

    follower = EventFollower(
        service,
        job_id,
        CursorStore(),
        poll=poll,
        resume=False,  # the whole history, once; the saved cursor only marks "new since"
        on_state=lambda status: post(FollowChanged(status)),
        on_cursor_error=lambda error: post(CursorUnsaved(error)),
    )
    async for batch in follower.batches():
        post(EventsArrived(batch))
    post(FollowEnded(follower.job))


async def read_details(service: FineTuningService, job_id: str, post: Post) -> None:
    """The job and its checkpoints (`DetailsLoaded`); while it trains on a service whose events
    carry no loss (Together), its metrics so far too (`ResultsLoaded`)."""
    from tuner.api.errors import ServiceError

    job = await service.retrieve_job(job_id)
    checkpoints = await service.list_checkpoints(job_id)
    post(DetailsLoaded(job, checkpoints))
    if job.active and not service.capabilities.loss_in_events:
        # Its events carry no loss (Together): the chart follows the metrics instead.
        try:
            points = await service.job_metrics(job)
        except ServiceError:
            points = []  # the final read after the job ends says what went wrong
        if points:
            post(ResultsLoaded(points))


async def read_results(
    service: FineTuningService, job: Job | None, job_id: str, post: Post
) -> None:
    """A job's full per-step metrics (`ResultsLoaded`, when it has any); `job` is read first
    when not known yet."""
    job = job if job is not None else await service.retrieve_job(job_id)
    points = await service.job_metrics(job)
    if points:
        post(ResultsLoaded(points))


async def apply_control(
    service: FineTuningService, job_id: str, control: Control, post: Post
) -> None:
    """Cancel, pause or resume the job: `ControlDone` with the job as the service left it."""
    call = {
        "cancel": service.cancel_job,
        "pause": service.pause_job,
        "resume": service.resume_job,
    }[control]
    post(ControlDone(await call(job_id)))
