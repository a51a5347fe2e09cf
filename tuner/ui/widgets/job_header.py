"""The top of the job screen: status, models, files, resolved hyperparameters, progress, error.

Everything comes from the job as the service last returned it (hyperparameters "as resolved by
the service": once a job runs, "auto" becomes the values it chose) plus the follower's state,
so the user can tell "the job is quiet" from "tuner lost the connection".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.widgets import Static

from tuner.api.jobs.follower import FollowState, FollowStatus
from tuner.api.jobs.metrics import MetricPoint
from tuner.api.types import JobStatus
from tuner.data.durations import (
    format_ago,
    format_clock,
    format_count,
    format_duration,
    format_until,
)
from tuner.data.visible_text import visible_line

if TYPE_CHECKING:
    from tuner.api.deadlines import Retirement
    from tuner.api.types import Job

STATUS_STYLES: dict[JobStatus, str] = {
    JobStatus.VALIDATING: "magenta",
    JobStatus.QUEUED: "magenta",
    JobStatus.RUNNING: "bold cyan",
    JobStatus.PAUSED: "bold yellow",
    JobStatus.CANCELLING: "yellow",
    JobStatus.SUCCEEDED: "bold green",
    JobStatus.FAILED: "bold red",
    JobStatus.CANCELLED: "yellow",
}


def status_text(status: JobStatus) -> Text:
    """A job status, coloured the same way in the list and on the job screen."""
    return Text(status.words, style=STATUS_STYLES.get(status, ""))


def _hyper_text(values: Mapping[str, Any]) -> str:
    names = (
        ("n_epochs", "epochs"),
        ("batch_size", "batch"),
        ("learning_rate_multiplier", "lr×"),
        ("learning_rate", "lr"),
        ("beta", "beta"),
    )
    parts = [f"{label} {values[key]}" for key, label in names if key in values]
    if "lora" in values:  # Together's adapter switch: say which kind of training it was
        parts.append("LoRA" if values["lora"] else "full training")
    return " · ".join(parts) or "auto"


def follow_text(status: FollowStatus | None) -> Text:
    """ "● following", "↻ reconnecting… (error, attempt n)", "✓ finished", "✗ stopped: …"."""
    if status is None:
        return Text("○ starting", style="dim")
    if status.state is FollowState.FOLLOWING:
        return Text("● following live", style="green")
    if status.state is FollowState.RECONNECTING:
        text = Text("↻ reconnecting…", style="bold yellow")
        if status.error is not None:
            message = visible_line(status.error.message)
            text.append(f" {message} (attempt {status.attempt})", style="yellow")
        return text
    if status.state is FollowState.FINISHED:
        return Text("✓ finished: every event shown", style="dim")
    message = status.error.message if status.error is not None else "stopped"
    return Text(f"✗ not following: {visible_line(message)}", style="bold red")


class JobHeader(Static):
    """Job facts in five to seven short lines; `show()` redraws from the latest job."""

    DEFAULT_CSS: ClassVar[str] = """
    JobHeader {
        height: auto; padding: 0 1; background: $boost;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Loading job…", id=id)
        self.job: Job | None = None

    def show(
        self,
        job: Job,
        *,
        now: float,
        follow: FollowStatus | None,
        last_point: MetricPoint | None = None,
        retirement: Retirement | None = None,
    ) -> None:
        self.job = job
        self.update(
            self.describe(job, now=now, follow=follow, last_point=last_point, retirement=retirement)
        )

    @staticmethod
    def describe(
        job: Job,
        *,
        now: float,
        follow: FollowStatus | None,
        last_point: MetricPoint | None = None,
        retirement: Retirement | None = None,
    ) -> Text:
        """`retirement` is the base model's (the service's date or the catalog's): the base
        line says when it retires and a succeeded job's model line when it stops answering,
        marked when near or past. Every name,
        id and message the service gave is one line here, its control characters shown."""
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append_text(status_text(job.status))
        text.append(f"  {visible_line(job.id)}", style="bold")
        text.append("  ")
        text.append_text(follow_text(follow))
        text.append("\nmodel   ", style="dim")
        text.append(visible_line(job.model))
        if retirement is not None:
            style = {"past": "bold red", "near": "bold yellow"}.get(retirement.urgency, "dim")
            text.append(f"  {retirement.words(fine_tuned=False)}", style)
        if job.fine_tuned_model:
            text.append("\nresult  ", style="dim")
            model = visible_line(job.fine_tuned_model)
            if job.status is JobStatus.SUCCEEDED:
                text.append(model, style="green")
                if retirement is not None:
                    style = {"past": "bold red", "near": "bold yellow"}.get(
                        retirement.urgency, "dim"
                    )
                    text.append(f"  {retirement.words()}", style)
            else:  # named in advance (Together): not a model to chat with yet
                text.append(model, style="dim")
                text.append(" (once it succeeds)", style="dim italic")
        text.append("\nfiles   ", style="dim")
        text.append(f"train {visible_line(job.training_file)}")
        if job.validation_file:
            text.append(f" · valid {visible_line(job.validation_file)}")
        text.append("\nhyper   ", style="dim")
        text.append(visible_line(f"{job.method} · {_hyper_text(job.hyperparameters)}"))
        if job.seed is not None:
            text.append(f" · seed {job.seed}", style="dim")
        text.append("\nprogress", style="dim")
        text.append(" ")
        live = follow is None or follow.state is FollowState.FOLLOWING
        text.append(_progress(job, now, last_point, live=live))
        if job.error is not None and (job.error.code or job.error.message):
            error = job.error
            text.append("\nerror   ", style="bold red")
            text.append(f"{visible_line(error.code or 'error')}: ", style="bold red")
            text.append(visible_line(error.message or ""), style="red")
            if error.param:
                text.append(f" (param: {visible_line(error.param)})", style="red")
        return text


def _progress(job: Job, now: float, last_point: MetricPoint | None, *, live: bool = True) -> str:
    """One line of how far the job got. Not `live` (reconnecting, stopped following): the finish
    estimate is the last one the service gave, shown as a time, not counted down as if known."""
    parts = [f"created {format_ago(job.created_at, now)}"]
    if last_point is not None and last_point.total_steps:
        parts.append(f"step {last_point.step}/{last_point.total_steps}")
    if job.finished_at:
        parts.append(f"took {format_duration(job.finished_at - job.created_at)}")
    elif job.status is JobStatus.RUNNING:
        parts.append(f"running for {format_duration(now - job.created_at)}")
    elif job.status in (JobStatus.VALIDATING, JobStatus.QUEUED):
        parts.append(f"waiting for {format_duration(now - job.created_at)}")
    if job.trained_tokens:
        # Together counts the tokens when the job is made; OpenAI once it has trained them.
        tokens = format_count(job.trained_tokens)
        if job.status is JobStatus.SUCCEEDED:
            parts.append(f"{tokens} tokens trained")
        elif job.active:
            parts.append(f"{tokens} tokens to train")
        else:
            parts.append(f"{tokens} tokens")
    if job.estimated_finish and not job.finished_at:
        if live:
            parts.append(f"finish {format_until(job.estimated_finish, now)}")
        else:
            parts.append(f"finish was due {format_clock(job.estimated_finish)} (last known)")
    return " · ".join(parts)
