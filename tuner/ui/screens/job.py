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

What the screen asks of the service, and the messages the answers come back as, are in
`job_requests`; the three views (log, chart, checkpoints) are `JobTabs`, the line under them
`JobLine`.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, TabbedContent

from tuner.api.deadlines import retirement
from tuner.api.jobs.follower import FollowState, FollowStatus, PollPolicy
from tuner.api.jobs.watch import Control, deployment_hint
from tuner.api.types import Capabilities, Checkpoint, Job, JobStatus
from tuner.ui.failures import fails_as
from tuner.ui.modals import ConfirmModal, PromptModal
from tuner.ui.outside import outside
from tuner.ui.screens import job_requests
from tuner.ui.session import ConnectionChanged
from tuner.ui.tuner_screen import TunerScreen
from tuner.ui.widgets.event_log import EventLog
from tuner.ui.widgets.job_header import JobHeader
from tuner.ui.widgets.job_line import JobLine
from tuner.ui.widgets.job_tabs import JobTabs
from tuner.ui.widgets.loss_chart import LossChart

HEADER_TICK = 2.0  # seconds between redraws of "running for …" while the job is active
AGE_TICK = 30.0  # x poll_scale: once it ended, only "created 5m ago" still changes
_UNKNOWN = object()  # the job's profile before the screen is mounted
DETAILS_DELAY = 0.5  # x poll_scale: message events arriving together cause one re-read


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
        yield JobTabs(id="job-tabs")
        yield JobLine(id="job-line")
        yield Footer(compact=True, show_command_palette=False)

    @property
    def tabs(self) -> JobTabs:
        return self.query_one("#job-tabs", JobTabs)

    @property
    def log_view(self) -> EventLog:
        return self.tabs.events

    @property
    def chart(self) -> LossChart:
        return self.tabs.chart

    @property
    def checkpoints(self) -> list[Checkpoint]:
        """The job's checkpoints as last read, by step."""
        return self.tabs.checkpoints_pane.checkpoints

    @property
    def checkpoint_table(self) -> DataTable[Any]:
        return self.tabs.checkpoints_pane.table

    def on_mount(self) -> None:
        self.sub_title = self.job_id
        self._job_profile = self._profile_name()  # the profile the job belongs to
        problem = self.tuner.session.problem
        if problem is not None:
            self.query_one(JobHeader).update(outside(problem, "bold"))
            self.tabs.checkpoints_pane.problem(problem)
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
    @fails_as(job_requests.FollowFailed)
    async def _follow(self) -> None:
        poll = PollPolicy().scaled(self.tuner.services.poll_scale)
        await job_requests.follow_job(
            await self.tuner.session.opened(), self.job_id, poll, self.post_message
        )

    @on(job_requests.EventsArrived)
    def _events(self, message: job_requests.EventsArrived) -> None:
        """A batch of events: each added to the log and the chart, the lines under them and
        the header drawn once (a history of hundreds is one update, not hundreds)."""
        added = self.tabs.add_events(message.events)
        if not added:
            return
        self._line()
        if any(event.metrics is not None for event in added) and self.job is not None:
            self._show_header()
        if any(event.metrics is None for event in added):
            self._details_soon()

    @on(job_requests.FollowChanged)
    def _follow_changed(self, message: job_requests.FollowChanged) -> None:
        self.follow_status = message.status
        self.follow_states.append(message.status.state)

    @on(job_requests.CursorUnsaved)
    def _cursor_unsaved(self, message: job_requests.CursorUnsaved) -> None:
        self.notify(message.warning, severity="warning", timeout=10)

    @on(job_requests.FollowEnded)
    def _follow_ended(self, message: job_requests.FollowEnded) -> None:
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
    @fails_as(job_requests.DetailsFailed)
    async def _load_details(self) -> None:
        await job_requests.read_details(
            await self.tuner.session.opened(), self.job_id, self.post_message
        )

    @on(job_requests.DetailsLoaded)
    def _details_loaded(self, message: job_requests.DetailsLoaded) -> None:
        self._adopt(message.job)
        self.tabs.show_checkpoints(message.job, message.checkpoints)

    @work(exclusive=True, group="job-results", exit_on_error=False)
    @fails_as(job_requests.ResultsFailed)
    async def _load_results(self) -> None:
        service = await self.tuner.session.opened()
        await job_requests.read_results(service, self.job, self.job_id, self.post_message)

    @on(job_requests.ResultsLoaded)
    def _results_loaded(self, message: job_requests.ResultsLoaded) -> None:
        self.chart.replace(message.points)

    @work(group="job-control", exit_on_error=False)
    @fails_as(job_requests.ControlRefused)
    async def _run_control(self, control: Control) -> None:
        service = await self.tuner.session.opened()
        await job_requests.apply_control(service, self.job_id, control, self.post_message)

    @on(job_requests.ControlDone)
    def _control_done(self, message: job_requests.ControlDone) -> None:
        job = message.job
        self._adopt(job)
        self.notify(f"Job {job.id} is now {job.status.words}")
        self._load_details()

    # -- failures: each says what could not be done, in the UI's one wording -----------------

    def on_control_refused(self, failed: job_requests.ControlRefused) -> None:
        self.notify(f"The service refused: {failed.reason}", severity="error", timeout=10)

    def on_follow_failed(self, failed: job_requests.FollowFailed) -> None:
        self.follow_status = job_requests.stopped_following(failed)
        self.notify(f"Stopped following: {failed.reason}", severity="error", timeout=10)

    def on_results_failed(self, failed: job_requests.ResultsFailed) -> None:
        self.notify(f"No result metrics: {failed.reason}", severity="warning")

    def on_details_failed(self, failed: job_requests.DetailsFailed) -> None:
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

    # -- status line ---------------------------------------------------------------------------

    @on(EventLog.FollowChanged)
    def _log_follow(self, message: EventLog.FollowChanged) -> None:
        message.stop()
        self._line()

    def _line(self) -> None:
        line = self.query_one(JobLine)
        if self._showing_checkpoints():
            base = self.job.model if self.job else None
            line.show_checkpoints(self._chat_model(), base, self.tuner.needs_deployment)
            return
        log = self.log_view
        line.show_log(
            shown=len(log.shown_ids),
            showing=log.filter,
            following=log.following,
            moved=self.tuner.move_origin(self._job_profile_name(), self.job_id) is not None,
            finished=bool(self.job and self.job.finished),
        )

    def _showing_checkpoints(self) -> bool:
        tabs = self.query(JobTabs)
        return bool(tabs) and tabs.first().showing_checkpoints

    # -- actions -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_chat":
            return self._chat_model() is not None
        if action in ("evaluate", "record"):
            return self.job is not None and self.job.status is JobStatus.SUCCEEDED
        if action == "control" and parameters:
            return job_requests.control_offered(str(parameters[0]), self.job, self.capabilities)
        return True

    def _chat_model(self) -> str | None:
        """The model `o` chats with (none before the screen is composed)."""
        tabs = self.query(JobTabs)
        return tabs.first().chat_model(self.job) if tabs else None

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
        self.tabs.active = tab

    def action_follow(self) -> None:
        self.tabs.follow()

    def action_cycle_filter(self) -> None:
        self.tabs.cycle_filter()
        self._line()

    def action_toggle_accuracy(self) -> None:
        self.tabs.toggle_accuracy()

    def action_back(self) -> None:
        self.dismiss()

    def action_refresh(self) -> None:
        self._load_details()

    def action_control(self, control: Control) -> None:
        if self.job is None:
            self.notify("The job has not loaded yet", severity="warning")
            return
        refusal = job_requests.control_problem(control, self.job, self.capabilities)
        if refusal is not None:
            self.notify(refusal, severity="warning")
            return
        self.app.push_screen(
            ConfirmModal(
                f"{job_requests.CONTROL_QUESTIONS[control]}\n{self.job_id}",
                title=f"{control.capitalize()} job",
                yes=f"{control.capitalize()} job",
            ),
            partial(self._confirmed, control),
        )

    def _confirmed(self, control: Control, answer: bool | None) -> None:
        if answer:
            self._run_control(control)
