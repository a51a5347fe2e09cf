"""One job, live: header, event log, loss chart, checkpoints, and the controls.

The `EventFollower` runs in an async worker owned by this screen, so leaving the screen cancels
it. It reads the whole history once (`resume=False`): the log always shows every event, each
once. The cursor saved by the previous visit (the `CursorStore` in the data dir) marks where the
user got to, and a divider in the log says what is new since then. Reconnecting is the
follower's job; its state is shown in the header ("↻ reconnecting…" with the error).

Controls check the status first (`control_refusal`) and what the service can do
(`Capabilities`), ask through a `ConfirmModal`, and show a service refusal as a readable
notification. When the job ends while watched, the app rings the bell and says so, and `o`
offers chat with the new model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from tuner.api.deadlines import retirement
from tuner.api.jobs.follower import FollowState, FollowStatus, PollPolicy
from tuner.api.jobs.watch import (
    EVENT_FILTERS,
    Control,
    EventFilter,
    control_refusal,
    deployment_hint,
    next_in,
    short_fine_tuned,
)
from tuner.api.types import Capabilities, Checkpoint, Job, JobEvent, JobStatus
from tuner.data.fit_text import short_path
from tuner.data.wording import plural
from tuner.ui.failures import WorkFailed, describe_error, fails_as
from tuner.ui.modals import ConfirmModal, PromptModal
from tuner.ui.outside import outside, outside_line
from tuner.ui.session import ConnectionChanged
from tuner.ui.tuner_screen import TunerScreen
from tuner.ui.widgets.event_log import EventLog
from tuner.ui.widgets.job_header import JobHeader
from tuner.ui.widgets.loss_chart import LossChart

if TYPE_CHECKING:
    from tuner.api.jobs.metrics import MetricPoint

HEADER_TICK = 2.0  # seconds between redraws of "running for …" while the job is active
AGE_TICK = 30.0  # x poll_scale: once it ended, only "created 5m ago" still changes
_UNKNOWN = object()  # the job's profile before the screen is mounted
DETAILS_DELAY = 0.5  # x poll_scale: message events arriving together cause one re-read
CONTROL_FEATURE = {"cancel": None, "pause": "pause_resume", "resume": "pause_resume"}


def checkpoints_note(job: Job, count: int) -> str | None:
    """What the Checkpoints tab says instead of an empty table: none *yet* while the job can
    still save one, none at all once it cannot (and why, when it stopped early)."""
    if count:
        return None
    status = job.status
    if status in (JobStatus.VALIDATING, JobStatus.QUEUED):
        return "No checkpoints yet: training has not started."
    if job.active:
        return "No checkpoints yet: they appear here as the service saves them during training."
    if status is JobStatus.SUCCEEDED:
        then = " o chats with its fine-tuned model." if job.fine_tuned_model else ""
        return f"No checkpoints: the service kept none for this job.{then}"
    ended = "failed" if status is JobStatus.FAILED else "was cancelled"
    return f"No checkpoints: the job {ended} before the service saved one."


def _fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


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


class JobScreen(TunerScreen[None]):
    """A fine-tuning job, followed live."""

    CSS_PATH = "job.tcss"
    TITLE = "Job"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="job.back"),
        Binding("end,F", "follow", "Follow", id="job.follow"),
        # Named in the status line; `t` as on the jobs list (`e` is the Eval screen's key).
        Binding("t", "cycle_filter", "Events", id="job.filter", show=False),
        Binding("a", "toggle_accuracy", "Loss/acc", id="job.accuracy", show=False),
        Binding("1", "tab('log')", "Log", id="job.tab_log", show=False),
        Binding("2", "tab('chart')", "Chart", id="job.tab_chart", show=False),
        Binding("3", "tab('checkpoints')", "Checkpoints", id="job.tab_checkpoints", show=False),
        Binding("o", "open_chat", "Try model", id="job.chat"),
        Binding("E", "evaluate", "Eval", id="job.evaluate"),
        Binding("x", "control('cancel')", "Cancel", id="job.cancel"),
        Binding("p", "control('pause')", "Pause", id="job.pause", show=False),
        Binding("u", "control('resume')", "Resume", id="job.resume", show=False),
        Binding("ctrl+r", "refresh", "Refresh", id="job.refresh", show=False),
        Binding("r", "record", "Record", id="job.record", show=False),
        Binding("m", "move", "Move", id="job.move", show=False),
    ]

    # The state the header and the footer's keys are drawn from: set either, and they follow
    # (`always_update`: a re-read job equal to the last still ages the header's times).
    job: reactive[Job | None] = reactive(None, init=False, always_update=True, bindings=True)
    follow_status: reactive[FollowStatus | None] = reactive(None, init=False)

    def __init__(self, job_id: str, *, just_created: bool = False) -> None:
        super().__init__()
        self.job_id = job_id
        self.checkpoints: list[Checkpoint] = []
        self.follow_states: list[FollowState] = []  # every state shown, in order
        # Announce the end only of a job seen active (or created here): not of old history.
        self.was_active: bool | None = True if just_created else None
        self._details_timer: Timer | None = None
        self._tick: Timer | None = None
        self._tick_every: float | None = None  # the interval `_tick` runs at
        self._job_profile: object = _UNKNOWN  # the profile's name (or None), set on mount

    @property
    def capabilities(self) -> Capabilities | None:
        return self.tuner.capabilities

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        yield JobHeader(id="job-header")
        with TabbedContent(id="job-tabs", initial="log"):
            with TabPane("Log", id="log"):
                yield EventLog(id="events")
            with TabPane("Chart", id="chart"):
                yield LossChart(id="loss")
            with TabPane("Checkpoints", id="checkpoints"):
                yield Static("Loading checkpoints…", id="ckpt-note")
                yield DataTable(id="ckpt-table", cursor_type="row")
        yield Static(id="job-line")
        yield Footer(compact=True, show_command_palette=False)

    @property
    def log_view(self) -> EventLog:
        return self.query_one("#events", EventLog)

    @property
    def chart(self) -> LossChart:
        return self.query_one("#loss", LossChart)

    @property
    def checkpoint_table(self) -> DataTable[Any]:
        return self.query_one("#ckpt-table", DataTable)

    def on_mount(self) -> None:
        self.sub_title = self.job_id
        self._job_profile = self._profile_name()  # the profile the job belongs to
        self.checkpoint_table.add_columns("Step", "Train loss", "Valid loss", "Accuracy", "Model")
        self.checkpoint_table.display = False  # until the list is read: "Loading checkpoints…"
        problem = self.tuner.session.problem
        if problem is not None:
            self.query_one(JobHeader).update(outside(problem, "bold"))
            self.query_one("#ckpt-note", Static).update(outside(problem))
            return
        from tuner.api.jobs.cursors import CursorStore

        self.log_view.seen_until = CursorStore().get(self.job_id)
        self._line()
        # The frame first: the reads that fill it may import the service's SDK (a second).
        self.call_after_refresh(self._load_details)
        self.call_after_refresh(self._follow)

    @on(ConnectionChanged)
    def _connection_changed(self) -> None:
        self._leave_if_switched()  # when shown; under another screen, once shown again

    def on_screen_resume(self) -> None:
        self._leave_if_switched()

    def _leave_if_switched(self) -> None:
        """Another profile now: this job, its controls and its models are the old profile's,
        so the screen gives way to the jobs list of the new one (which reads it afresh)."""
        switched = self._job_profile is not _UNKNOWN and self._profile_name() != self._job_profile
        if switched and self.is_active:  # the top screen: popping removes this one
            self.app.pop_screen()

    def on_unmount(self) -> None:
        for timer in (self._details_timer, self._tick):
            if timer is not None:
                timer.stop()

    # -- following -----------------------------------------------------------------------------

    @work(exclusive=True, group="job-follow", exit_on_error=False)
    @fails_as(FollowFailed)
    async def _follow(self) -> None:
        from tuner.api.jobs.cursors import CursorStore
        from tuner.api.jobs.follower import EventFollower

        follower = EventFollower(
            await self.tuner.session.opened(),
            self.job_id,
            CursorStore(),
            poll=PollPolicy().scaled(self.tuner.services.poll_scale),
            resume=False,  # the whole history, once; the saved cursor only marks "new since"
            on_state=lambda status: self.post_message(FollowChanged(status)),
            on_cursor_error=lambda error: self.post_message(CursorUnsaved(error)),
        )
        async for batch in follower.batches():
            self.post_message(EventsArrived(batch))
        self.post_message(FollowEnded(follower.job))

    @on(EventsArrived)
    def _events(self, message: EventsArrived) -> None:
        """A batch of events: each added to the log and the chart, the lines under them and
        the header drawn once (a history of hundreds is one update, not hundreds)."""
        added = [event for event in message.events if self.log_view.add(event)]
        if not added:
            return
        self._line()
        for event in added:
            if event.metrics is not None:
                self.chart.add(event.metrics)
        if any(event.metrics is not None for event in added) and self.job is not None:
            self._show_header()
        if any(event.metrics is None for event in added):
            self._details_soon()

    @on(FollowChanged)
    def _follow_changed(self, message: FollowChanged) -> None:
        self.follow_status = message.status
        self.follow_states.append(message.status.state)

    @on(CursorUnsaved)
    def _cursor_unsaved(self, message: CursorUnsaved) -> None:
        folder = Path(message.error.filename).parent if message.error.filename else "data folder"
        self.notify(
            f"Following goes on, but where you got to is not saved ({short_path(folder)}: "
            f"{describe_error(message.error)})",
            severity="warning",
            timeout=10,
        )

    @on(FollowEnded)
    def _follow_ended(self, message: FollowEnded) -> None:
        if message.job is not None:
            self._adopt(message.job)
        self._load_details()
        self._load_results()

    # -- details: job, checkpoints, result metrics ---------------------------------------------

    def _details_soon(self) -> None:
        """Re-read the job and its checkpoints shortly (status, tokens and ETA move on events)."""
        if self._details_timer is None:
            delay = DETAILS_DELAY * self.tuner.services.poll_scale
            self._details_timer = self.set_timer(delay, self._details_due)

    def _details_due(self) -> None:
        self._details_timer = None
        self._load_details()

    @work(exclusive=True, group="job-details", exit_on_error=False)
    @fails_as(DetailsFailed)
    async def _load_details(self) -> None:
        from tuner.api.errors import ServiceError

        service = await self.tuner.session.opened()
        job = await service.retrieve_job(self.job_id)
        checkpoints = await service.list_checkpoints(self.job_id)
        self.post_message(DetailsLoaded(job, checkpoints))
        if job.active and not service.capabilities.loss_in_events:
            # Its events carry no loss (Together): the chart follows the metrics instead.
            try:
                points = await service.job_metrics(job)
            except ServiceError:
                points = []  # the final read after the job ends says what went wrong
            if points:
                self.post_message(ResultsLoaded(points))

    @on(DetailsLoaded)
    def _details_loaded(self, message: DetailsLoaded) -> None:
        self._adopt(message.job)
        self._show_checkpoints(message.checkpoints)
        note = checkpoints_note(message.job, len(self.checkpoints))
        self.query_one("#ckpt-note", Static).update(note or "")
        self.query_one("#ckpt-note").display = note is not None
        self.checkpoint_table.display = note is None

    @work(exclusive=True, group="job-results", exit_on_error=False)
    @fails_as(ResultsFailed)
    async def _load_results(self) -> None:
        service = await self.tuner.session.opened()
        job = self.job if self.job is not None else await service.retrieve_job(self.job_id)
        points = await service.job_metrics(job)
        if points:
            self.post_message(ResultsLoaded(points))

    @on(ResultsLoaded)
    def _results_loaded(self, message: ResultsLoaded) -> None:
        self.chart.replace(message.points)

    @work(group="job-control", exit_on_error=False)
    @fails_as(ControlRefused)
    async def _run_control(self, control: Control) -> None:
        service = await self.tuner.session.opened()
        call = {
            "cancel": service.cancel_job,
            "pause": service.pause_job,
            "resume": service.resume_job,
        }[control]
        self.post_message(ControlDone(await call(self.job_id)))

    @on(ControlDone)
    def _control_done(self, message: ControlDone) -> None:
        job = message.job
        self._adopt(job)
        self.notify(f"Job {job.id} is now {job.status.words}")
        self._load_details()

    # -- failures: each says what could not be done, in the UI's one wording -----------------

    def on_control_refused(self, failed: ControlRefused) -> None:
        self.notify(f"The service refused: {failed.reason}", severity="error", timeout=10)

    def on_follow_failed(self, failed: FollowFailed) -> None:
        from tuner.api.errors import ErrorKind, ServiceError

        failure = failed.error
        if not isinstance(failure, ServiceError):
            failure = ServiceError(ErrorKind.UNKNOWN, failed.reason)
        self.follow_status = FollowStatus(FollowState.FAILED, failure)
        self.notify(f"Stopped following: {failed.reason}", severity="error", timeout=10)

    def on_results_failed(self, failed: ResultsFailed) -> None:
        self.notify(f"No result metrics: {failed.reason}", severity="warning")

    def on_details_failed(self, failed: DetailsFailed) -> None:
        error = failed.reason
        self.notify(f"Could not read the job: {error}", severity="error", timeout=10)
        if self.job is None:
            self.query_one(JobHeader).update(outside(f"{self.job_id}: {error}", "bold red"))

    def _adopt(self, job: Job) -> None:
        """Take a newer copy of the job; announce it if it ended while being watched."""
        self.job = job
        if self.was_active is None:
            self.was_active = job.active
            if not self.was_active:
                self.tuner.announced.add(job.id)
        tick = AGE_TICK * self.tuner.services.poll_scale if job.finished else HEADER_TICK
        if self._tick_every != tick:
            if self._tick is not None:
                self._tick.stop()
            self._tick = self.set_interval(tick, self._show_header)
            self._tick_every = tick
        if job.finished and self.was_active:
            self.tuner.announce_finished(job)

    def watch_job(self) -> None:
        self._show_header()

    def watch_follow_status(self) -> None:
        self._show_header()

    def _show_header(self) -> None:
        if self.job is None:
            return
        now = self.tuner.services.clock()
        model = self.job.fine_tuned_model or self.job.model
        today = date.fromtimestamp(now)
        ends = retirement(model, self.tuner.catalog(), today, self.tuner.model_dates)
        self.query_one(JobHeader).show(
            self.job,
            now=now,
            follow=self.follow_status,
            last_point=self.chart.series.last,
            retirement=ends,
        )

    def _show_checkpoints(self, checkpoints: list[Checkpoint]) -> None:
        ids = [c.id for c in checkpoints]
        if ids == [c.id for c in self.checkpoints]:
            return
        self.checkpoints = sorted(checkpoints, key=lambda c: c.step)
        table = self.checkpoint_table
        table.clear()
        for ckpt in self.checkpoints:
            m = ckpt.metrics
            valid = None
            if m is not None:
                valid = m.full_valid_loss if m.full_valid_loss is not None else m.valid_loss
            table.add_row(
                str(ckpt.step),
                _fmt(m.train_loss if m else None),
                _fmt(valid),
                _fmt(m.train_mean_token_accuracy if m else None),
                outside_line(short_fine_tuned(ckpt.model) or ""),
                key=ckpt.id,
            )
        self.query_one("#job-tabs", TabbedContent).get_tab(
            "checkpoints"
        ).label = f"Checkpoints ({len(self.checkpoints)})"
        # Start on the newest: the one worth trying first, and what `o` opens from here.
        table.move_cursor(row=len(self.checkpoints) - 1, animate=False)

    # -- status line ---------------------------------------------------------------------------

    @on(EventLog.FollowChanged)
    def _log_follow(self, message: EventLog.FollowChanged) -> None:
        message.stop()
        self._line()

    def _line(self) -> None:
        log = self.log_view
        follow = "auto-scroll on" if log.following else "paused: end or F to follow"
        shown = len(log.shown_ids)
        tabs = self.query("#job-tabs")
        if tabs and cast(TabbedContent, tabs.first()).active == "checkpoints":
            model = self._chat_model()
            opens = (
                f"o chats with {short_fine_tuned(model, self.job.model if self.job else None)}"
                if model
                else "no model to chat with"
            )
            if model and self.tuner.needs_deployment:
                opens = f"deploy {short_fine_tuned(model)}, then o chats with the deployment"
            line = f"{opens} · 1/2/3: log/chart/checkpoints"
            self.query_one("#job-line", Static).update(outside_line(line))
            return
        moved = self.tuner.move_origin(self._job_profile_name(), self.job_id)
        if moved is not None and not (self.job and self.job.finished):
            rest = "E compares it with the original once trained"
        elif self.job and self.job.finished and log.following:
            # Nothing more will arrive, so "auto-scroll on" gives way to what comes next.
            rest = "1/2/3: tabs · m: move to another service"
        else:
            rest = f"{follow} · 1/2/3: log/chart/checkpoints"
        self.query_one("#job-line", Static).update(
            outside_line(f"{plural(shown, 'event')} · showing {log.filter} (t) · {rest}")
        )

    # -- actions -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_chat":
            return self._chat_model() is not None
        if action in ("evaluate", "record"):
            return self.job is not None and self.job.status is JobStatus.SUCCEEDED
        if action == "control" and parameters:
            if self.job is not None and self.job.finished:
                return False  # nothing to cancel, pause or resume any more
            feature = CONTROL_FEATURE.get(str(parameters[0]))
            capabilities = self.capabilities
            if feature is not None and capabilities is not None:
                return capabilities.missing(feature) is None
        return True

    def _chat_model(self) -> str | None:
        """The model `o` chats with: the highlighted checkpoint on that tab, else the result."""
        tabs = self.query("#job-tabs")
        if tabs and cast(TabbedContent, tabs.first()).active == "checkpoints" and self.checkpoints:
            row = self.checkpoint_table.cursor_row
            if 0 <= row < len(self.checkpoints):
                return self.checkpoints[row].model
        if self.job is not None and self.job.status is JobStatus.SUCCEEDED:
            return self.job.fine_tuned_model
        return None

    def action_open_chat(self) -> None:
        model = self._chat_model()
        if model is None:
            self.notify("No model to chat with yet", severity="warning")
            return
        if self.tuner.needs_deployment:
            # Azure answers only through a deployment: chat must name it, not the model.
            self.app.push_screen(
                PromptModal(
                    f"Azure serves a fine-tuned model only through a deployment: "
                    f"{deployment_hint(model)}. Deployment name:",
                    placeholder="the deployment's name",
                ),
                self._chat_with_deployment,
            )
            return
        self.notify(f"Chat with {model}")
        self.tuner.open_chat(model=model)

    def _chat_with_deployment(self, name: str | None) -> None:
        if name and name.strip():
            self.tuner.open_chat(model=name.strip())

    def action_move(self) -> None:
        self.tuner.move_job(self.job_id)

    def action_record(self) -> None:
        """`r`: this fine-tune's answers kept before it stops answering."""
        if self.job is None:
            self.notify("The job has not loaded yet", severity="warning")
            return
        self.tuner.record_answers(self.job)

    def _job_profile_name(self) -> str | None:
        """The profile this job is on (the active one when the screen was opened)."""
        if self._job_profile is _UNKNOWN:
            return self._profile_name()
        return cast("str | None", self._job_profile)

    def _profile_name(self) -> str | None:
        profile = self.tuner.profile
        return profile.name if profile is not None else None

    def action_evaluate(self) -> None:
        """The Eval screen on this job's model (against its base, or the model it was moved
        from), on its validation file."""
        if self.job is None:
            self.notify("The job has not loaded yet", severity="warning")
            return
        self.tuner.evaluate_job(self.job)

    def action_cancel_job(self) -> None:
        """The palette's "Cancel this job": the same as `x`."""
        self.action_control("cancel")

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.refresh_bindings()
        self._line()

    @on(DataTable.RowHighlighted, "#ckpt-table")
    def _checkpoint_highlighted(self) -> None:
        self.refresh_bindings()
        self._line()

    def action_tab(self, tab: str) -> None:
        self.query_one("#job-tabs", TabbedContent).active = tab

    def action_follow(self) -> None:
        self.action_tab("log")
        self.log_view.follow()

    def action_cycle_filter(self) -> None:
        log = self.log_view
        log.set_filter(cast(EventFilter, next_in(EVENT_FILTERS, log.filter)))
        self._line()

    def action_toggle_accuracy(self) -> None:
        self.chart.accuracy = not self.chart.accuracy
        self.action_tab("chart")

    def action_back(self) -> None:
        self.dismiss()

    def action_refresh(self) -> None:
        self._load_details()

    def action_control(self, control: Control) -> None:
        if self.job is None:
            self.notify("The job has not loaded yet", severity="warning")
            return
        feature = CONTROL_FEATURE[control]
        capabilities = self.capabilities
        missing = capabilities.missing(feature) if feature and capabilities else None
        refusal = missing or control_refusal(control, self.job.status)
        if refusal is not None:
            self.notify(refusal, severity="warning")
            return
        questions = {
            "cancel": "Cancel this job? Training stops and cannot be restarted.",
            "pause": "Pause this job? It keeps its progress and can be resumed.",
            "resume": "Resume this job?",
        }
        self.app.push_screen(
            ConfirmModal(
                f"{questions[control]}\n{self.job_id}",
                title=f"{control.capitalize()} job",
                yes=f"{control.capitalize()} job",
            ),
            partial(self._confirmed, control),
        )

    def _confirmed(self, control: Control, answer: bool | None) -> None:
        if answer:
            self._run_control(control)
