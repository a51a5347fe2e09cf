"""One job, live: header, event log, loss chart, checkpoints, and the controls.

The `EventFollower` runs in an async worker owned by this screen, so leaving the screen cancels
it. It reads the whole history once (`resume=False`): the log always shows every event, each
once. The cursor saved by the previous visit (the `CursorStore` in the data dir) marks where the
user got to, and a divider in the log says what is new since then. Reconnecting is the
follower's job; its state is shown in the header ("↻ reconnecting…" with the error).

Controls check the status first (`control_refusal`), ask through a `ConfirmModal`, and show a
service refusal as a readable notification. When the job ends while watched, the app rings the
bell and says so, and `o` offers chat with the new model.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from tuner.api.follower import FollowState, FollowStatus, PollPolicy
from tuner.api.job_watch import (
    EVENT_FILTERS,
    Control,
    EventFilter,
    control_refusal,
    next_in,
    short_fine_tuned,
)
from tuner.api.metrics import parse_metrics_event
from tuner.ui.modals import ConfirmModal
from tuner.ui.screens.jobs import announce_finished, make_screen_client, mark_announced
from tuner.ui.widgets.event_log import EventLog
from tuner.ui.widgets.job_header import JobHeader
from tuner.ui.widgets.loss_chart import LossChart

if TYPE_CHECKING:
    from openai import AsyncOpenAI
    from openai.types.fine_tuning import FineTuningJob, FineTuningJobEvent
    from openai.types.fine_tuning.jobs import FineTuningJobCheckpoint

    from tuner.ui.app import TunerApp

TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
HEADER_TICK = 2.0  # seconds between redraws of "running for …" while the job is active
DETAILS_DELAY = 0.5  # x poll_scale: message events arriving together cause one re-read


def _fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


class JobScreen(Screen[None]):
    """A fine-tuning job, followed live."""

    CSS_PATH = "job.tcss"
    TITLE = "Job"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="job.back"),
        Binding("end,F", "follow", "Follow", id="job.follow"),
        Binding(
            "e", "cycle_filter", "Events", id="job.filter", show=False
        ),  # named in the status line
        Binding("a", "toggle_accuracy", "Loss/acc", id="job.accuracy", show=False),
        Binding("l", "tab('log')", "Log", id="job.tab_log", show=False),
        Binding("g", "tab('chart')", "Chart", id="job.tab_chart", show=False),
        Binding("k", "tab('checkpoints')", "Checkpoints", id="job.tab_checkpoints", show=False),
        Binding("o", "open_chat", "Try model", id="job.chat"),
        Binding("x", "control('cancel')", "Cancel", id="job.cancel"),
        Binding("p", "control('pause')", "Pause", id="job.pause", show=False),
        Binding("u", "control('resume')", "Resume", id="job.resume", show=False),
        Binding("r", "refresh", "Refresh", id="job.refresh", show=False),
    ]

    class EventArrived(Message):
        def __init__(self, event: FineTuningJobEvent) -> None:
            super().__init__()
            self.event = event

    class FollowChanged(Message):
        def __init__(self, status: FollowStatus) -> None:
            super().__init__()
            self.status = status

    class FollowEnded(Message):
        def __init__(self, job: FineTuningJob | None) -> None:
            super().__init__()
            self.job = job

    def __init__(self, job_id: str, *, just_created: bool = False) -> None:
        super().__init__()
        self.job_id = job_id
        self.job: FineTuningJob | None = None
        self.checkpoints: list[FineTuningJobCheckpoint] = []
        self.follow_status: FollowStatus | None = None
        self.follow_states: list[FollowState] = []  # every state shown, in order
        # Announce the end only of a job seen active (or created here): not of old history.
        self.was_active: bool | None = True if just_created else None
        self._client: AsyncOpenAI | None = None
        self._details_timer: Timer | None = None
        self._tick: Timer | None = None

    @property
    def tuner(self) -> TunerApp:
        return cast("TunerApp", self.app)

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
        self.checkpoint_table.add_columns("Step", "Train loss", "Valid loss", "Accuracy", "Model")
        if self.tuner.connection.connection is None:
            self.query_one(JobHeader).update(Text("No profile: press s to set one up.", "bold"))
            return
        from tuner.api.cursors import CursorStore

        self.log_view.seen_until = CursorStore().get(self.job_id)
        self._line()
        self._load_details()
        self._follow()

    def on_unmount(self) -> None:
        for timer in (self._details_timer, self._tick):
            if timer is not None:
                timer.stop()
        if self._client is not None:
            client, self._client = self._client, None
            self.app.call_later(client.close)

    def _client_now(self) -> AsyncOpenAI:
        if self._client is None:
            self._client = make_screen_client(self.tuner)
        return self._client

    # -- following -----------------------------------------------------------------------------

    @work(exclusive=True, group="job-follow", exit_on_error=False)
    async def _follow(self) -> None:
        from tuner.api.cursors import CursorStore
        from tuner.api.follower import EventFollower

        follower = EventFollower(
            self._client_now(),
            self.job_id,
            CursorStore(),
            poll=PollPolicy().scaled(self.tuner.services.poll_scale),
            resume=False,  # the whole history, once; the saved cursor only marks "new since"
            on_state=lambda status: self.post_message(self.FollowChanged(status)),
        )
        async for event in follower:
            self.post_message(self.EventArrived(event))
        self.post_message(self.FollowEnded(follower.job))

    @on(EventArrived)
    def _event(self, message: EventArrived) -> None:
        event = message.event
        if not self.log_view.add(event):
            return
        self._line()
        point = parse_metrics_event(event)
        if point is not None:
            self.chart.add(point)
            if self.job is not None:
                self._show_header()
        else:
            self._details_soon()

    @on(FollowChanged)
    def _follow_changed(self, message: FollowChanged) -> None:
        self.follow_status = message.status
        self.follow_states.append(message.status.state)
        if self.job is not None:
            self._show_header()

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
    async def _load_details(self) -> tuple[FineTuningJob, list[FineTuningJobCheckpoint]]:
        from tuner.api.jobs import list_checkpoints, retrieve_job

        client = self._client_now()
        job = await retrieve_job(client, self.job_id)
        checkpoints = await list_checkpoints(client, self.job_id)
        return job, checkpoints

    @work(exclusive=True, group="job-results", exit_on_error=False)
    async def _load_results(self) -> list[Any]:
        from tuner.api.jobs import retrieve_job
        from tuner.api.metrics import fetch_result_metrics

        client = self._client_now()
        job = self.job if self.job is not None else await retrieve_job(client, self.job_id)
        if job.status != "succeeded":
            return []
        return await fetch_result_metrics(client, job)

    @work(group="job-control", exit_on_error=False)
    async def _run_control(self, control: Control) -> FineTuningJob:
        from tuner.api.jobs import cancel_job, pause_job, resume_job

        call = {"cancel": cancel_job, "pause": pause_job, "resume": resume_job}[control]
        return await call(self._client_now(), self.job_id)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        group = event.worker.group
        if event.state == WorkerState.SUCCESS:
            result = event.worker.result
            if group == "job-details":
                job, checkpoints = result
                self._adopt(job)
                self._show_checkpoints(checkpoints)
            elif group == "job-results" and result:
                self.chart.replace(result)
            elif group == "job-control":
                self._adopt(result)
                self.notify(f"Job {result.id} is now {result.status.replace('_', ' ')}")
                self._load_details()
        elif event.state == WorkerState.ERROR:
            error = str(event.worker.error)
            if group == "job-control":
                self.notify(f"The service refused: {error}", severity="error", timeout=10)
            elif group == "job-follow":
                self.follow_status = FollowStatus(FollowState.FAILED, _as_service(event.worker))
                self._show_header()
                self.notify(f"Stopped following: {error}", severity="error", timeout=10)
            elif group == "job-results":
                self.notify(f"No result metrics: {error}", severity="warning")
            else:
                self.notify(f"Could not read the job: {error}", severity="error", timeout=10)
                if self.job is None:
                    self.query_one(JobHeader).update(Text(f"{self.job_id}: {error}", "bold red"))

    def _adopt(self, job: FineTuningJob) -> None:
        """Take a newer copy of the job; announce it if it ended while being watched."""
        self.job = job
        if self.was_active is None:
            self.was_active = job.status not in TERMINAL
            if not self.was_active:
                mark_announced(self.app, job.id)
        if job.status in TERMINAL:
            if self._tick is not None:
                self._tick.stop()
                self._tick = None
            if self.was_active:
                announce_finished(self.app, job)
        elif self._tick is None:
            self._tick = self.set_interval(HEADER_TICK, self._show_header)
        self._show_header()
        self.refresh_bindings()

    def _show_header(self) -> None:
        if self.job is None:
            return
        self.query_one(JobHeader).show(
            self.job,
            now=self.tuner.services.clock(),
            follow=self.follow_status,
            last_point=self.chart.series.last,
        )

    def _show_checkpoints(self, checkpoints: list[FineTuningJobCheckpoint]) -> None:
        ids = [c.id for c in checkpoints]
        if ids == [c.id for c in self.checkpoints]:
            return
        self.checkpoints = sorted(checkpoints, key=lambda c: c.step_number)
        table = self.checkpoint_table
        table.clear()
        for ckpt in self.checkpoints:
            m = ckpt.metrics
            table.add_row(
                str(ckpt.step_number),
                _fmt(m.train_loss),
                _fmt(m.full_valid_loss if m.full_valid_loss is not None else m.valid_loss),
                _fmt(m.train_mean_token_accuracy),
                short_fine_tuned(ckpt.fine_tuned_model_checkpoint) or "",
                key=ckpt.id,
            )
        self.query_one("#job-tabs", TabbedContent).get_tab(
            "checkpoints"
        ).label = f"Checkpoints ({len(self.checkpoints)})"

    # -- status line ---------------------------------------------------------------------------

    @on(EventLog.FollowChanged)
    def _log_follow(self, message: EventLog.FollowChanged) -> None:
        message.stop()
        self._line()

    def _line(self) -> None:
        log = self.log_view
        follow = "auto-scroll on" if log.following else "paused: end or F to follow"
        shown = len(log.shown_ids)
        self.query_one("#job-line", Static).update(
            f"{shown} events · showing {log.filter} (e) · {follow} · l/g/k: log/chart/checkpoints"
        )

    # -- actions -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_chat":
            return self._chat_model() is not None
        return True

    def _chat_model(self) -> str | None:
        """The model `o` chats with: the highlighted checkpoint on that tab, else the result."""
        tabs = self.query("#job-tabs")
        if tabs and cast(TabbedContent, tabs.first()).active == "checkpoints" and self.checkpoints:
            row = self.checkpoint_table.cursor_row
            if 0 <= row < len(self.checkpoints):
                return self.checkpoints[row].fine_tuned_model_checkpoint
        if self.job is not None and self.job.status == "succeeded":
            return self.job.fine_tuned_model
        return None

    def action_open_chat(self) -> None:
        model = self._chat_model()
        if model is None:
            self.notify("No model to chat with yet", severity="warning")
            return
        self.tuner.open_chat(model=model)

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.refresh_bindings()

    @on(DataTable.RowHighlighted, "#ckpt-table")
    def _checkpoint_highlighted(self) -> None:
        self.refresh_bindings()

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
        refusal = control_refusal(control, self.job.status)
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


def _as_service(worker: Worker[Any]) -> Any:
    from tuner.api.errors import translate

    error = worker.error
    return translate(error) if isinstance(error, BaseException) else None


def open_job(app: Any, job_id: str) -> None:
    """Switch to the jobs screen and push `job_id`'s screen on top of the list."""
    if app.current_mode != "jobs" and app.route_available("jobs"):
        app.switch_mode("jobs")
    app.push_screen(JobScreen(job_id))
