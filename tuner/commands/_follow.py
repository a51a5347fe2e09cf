"""Follow a job to its end on stdout, for `tuner jobs follow` and `tuner migrate --follow`.

Both print each event once as it arrives (a line, or a JSON object), say "reconnecting" on
stderr while the service is away, and end with the same exit codes: 0 the job succeeded, 1 it
failed or was cancelled (the reason on stderr); a service that stays unreachable past `timeout`
raises `ServiceError`, which the command turns into exit 2. Ctrl-C stops the following, not the
job: both then say so and give the exact command that picks the following up where it stopped
(`interrupted_line`; the cursor of every event shown is saved), and exit 130.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from tuner.commands._service import print_json
from tuner.data.visible_text import visible_line

if TYPE_CHECKING:
    from tuner.api.jobs.cursors import CursorStore
    from tuner.api.service import FineTuningService
    from tuner.api.types import Job, JobEvent

DEFAULT_POLL_INTERVAL = 1.5
# Seconds a follow keeps trying a service it cannot reach before giving up (exit 2).
DEFAULT_UNREACHABLE_TIMEOUT = 300.0

Shown = Literal["text", "json", "none"]


def event_line(event: JobEvent) -> str:
    """`12:03:04  info   message`: one line whatever the service put in the message (its
    line breaks and control characters shown, never sent to the terminal)."""
    when = datetime.fromtimestamp(event.created_at).strftime("%H:%M:%S")
    return visible_line(f"{when}  {event.level:<5}  {event.message}")


def resume_command(job_id: str, profile: str | None) -> str:
    """`tuner jobs follow JOB --profile P --resume`: what continues a follow where it stopped
    (without `--profile` when the command ran on the environment's variables alone)."""
    named = f" --profile {profile}" if profile else ""
    return f"tuner jobs follow {job_id}{named} --resume"


def interrupted_line(job_id: str, service: str | None, profile: str | None) -> str:
    """What ctrl-c during a follow says: the job runs on, and how to pick the follow up."""
    where = f" on {service}" if service else ""
    return (
        f"interrupted: {visible_line(job_id)} keeps running{where}; follow it again with: "
        f"{visible_line(resume_command(job_id, profile))}"
    )


def job_error(job: Job) -> str:
    """Why a job ended without a model, in one line (the service's words shown, never sent)."""
    error = job.error
    if error is None or not (error.message or error.code):
        return visible_line(f"job {job.id} {job.status.value}")
    code = f" ({error.code})" if error.code else ""
    return visible_line(f"job {job.id} {job.status.value}: {error.message}{code}")


async def follow_to_end(
    service: FineTuningService,
    job_id: str,
    *,
    command: str,
    interval: float = DEFAULT_POLL_INTERVAL,
    timeout: float = DEFAULT_UNREACHABLE_TIMEOUT,
    resume: bool = False,
    store: CursorStore | None = None,
    shown: Shown = "text",
) -> tuple[Job | None, int]:
    """Print the job's events until it ends; (the final job, the exit code 0 or 1)."""
    from tuner.api.errors import os_reason
    from tuner.api.jobs.cursors import CursorStore
    from tuner.api.jobs.follower import EventFollower, FollowState, FollowStatus, PollPolicy
    from tuner.api.jobs.watch import finished_summary
    from tuner.api.types import JobStatus

    cursors = store or CursorStore()

    def on_state(status: FollowStatus) -> None:
        if status.state is FollowState.RECONNECTING and status.error is not None:
            wait = f", retrying in {status.retry_in:.1f}s" if status.retry_in is not None else ""
            said = visible_line(status.error.message)
            print(f"reconnecting: {said}{wait}", file=sys.stderr, flush=True)

    def on_cursor_error(error: OSError) -> None:
        print(
            f"tuner {command}: cannot save the cursor in {cursors.path.parent}: "
            f"{os_reason(error)}; following without it (--resume will start from the beginning)",
            file=sys.stderr,
            flush=True,
        )

    follower = EventFollower(
        service,
        job_id,
        cursors,
        PollPolicy().scaled(interval / DEFAULT_POLL_INTERVAL),
        resume=resume,
        on_state=on_state,
        on_cursor_error=on_cursor_error,
        unreachable_timeout=timeout,
    )
    async for event in follower:
        if shown == "json":
            print_json(event, compact=True)
        elif shown == "text":
            print(event_line(event), flush=True)
    job = follower.job
    if job is None:  # pragma: no cover - the follower always retrieves the job
        return None, 2
    if job.status is JobStatus.SUCCEEDED:
        if shown == "text":
            needs = service.capabilities.models_need_deployment
            print(visible_line(finished_summary(job, needs_deployment=needs)), file=sys.stderr)
        return job, 0
    print(job_error(job), file=sys.stderr)
    return job, 1
