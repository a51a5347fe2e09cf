"""Together fine-tuning jobs on the simulated clock: statuses, typed events, checkpoints.

Like the OpenAI side's simulator, each job gets a plan of (simulated offset, milestone) at
creation and progress is computed lazily when anyone reads: no thread, deterministic for a
seed, and `Emulator.advance()` works instantly. The statuses are Together's: pending, queued,
running, compressing, uploading, completed; `cancel` moves a job to cancel_requested and a
moment later to cancelled; a training or validation file that fails tuner's checks ends the
job in error with a `job_error` event carrying the checker's message. Event messages follow
those the service prints ("Fine tune request created", "Epoch completed, at step 24", ...).
Per-step metrics are not events on Together; they come from `metrics`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import catalog, job_wire, metrics, pricing
from .job_requests import JobSpec
from .store import TogetherState
from .times import ctime, iso

# Simulated seconds of work after creation (divided by the clock's work speed).
QUEUED_AT = 2.0
STARTED_AT = 5.0
MODEL_READY_AT = 6.0
DATA_READY_AT = 8.0
TRAINING_AT = 10.0
MAX_STEP_SECONDS = 0.75
MAX_TRAINING_SECONDS = 150.0
CANCEL_SECONDS = 2.0

TERMINAL = frozenset({"completed", "cancelled", "error"})

Action = Callable[[float], None]


@dataclass
class TogetherJob:
    id: str
    spec: JobSpec
    created_at: float
    output_name: str
    n_examples: int
    training_bytes: int
    token_count: int
    total_price: int
    check_error: str | None
    status: str = "pending"
    updated_at: float = 0.0
    started_at: float | None = None
    model_path: str = ""
    wandb_url: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    checkpoints: list[dict[str, Any]] = field(default_factory=list)
    plan: list[tuple[float, Action]] = field(default_factory=list)
    cursor: int = 0
    total_steps: int = 1
    steps_per_epoch: int = 1
    step_seconds: float = MAX_STEP_SECONDS
    stopped_at_step: int | None = None
    now: float = 0.0  # the last time the job was brought up to date
    work_speed: float = 1.0  # simulated seconds of work per second of the clock

    def at(self, offset: float) -> float:
        """When (on the clock) the work `offset` simulated seconds after creation happens."""
        return self.created_at + offset / self.work_speed

    def worked(self) -> float:
        """Simulated seconds of work done since creation, as of `now`."""
        return (self.now - self.created_at) * self.work_speed

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def seed(self) -> int:
        return self.spec.random_seed if self.spec.random_seed is not None else 42

    def steps_done(self) -> int:
        if self.check_error is not None:
            return 0
        elapsed = self.worked() - TRAINING_AT
        done = max(0, min(self.total_steps, math.floor(elapsed / self.step_seconds + 1e-9)))
        return done if self.stopped_at_step is None else min(done, self.stopped_at_step)

    def epochs_completed(self) -> int:
        return self.steps_done() // self.steps_per_epoch

    def step_time(self, step: int) -> float:
        return self.at(TRAINING_AT + step * self.step_seconds)

    def eval_steps(self) -> list[int]:
        n = self.spec.n_evals
        return sorted({max(1, round(self.total_steps * k / n)) for k in range(1, n + 1)})

    def metric_rows(self) -> list[dict[str, float]]:
        return metrics.rows(
            self.spec,
            self.seed,
            self.steps_done(),
            self.total_steps,
            self.steps_per_epoch,
            self.eval_steps(),
            self.step_time,
        )

    def progress(self) -> dict[str, Any]:
        if self.terminal or self.status == "cancel_requested" or not self.plan:
            return {"estimate_available": False, "seconds_remaining": 0}
        remaining = self.at(self.plan[-1][0]) - self.now
        return {"estimate_available": True, "seconds_remaining": max(0, math.ceil(remaining))}


class TogetherJobs:
    """Creates jobs, moves them along the simulated clock, and cancels them."""

    def __init__(self, state: TogetherState) -> None:
        self.state = state
        state.on_tick = self.tick_all

    def create(self, spec: JobSpec) -> TogetherJob:
        state = self.state
        now = state.now()
        training = state.files[spec.training_file]
        state.check(training)
        check_error = _check_message(training.id, training.check_error)
        if check_error is None and spec.validation_file:
            validation = state.files[spec.validation_file]
            state.check(validation)
            check_error = _check_message(validation.id, validation.check_error)
        examples, _ = pricing.file_tokens(state, spec.training_file)
        cost = pricing.estimate(
            state,
            spec.model,
            spec.training_file,
            spec.validation_file,
            spec.n_epochs,
            spec.n_evals,
            full=spec.full,
            dpo=spec.dpo,
        )
        job = TogetherJob(
            id=state.ids.uuid("ft-"),
            spec=spec,
            created_at=now,
            output_name=catalog.output_name(spec.model.name, spec.suffix, state.ids.hex(8)),
            n_examples=examples,
            training_bytes=training.bytes,
            token_count=cost.train_tokens,
            total_price=cost.nanodollars,
            check_error=check_error,
            updated_at=now,
            now=now,
            work_speed=state.clock.work_speed,
        )
        job.steps_per_epoch = max(1, math.ceil(examples / spec.batch_size))
        job.total_steps = job.steps_per_epoch * spec.n_epochs
        job.step_seconds = min(MAX_STEP_SECONDS, MAX_TRAINING_SECONDS / job.total_steps)
        self._emit(job, now, "job_pending", "Fine tune request created")
        self._plan(job)
        state.jobs[job.id] = job
        return job

    # The plan -------------------------------------------------------------------------

    def _plan(self, job: TogetherJob) -> None:
        model = job.spec.model.name
        add = job.plan.append
        add((QUEUED_AT, lambda at: self._status(job, at, "queued")))
        add((STARTED_AT, lambda at: self._started(job, at)))
        add(
            (
                MODEL_READY_AT,
                lambda at: self._emit(
                    job,
                    at,
                    "model_download_complete",
                    f"Model data downloaded for {model} at {ctime(at)}",
                ),
            )
        )
        add((DATA_READY_AT, lambda at: self._data_ready(job, at)))
        if job.check_error is not None:
            return
        add((TRAINING_AT, lambda at: self._training_started(job, at)))
        intermediate = {
            round(job.total_steps * k / job.spec.n_checkpoints)
            for k in range(1, job.spec.n_checkpoints)
        }
        for step in range(1, job.total_steps + 1):
            offset = TRAINING_AT + step * job.step_seconds
            if step % job.steps_per_epoch == 0:
                add((offset, lambda at, s=step: self._epoch(job, at, s)))
            if step in intermediate and step < job.total_steps:
                add((offset, lambda at, s=step: self._checkpoint(job, at, s)))
        end = TRAINING_AT + job.total_steps * job.step_seconds
        add((end + 1.0, lambda at: self._training_done(job, at)))
        add((end + 2.5, lambda at: self._compressed(job, at)))
        add((end + 4.0, lambda at: self._uploaded(job, at)))
        add((end + 5.0, lambda at: self._completed(job, at)))

    def tick_all(self) -> None:
        now = self.state.now()
        for job in self.state.jobs.values():
            self.tick(job, now)

    def tick(self, job: TogetherJob, now: float) -> None:
        while job.cursor < len(job.plan) and not job.terminal:
            offset, action = job.plan[job.cursor]
            if job.at(offset) > now:
                break
            job.cursor += 1
            action(job.at(offset))
        job.now = max(job.now, now)

    # Milestones -----------------------------------------------------------------------

    def _emit(self, job: TogetherJob, at: float, type: str, message: str, **fields: Any) -> None:
        job.events.append(job_wire.event(at, type, message, **fields))
        job.updated_at = at

    def _status(self, job: TogetherJob, at: float, status: str) -> None:
        job.status, job.updated_at = status, at

    def _started(self, job: TogetherJob, at: float) -> None:
        job.status, job.started_at = "running", at
        param_count = job.spec.model.param_count
        self._emit(job, at, "job_start", f"Job started at {ctime(at)}", param_count=param_count)

    def _data_ready(self, job: TogetherJob, at: float) -> None:
        model = job.spec.model.name
        self._emit(
            job,
            at,
            "training_data_download_complete",
            f"Data downloaded for {model} at {iso(at)}",
            token_count=job.token_count,
        )
        if job.spec.validation_file:
            self._emit(
                job,
                at,
                "validation_data_download_complete",
                f"Validation data downloaded for {model} at {iso(at)}",
            )
        if job.check_error is not None:
            job.status = "error"
            self._emit(job, at, "job_error", job.check_error, level="error")
            return
        if job.spec.wandb_key:
            project = job.spec.wandb_project_name or "together"
            entity = job.spec.wandb_entity or catalog.ACCOUNT
            job.wandb_url = f"https://wandb.ai/{entity}/{project}/runs/{job.id[3:11]}"
            self._emit(job, at, "wandb_init", "WandB run initialized.", wandb_url=job.wandb_url)

    def _training_started(self, job: TogetherJob, at: float) -> None:
        message = f"Training started for model {job.spec.model.name}"
        self._emit(job, at, "training_start", message, total_steps=job.total_steps)

    def _epoch(self, job: TogetherJob, at: float, step: int) -> None:
        message = f"Epoch completed, at step {step}"
        self._emit(job, at, "epoch_complete", message, step=step, total_steps=job.total_steps)

    def _checkpoint_path(self, job: TogetherJob, step: int) -> str:
        return f"s3://together-ft/{catalog.ACCOUNT}/{job.id}/checkpoints/step-{step}"

    def _checkpoint(self, job: TogetherJob, at: float, step: int) -> None:
        path = self._checkpoint_path(job, step)
        job.checkpoints.insert(0, job_wire.checkpoint(at, step, path, "Intermediate", "model"))
        self._emit(
            job,
            at,
            "checkpoint_save",
            f"Checkpoint saved at step {step}",
            step=step,
            total_steps=job.total_steps,
            checkpoint_path=path,
        )

    def _training_done(self, job: TogetherJob, at: float) -> None:
        model = job.spec.model.name
        self._emit(job, at, "training_complete", f"Training completed for {model} at {ctime(at)}")
        job.status = "compressing"
        self._emit(job, at, "model_compressing", "Compressing output model")

    def _compressed(self, job: TogetherJob, at: float) -> None:
        self._emit(job, at, "model_compression_complete", "Model compression complete")
        job.status = "uploading"
        self._emit(job, at, "model_uploading", "Uploading output model")

    def _uploaded(self, job: TogetherJob, at: float) -> None:
        job.model_path = f"s3://together-ft/{catalog.ACCOUNT}/{job.id}/final"
        self._emit(
            job, at, "model_upload_complete", "Model upload complete", model_path=job.model_path
        )

    def _completed(self, job: TogetherJob, at: float) -> None:
        step = job.total_steps
        if job.spec.full:
            finals = [job_wire.checkpoint(at, step, job.model_path, "Final", "model")]
        else:
            adapter = f"{job.model_path}-adapter"
            finals = [
                job_wire.checkpoint(at, step, job.model_path, "Final Merged", "model"),
                job_wire.checkpoint(at, step, adapter, "Final Adapter", "adapter"),
            ]
        job.checkpoints[:0] = finals
        job.status = "completed"
        self.state.outputs[job.output_name] = int(at)
        self._emit(job, at, "job_complete", f"Job finished at {ctime(at)}")

    # Control --------------------------------------------------------------------------

    def cancel(self, job: TogetherJob) -> str | None:
        """Request cancellation; None on success, else why not."""
        now = self.state.now()
        self.tick(job, now)
        if job.terminal or job.status == "cancel_requested":
            return f"Fine-tune job {job.id} is {job.status} and cannot be cancelled."
        job.stopped_at_step = job.steps_done()
        job.status = "cancel_requested"
        self._emit(job, now, "cancel_requested", "Job cancellation requested")
        offset = job.worked() + CANCEL_SECONDS
        job.plan[job.cursor :] = [(offset, lambda at: self._cancelled(job, at))]
        return None

    def _cancelled(self, job: TogetherJob, at: float) -> None:
        job.status = "cancelled"
        self._emit(job, at, "job_stopped", f"Job stopped at {ctime(at)}")


def _check_message(file_id: str, error: str | None) -> str | None:
    return None if error is None else f"{error} (file {file_id})"
