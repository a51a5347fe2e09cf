"""Fine-tuning jobs on the simulated clock: statuses, events, metrics, checkpoints.

Each job gets a plan at creation: a list of (simulated offset, action) milestones such as
"files validated", "step 12", "checkpoint", "succeeded". Progress is computed lazily:
whenever anyone reads job state, every due milestone is applied in order. No background
thread, so a run is deterministic for a given seed and `advance()` works instantly.
A paused job's offset stops growing; resuming lets it run on from where it stopped.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tuner.data.estimate import default_epochs

from ..checks import TrainingFileReview, review_training_file
from ..errors import invalid_request
from . import catalog
from .job_requests import JobSpec
from .store import Checkpoint, Event, FineTunedModel, State

# Simulated seconds of work (divided by the clock's work speed). With 20 examples and 3 epochs
# (60 steps) a job takes about a minute at speed 1.
VALIDATED_AT = 4.0
STARTED_AT = 8.0
FIRST_STEP_AT = 9.0
MAX_STEP_SECONDS = 0.75
MAX_TRAINING_SECONDS = 150.0
# Keep at most this many metrics events per job (big jobs report every k-th step).
MAX_METRICS_EVENTS = 1000
# The service keeps the checkpoints of the last few epochs only.
KEPT_CHECKPOINTS = 3

TERMINAL = frozenset({"succeeded", "failed", "cancelled"})

Action = Callable[[float], None]


@dataclass
class Job:
    """One fine-tuning job and the state of its simulation."""

    id: str
    spec: JobSpec
    created_at: int
    seed: int
    short_id: str
    n_examples: int
    tokens_per_epoch: int  # billed per epoch, as tuner's estimate counts them
    check_error: tuple[str, str] | None  # (param, message) if a file is refused
    status: str = "validating_files"
    error: dict[str, Any] | None = None
    fine_tuned_model: str | None = None
    finished_at: int | None = None
    trained_tokens: int | None = None
    estimated_finish: int | None = None
    result_files: list[str] = field(default_factory=list)
    resolved: dict[str, Any] | None = None
    events: list[Event] = field(default_factory=list)
    checkpoints: list[Checkpoint] = field(default_factory=list)
    # Simulation.
    plan: list[tuple[float, Action]] = field(default_factory=list)
    cursor: int = 0
    elapsed: float = 0.0
    last_tick: float = 0.0
    total_steps: int = 0
    steps_per_epoch: int = 1
    step_seconds: float = MAX_STEP_SECONDS
    loss_start: float = 2.0
    loss_floor: float = 0.3

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def model_name(self) -> str:
        """`ft:BASE:ORG:SUFFIX:ID`; an absent suffix leaves its part empty."""
        suffix = self.spec.suffix or ""
        return f"ft:{self.spec.model}:{catalog.ORGANIZATION_SLUG}:{suffix}:{self.short_id}"

    def hyperparameters(self) -> dict[str, Any]:
        """As requested until the job runs; then with every "auto" resolved."""
        values = self.resolved if self.resolved is not None else self.spec.hyperparameters
        return dict(values)

    def to_json(self) -> dict[str, Any]:
        hyper = self.hyperparameters()
        top = {k: hyper[k] for k in ("batch_size", "learning_rate_multiplier", "n_epochs")}
        return {
            "object": "fine_tuning.job",
            "id": self.id,
            "model": self.spec.model,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
            "fine_tuned_model": self.fine_tuned_model,
            "organization_id": catalog.ORGANIZATION_ID,
            "result_files": list(self.result_files),
            "status": self.status,
            "validation_file": self.spec.validation_file,
            "training_file": self.spec.training_file,
            "hyperparameters": top,
            "trained_tokens": self.trained_tokens,
            "error": self.error,
            "seed": self.seed,
            "estimated_finish": self.estimated_finish,
            "integrations": self.spec.integrations,
            "metadata": self.spec.metadata,
            "method": {
                "type": self.spec.method_type,
                self.spec.method_type: {"hyperparameters": hyper},
            },
        }


@dataclass(frozen=True)
class JobFiles:
    """What validating a job's files found: the examples, the tokens billed per epoch, and
    (param, message) if a file is refused."""

    examples: int
    billed_tokens: int
    check_error: tuple[str, str] | None


def resolve_hyperparameters(requested: dict[str, Any], n_examples: int) -> dict[str, Any]:
    """Replace every "auto" with the concrete value the service would choose.

    Epochs follow the published rule through tuner's own `default_epochs` (target 3, scaled
    so small sets see about 100 examples and huge sets about 25,000), so the emulator never
    disagrees with tuner's estimate; batch size is about 0.2% of the examples (1 to 256); the
    learning-rate multiplier and DPO beta are plausible defaults.
    """
    n = max(1, n_examples)
    resolved = dict(requested)
    if resolved.get("n_epochs") == "auto":
        resolved["n_epochs"] = default_epochs(n)
    if resolved.get("batch_size") == "auto":
        resolved["batch_size"] = max(1, min(256, round(n * 0.002)))
    if resolved.get("learning_rate_multiplier") == "auto":
        resolved["learning_rate_multiplier"] = 2.0 if n < 1000 else 1.0
    if resolved.get("beta") == "auto":
        resolved["beta"] = 0.1
    return resolved


class JobSimulator:
    """Creates jobs, moves them along the simulated clock, and handles cancel/pause/resume."""

    def __init__(self, state: State) -> None:
        self.state = state
        self._rng = random.Random(state.seed)
        state.on_tick = self.tick_all

    # Creation -----------------------------------------------------------------------

    def review(self, spec: JobSpec) -> JobFiles:
        """Check and count the job's files, as the service does while validating them.

        Called without the state lock: counting a big file takes a while, and other requests
        should not wait for it. Billing always follows tuner's count of the training file.
        """
        try:
            training = review_training_file(self._path(spec.training_file), spec.model)
            check_error = None
            message = self._verdict(spec.training_file, spec.model, training)
            if message is not None:
                check_error = ("training_file", message)
            elif spec.validation_file is not None:
                message = self._verdict(spec.validation_file, spec.model)
                if message is not None:
                    check_error = ("validation_file", message)
        except FileNotFoundError:
            # Deleted since the request was checked: refused like a missing file.
            with self.state.lock:
                gone_training = spec.training_file not in self.state.files
            param = "training_file" if gone_training else "validation_file"
            raise invalid_request(
                f"Invalid file id for {param}: {getattr(spec, param)}. No such file.",
                param=param,
                code="invalid_file_id",
            ) from None
        return JobFiles(training.examples, training.billed_tokens, check_error)

    def _path(self, file_id: str) -> str:
        with self.state.lock:
            stored = self.state.files.get(file_id)
        if stored is None:
            raise FileNotFoundError(file_id)
        return stored.path

    def _verdict(
        self, file_id: str, model: str, review: TrainingFileReview | None = None
    ) -> str | None:
        """Why a file is refused (None: it is not): by the emulator's custom checker if it
        was given one, else by tuner's analysis."""
        path = self._path(file_id)
        if self.state.checker is not None:
            with open(path, "rb") as handle:
                return self.state.checker(handle.read())
        return (review or review_training_file(path, model)).error

    def create(self, spec: JobSpec, files: JobFiles) -> Job:
        state = self.state
        with state.lock:
            seed = spec.seed if spec.seed is not None else self._rng.randrange(2**31)
            now = state.clock.now()
            job = Job(
                id=state.ids.new("ftjob-"),
                spec=spec,
                created_at=int(now),
                seed=seed,
                short_id=state.ids.token(8),
                n_examples=files.examples,
                tokens_per_epoch=files.billed_tokens,
                check_error=files.check_error,
                last_tick=now,
            )
            shape = random.Random(f"{seed}:shape")
            job.loss_start = shape.uniform(0.6, 0.75) if spec.method_type == "dpo" else 0.0
            if not job.loss_start:
                job.loss_start = shape.uniform(1.6, 2.6)
            job.loss_floor = job.loss_start * shape.uniform(0.1, 0.25)
            self._emit(job, now, f"Created fine-tuning job: {job.id}")
            files = f"Validating training file: {spec.training_file}"
            if spec.validation_file:
                files += f" and validation file: {spec.validation_file}"
            self._emit(job, now, files)
            self._build_plan(job)
            state.jobs[job.id] = job
            return job

    def _build_plan(self, job: Job) -> None:
        plan = job.plan
        plan.append((VALIDATED_AT, lambda at: self._validated(job, at)))
        if job.check_error is not None:
            return
        resolved = resolve_hyperparameters(job.spec.hyperparameters, job.n_examples)
        epochs = int(resolved["n_epochs"])
        batch = int(resolved["batch_size"])
        job.steps_per_epoch = max(1, math.ceil(job.n_examples / batch))
        job.total_steps = job.steps_per_epoch * epochs
        job.step_seconds = min(MAX_STEP_SECONDS, MAX_TRAINING_SECONDS / job.total_steps)
        plan.append((STARTED_AT, lambda at: self._started(job, at, resolved)))
        every = max(1, math.ceil(job.total_steps / MAX_METRICS_EVENTS))
        for step in range(1, job.total_steps + 1):
            epoch_end = step % job.steps_per_epoch == 0
            if step % every and not epoch_end:
                continue
            offset = FIRST_STEP_AT + step * job.step_seconds
            plan.append((offset, lambda at, s=step: self._emit_metrics(job, at, s)))
            if epoch_end:
                plan.append((offset, lambda at, s=step: self._checkpoint(job, at, s)))
        end = FIRST_STEP_AT + job.total_steps * job.step_seconds
        plan.append((end + 1.0, lambda at: self._emit(job, at, "New fine-tuned model created")))
        evaluating = "Evaluating model against our usage policies"
        plan.append((end + 2.0, lambda at: self._emit(job, at, evaluating)))
        plan.append(
            (
                end + 3.5,
                lambda at: self._emit(
                    job, at, "Usage policy evaluations completed, model is now enabled for sampling"
                ),
            )
        )
        plan.append((end + 4.0, lambda at: self._succeeded(job, at, epochs)))

    # Progress -----------------------------------------------------------------------

    def tick_all(self) -> None:
        now = self.state.clock.now()
        for job in self.state.jobs.values():
            self.tick(job, now)

    def tick(self, job: Job, now: float) -> None:
        """Run the job's plan up to `now`; `job.elapsed` counts simulated seconds of work (the
        clock's seconds times its work speed), each milestone dated on the clock."""
        if job.terminal or job.status == "paused":
            job.last_tick = now
            return
        rate = self.state.clock.work_speed
        job.elapsed += max(0.0, now - job.last_tick) * rate
        job.last_tick = now
        while job.cursor < len(job.plan) and not job.terminal:
            offset, action = job.plan[job.cursor]
            if offset > job.elapsed:
                break
            job.cursor += 1
            action(now - (job.elapsed - offset) / rate)

    def total_seconds(self, job: Job) -> float:
        return job.plan[-1][0] if job.plan else 0.0

    # Milestones ---------------------------------------------------------------------

    def _emit(
        self,
        job: Job,
        at: float,
        message: str,
        *,
        level: str = "info",
        type: str = "message",
        data: dict[str, Any] | None = None,
    ) -> Event:
        event = Event(self.state.ids.new("ftevent-"), int(at), level, message, type, data)
        job.events.append(event)
        return event

    def _validated(self, job: Job, at: float) -> None:
        if job.check_error is not None:
            param, message = job.check_error
            job.status = "failed"
            job.finished_at = int(at)
            job.error = {"code": f"invalid_{param}", "message": message, "param": param}
            self._emit(job, at, message, level="error")
            return
        job.status = "queued"
        self._emit(job, at, "Files validated, moving job to queued state")

    def _started(self, job: Job, at: float, resolved: dict[str, Any]) -> None:
        job.status = "running"
        job.resolved = resolved
        rest = self.state.clock.work_seconds(self.total_seconds(job) - STARTED_AT)
        job.estimated_finish = int(at + rest)
        self._emit(job, at, "Fine-tuning job started")

    def metrics_at(self, job: Job, step: int) -> dict[str, float]:
        """Deterministic metrics of one step: loss falling with noise, from the job's seed."""
        rng = random.Random(f"{job.seed}:{step}")
        progress = step / job.total_steps
        base = job.loss_floor + (job.loss_start - job.loss_floor) * math.exp(-4.0 * progress)
        scale = job.loss_start

        def accuracy(loss: float) -> float:
            return round(min(0.999, max(0.0, 1.0 - loss / (scale * 1.25) + rng.gauss(0, 0.02))), 5)

        train_loss = max(0.001, base * (1 + rng.gauss(0, 0.12)))
        data: dict[str, float] = {
            "step": step,
            "total_steps": job.total_steps,
            "train_loss": round(train_loss, 5),
            "train_mean_token_accuracy": accuracy(train_loss),
        }
        if job.spec.validation_file:
            valid_every = max(1, job.total_steps // 10)
            if step % valid_every == 0 or step == job.total_steps:
                valid_loss = max(0.001, base * 1.08 * (1 + rng.gauss(0, 0.1)))
                data["valid_loss"] = round(valid_loss, 5)
                data["valid_mean_token_accuracy"] = accuracy(valid_loss)
            if step % job.steps_per_epoch == 0:
                full = max(0.001, base * 1.1 * (1 + rng.gauss(0, 0.03)))
                data["full_valid_loss"] = round(full, 5)
                data["full_valid_mean_token_accuracy"] = accuracy(full)
        return data

    def _emit_metrics(self, job: Job, at: float, step: int) -> None:
        data = self.metrics_at(job, step)
        message = f"Step {step}/{job.total_steps}: training loss={data['train_loss']:.2f}"
        if "valid_loss" in data:
            message += f", validation loss={data['valid_loss']:.2f}"
        if "full_valid_loss" in data:
            message += f", full validation loss={data['full_valid_loss']:.2f}"
        self._emit(job, at, message, type="metrics", data=data)

    def _checkpoint(self, job: Job, at: float, step: int) -> None:
        metrics = {k: v for k, v in self.metrics_at(job, step).items() if k != "total_steps"}
        name = f"{job.model_name}:ckpt-step-{step}"
        checkpoint = Checkpoint(self.state.ids.new("ftckpt_"), int(at), job.id, name, step, metrics)
        job.checkpoints.append(checkpoint)
        self.state.checkpoint_models.add(name)
        while len(job.checkpoints) > KEPT_CHECKPOINTS:
            dropped = job.checkpoints.pop(0)
            self.state.checkpoint_models.discard(dropped.model)
        self._emit(job, at, f"Checkpoint created at step {step}")

    def _succeeded(self, job: Job, at: float, epochs: int) -> None:
        job.status = "succeeded"
        job.finished_at = int(at)
        job.fine_tuned_model = job.model_name
        job.trained_tokens = job.tokens_per_epoch * epochs
        job.estimated_finish = None
        results = self.state.add_file_bytes(
            "step_metrics.csv", "fine-tune-results", self.results_csv(job).encode()
        )
        results.created_at = int(at)
        job.result_files = [results.id]
        self.state.fine_tuned_models[job.model_name] = FineTunedModel(
            job.model_name, int(at), catalog.ORGANIZATION_ID, job.id
        )
        self._emit(job, at, "The job has successfully completed")

    def results_csv(self, job: Job) -> str:
        """The result file: one row of metrics per step, blanks where none was measured."""
        lines = ["step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"]
        for step in range(1, job.total_steps + 1):
            m = self.metrics_at(job, step)
            valid = m.get("valid_loss", "")
            valid_acc = m.get("valid_mean_token_accuracy", "")
            lines.append(
                f"{step},{m['train_loss']},{m['train_mean_token_accuracy']},{valid},{valid_acc}"
            )
        return "\n".join(lines) + "\n"

    # Controls -----------------------------------------------------------------------

    def cancel(self, job: Job) -> str | None:
        """Cancel; None on success, else why not."""
        self.tick(job, self.state.clock.now())
        if job.terminal:
            return f"Job {job.id} has already {job.status} and cannot be cancelled."
        now = self.state.clock.now()
        job.status = "cancelled"
        job.finished_at = int(now)
        job.estimated_finish = None
        self._emit(job, now, "Fine-tuning job cancelled")
        return None

    def pause(self, job: Job) -> str | None:
        self.tick(job, self.state.clock.now())
        if job.status != "running":
            return f"Job {job.id} is {job.status}; only a running job can be paused."
        job.status = "paused"
        self._emit(job, self.state.clock.now(), "Fine-tuning job paused")
        return None

    def resume(self, job: Job) -> str | None:
        now = self.state.clock.now()
        if job.status != "paused":
            return f"Job {job.id} is {job.status}; only a paused job can be resumed."
        job.status = "running"
        job.last_tick = now
        rest = self.state.clock.work_seconds(max(0.0, self.total_seconds(job) - job.elapsed))
        job.estimated_finish = int(now + rest)
        self._emit(job, now, "Fine-tuning job resumed")
        return None
