"""The jobs list: every job of the profile with coloured status, refreshed while any is active.

Pages come from `tuner.api.jobs.spec.list_jobs` (newest first); reaching the last row loads the next
older page. While a job is active the first page is re-read on a backing-off timer
(`RefreshPolicy`: 5 s after a change, doubling to 30 s while nothing moves, stopped when nothing
is active), so an idle list costs almost nothing. A job that reaches a terminal status is
announced once per app (notification + terminal bell), whichever screen noticed it first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, ClassVar, Literal, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Static

from tuner.api.errors import ServiceError
from tuner.api.jobs.watch import (
    STATUS_FILTERS,
    JobList,
    RefreshPolicy,
    StatusFilter,
    next_in,
    status_matches,
)
from tuner.data.durations import format_duration
from tuner.data.wording import plural
from tuner.ui.failures import WorkFailed, fails_as
from tuner.ui.outside import outside, outside_line
from tuner.ui.tuner_screen import TunerScreen
from tuner.ui.widgets.deadline_lines import ClosingLine, StoppingLine
from tuner.ui.widgets.jobs_table import WIDE, JobsTable

if TYPE_CHECKING:
    from tuner.api.types import Job

PAGE_SIZE = 20
AGES_TICK = 30.0  # x poll_scale: "created 5m ago" is redrawn this often, without a request

NO_JOBS_YET = "No fine-tuning jobs yet: press n to start one."

FetchKind = Literal["first", "refresh", "more"]


@dataclass
class JobsLoaded(Message):
    """A page of jobs arrived: the first page, a refresh of it, or an older page."""

    kind: FetchKind
    jobs: list[Job]
    has_more: bool
    # The day each model stops answering where the service's model list says (first page).
    dates: Mapping[str, date] | None = None


class JobsReadFailed(WorkFailed):
    """A page of the list could not be read. `generation` is the session's when the read
    started: a failure of a profile switched away from since (its client closed under the read)
    is no news."""

    DOING = "list jobs"

    def __init__(self, error: Exception, generation: int) -> None:
        super().__init__(error)
        self.generation = generation

    @classmethod
    def of_call(
        cls, error: Exception, after: str | None, kind: FetchKind, generation: int
    ) -> JobsReadFailed:
        return cls(error, generation)


class JobsScreen(TunerScreen[None]):
    """All jobs of the active profile; enter opens one, n starts a new one."""

    CSS_PATH = "jobs.tcss"
    TITLE = "Jobs"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_job", "New job", id="jobs.new"),
        # `t` is named in the status line ("showing all (t)"), which leaves the footer room.
        Binding("t", "cycle_filter", "Status filter", id="jobs.filter", show=False),
        # It refreshes itself; ctrl+r asks now. `r` and `m` are named by the line that says a
        # fine-tune stops answering soon (and in help).
        Binding("ctrl+r", "refresh", "Refresh", id="jobs.refresh", show=False),
        Binding("L", "load_more", "Older", id="jobs.more", show=False),
        Binding("r", "record", "Record", id="jobs.record", show=False),
        Binding("m", "move", "Move", id="jobs.move", show=False),
        Binding("b", "backup", "Back up", id="jobs.backup"),
        Binding("E", "evaluate", "Eval", id="jobs.evaluate"),
    ]

    # Which statuses the table shows (`t` cycles it): the rows, the status line and, when
    # none is left on this page, an older page follow it.
    status_filter: reactive[StatusFilter] = reactive("all", init=False)
    # The highlighted job, as the table's cursor moves and its rows are redrawn: `E` and `r`
    # (footer, help, palette) follow it.
    selected_job: reactive[Job | None] = reactive(None, init=False, bindings=True)
    # What shows in place of the table when there is nothing to list (no profile, no job yet).
    notice: reactive[Text | None] = reactive(None, init=False)

    def __init__(self) -> None:
        super().__init__()
        self.jobs = JobList()
        self._timer: Timer | None = None
        self._interval: float | None = None
        self.error: str | None = None
        self.reading: str | None = None  # what the status line says while a page is read
        self.dates: dict[str, date] = {}  # from the service's model list, where it says
        self._generation = -1  # the session generation the list was read from

    @property
    def policy(self) -> RefreshPolicy:
        return RefreshPolicy().scaled(self.tuner.services.poll_scale)

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        yield ClosingLine(id="jobs-deadline")
        yield StoppingLine(id="jobs-stopping")
        yield Static(id="jobs-message")
        yield JobsTable(id="jobs-table")
        yield Static(id="jobs-status")
        yield Footer(compact=True)

    @property
    def table(self) -> JobsTable:
        return self.query_one(JobsTable)

    def on_mount(self) -> None:
        self._show_deadline()
        self.table.set_columns(self.size.width >= WIDE)
        # At once, not when the table's message arrives: a key pressed next is checked
        # against the job it will act on.
        self.watch(self.table, "cursor_coordinate", self._cursor_moved, init=False)
        self.set_interval(AGES_TICK * self.tuner.services.poll_scale, self._redraw_ages)
        # Once the frame is drawn: the first read may import the service's SDK (a second),
        # which must not hold the frame (or the form pushed over this list) back.
        self.call_after_refresh(self.load_first)

    def _redraw_ages(self) -> None:
        """Relative times ("created 5m ago", "took") move on even when no job does."""
        if self.jobs.loaded and self.is_current:
            self._fill()

    def _no_profile(self) -> None:
        self.notice = outside(self.tuner.session.problem or "", "bold")
        self.reading = None
        self._status("")

    def watch_notice(self, notice: Text | None) -> None:
        """A notice takes the table's place; none gives it back."""
        message = self.query_one("#jobs-message", Static)
        if notice is not None:
            message.update(notice)
        message.display = notice is not None
        self.table.display = notice is None

    def on_unmount(self) -> None:
        if self._timer is not None:
            self._timer.stop()

    def _show_deadline(self) -> None:
        """On an OpenAI-shaped profile: how long OpenAI still takes new jobs. Other services
        are not closing."""
        connection = self.tuner.connection.connection
        today = date.fromtimestamp(self.tuner.services.clock())
        self.query_one(ClosingLine).show(connection.facts if connection else None, today)

    def on_screen_resume(self) -> None:
        """Back from a job, the form or another screen: re-read at once (a new job may be
        there), from the start when the connection changed meanwhile."""
        self._show_deadline()
        if self._generation != self.tuner.session.generation:
            self.load_first()
        elif self.jobs.loaded:
            self.action_refresh()

    def on_resize(self) -> None:
        wide = self.size.width >= WIDE
        if wide != self.table.wide:
            self.table.set_columns(wide)
            self._fill()

    # -- loading -------------------------------------------------------------------------------

    def load_first(self) -> None:
        """Read the list from the start (on mount, and after the connection changed)."""
        self._generation = self.tuner.session.generation
        self.jobs = JobList()
        self.selected_job = None
        self.dates = {}
        self._interval = None
        if self.tuner.session.problem is not None:
            self._no_profile()
            return
        self.reading = "Loading jobs…"
        self._status()
        self._fetch(None, "first")

    def _fetch(self, after: str | None, kind: FetchKind) -> None:
        """Read a page from the profile in use now (its generation goes with a failure). A
        refresh or a next page of a list read from a profile switched away from since (a
        refresh timer may fire while another screen switches) would ask the new service about
        the old one's jobs: the list is read from the start instead."""
        if kind != "first" and self._generation != self.tuner.session.generation:
            self.load_first()
            return
        self._read_page(after, kind, self.tuner.session.generation)

    @work(exclusive=True, group="jobs-fetch", exit_on_error=False)
    @fails_as(JobsReadFailed)
    async def _read_page(self, after: str | None, kind: FetchKind, generation: int) -> None:
        service = await self.tuner.session.opened()
        page = await service.list_jobs(after=after, limit=PAGE_SIZE)
        jobs = list(page.jobs)
        dates = None
        if kind == "first":
            try:
                dates = await service.shutdown_dates()
            except ServiceError:
                dates = {}  # the catalog's dates are all there is
        if kind == "refresh":
            # Active jobs older than the first page are re-read one by one (rare).
            listed = {job.id for job in jobs}
            for job in self.jobs.active:
                if job.id not in listed:
                    jobs.append(await service.retrieve_job(job.id))
        self.post_message(JobsLoaded(kind, jobs, page.has_more, dates))

    @on(JobsLoaded)
    def _loaded(self, message: JobsLoaded) -> None:
        self.error = None
        self.reading = None
        if message.dates is not None:
            self.dates = dict(message.dates)
            self.tuner.model_dates = self.dates
        if message.kind == "more":
            self.jobs.append_page(message.jobs, message.has_more)
            self._fill()
        elif not self.jobs.loaded:
            self.jobs.append_page(message.jobs, message.has_more)
            self.tuner.announced.update(job.id for job in message.jobs if job.finished)
            self._fill()
        else:
            update = self.jobs.refresh(message.jobs)
            for job in update.finished:
                self.tuner.announce_finished(job)
            self._fill()
            self._schedule(changed=update.any)
            return
        self._schedule(changed=True)

    @on(JobsReadFailed)
    def _read_failed(self, failed: JobsReadFailed) -> None:
        """A failed read: said once (not on every retry); retried later only when waiting can
        help (the network, the service's load), never for a missing key or a refusal."""
        if failed.generation != self.tuner.session.generation:
            # A read of the profile switched away from, whose client was closed under it:
            # nothing to tell; the list is read again from the new profile when shown.
            return
        self.reading = None
        error = failed.reason
        if error != self.error:
            self.notify(f"Could not list jobs: {error}", severity="error", timeout=10)
        self.error = error
        retryable = isinstance(failed.error, ServiceError) and failed.error.retryable
        if not retryable:
            if self._timer is not None:
                self._timer.stop()
                self._timer = None
            self._interval = None
            self._status()
            return
        self._schedule(changed=False)

    @property
    def refresh_planned(self) -> bool:
        """Whether a refresh of the list is planned: False once nothing is active (an idle
        history is not polled) or after an error a retry cannot mend."""
        return self._timer is not None

    def _schedule(self, *, changed: bool) -> None:
        """Plan the next refresh by the policy; none while nothing is active."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        active = bool(self.jobs.active) or self.error is not None
        self._interval = self.policy.next_interval(self._interval, changed=changed, active=active)
        if self._interval is not None:
            self._timer = self.set_timer(self._interval, self._refresh_tick)
        self._status()

    def _refresh_tick(self) -> None:
        self._timer = None
        self._fetch(None, "refresh" if self.jobs.loaded else "first")

    def action_refresh(self) -> None:
        if self.tuner.session.problem is not None:
            self._no_profile()
            return
        self._interval = None
        self._fetch(None, "refresh" if self.jobs.loaded else "first")

    def action_load_more(self) -> None:
        after = self.jobs.next_after
        if after is None:
            return
        self.reading = "Loading older jobs…"
        self._status()
        self._fetch(after, "more")

    @on(DataTable.RowHighlighted, "#jobs-table")
    def _maybe_more(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= self.table.row_count - 1 and self.jobs.next_after is not None:
            self.action_load_more()

    # -- drawing -------------------------------------------------------------------------------

    def visible_jobs(self) -> list[Job]:
        return [j for j in self.jobs.ordered if status_matches(self.status_filter, j.status)]

    def _fill(self) -> None:
        """Redraw from the jobs read so far: the rows (the cursor kept on its job), the line
        about fine-tunes that stop answering, what shows instead of an empty table, and the
        status line."""
        now = self.tuner.services.clock()
        catalog = self.tuner.catalog()
        self.table.show(self.visible_jobs(), now=now, catalog=catalog, dates=self.dates)
        models = (job.fine_tuned_model for job in self.jobs.ordered if job.fine_tuned_model)
        self.query_one(StoppingLine).show(models, catalog, date.fromtimestamp(now), self.dates)
        self._cursor_moved()  # an empty table moves no cursor, and a re-read job is new
        empty = not self.jobs.ordered and self.jobs.loaded
        self.notice = Text(NO_JOBS_YET, style="bold") if empty else None
        self._status()

    def _cursor_moved(self) -> None:
        """`selected_job` follows the table's cursor, and the job re-read under it."""
        job_id = self.table.selected_job_id()
        self.selected_job = self.jobs.jobs.get(job_id) if job_id is not None else None

    def _status(self, text: str | None = None) -> None:
        """The line under the table: `text`, else what is being read, else how many jobs,
        which are shown, and how the list keeps itself current."""
        text = text if text is not None else self.reading
        if text is None:
            shown = len(self.visible_jobs())
            total = len(self.jobs.jobs)
            parts = [
                f"{shown:,} of {plural(total, 'job')}" if shown != total else plural(total, "job")
            ]
            parts.append(f"showing {self.status_filter} (t)")
            if self.jobs.has_more:
                parts.append("older: L")
            if self._interval is not None:
                parts.append(f"live, every {format_duration(self._interval)}")
            if self.error:
                again = "retrying" if self._interval is not None else "ctrl+r tries again"
                parts.append(f"error: {self.error} ({again})")
            text = " · ".join(parts)
        self.query_one("#jobs-status", Static).update(outside_line(text))

    def selected_job_id(self) -> str | None:
        """The highlighted job's id, as the table's cursor says."""
        return self.table.selected_job_id()

    # -- actions -------------------------------------------------------------------------------

    def action_backup(self) -> None:
        """Copy the account's fine-tuning into a folder (as `tuner backup DIR` does)."""
        from tuner.ui.modals.backup import BackupModal

        problem = self.tuner.session.problem
        if problem is not None:
            self.notify(problem, severity="warning")
            return
        profile = self.tuner.profile
        name = profile.name if profile is not None else "default"
        folder = self.tuner.start_path / f"tuner-backup-{name}"
        self.app.push_screen(BackupModal(self.tuner.session.service(), folder, name))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`E` and `r` only on a job that made a model."""
        if action in ("evaluate", "record"):
            job = self.selected_job
            return job is not None and bool(job.fine_tuned_model)
        return True

    def action_record(self) -> None:
        """`r`: the highlighted fine-tune's answers kept before it stops answering."""
        job = self.selected_job
        if job is None:
            self.notify("Highlight a job to record its model's answers", severity="warning")
            return
        self.tuner.record_answers(job)

    def action_move(self) -> None:
        """`m`: the highlighted job moved to another profile's service."""
        job_id = self.selected_job_id()
        if job_id is None:
            self.notify("Highlight a job to move it", severity="warning")
            return
        self.tuner.move_job(job_id)

    def action_evaluate(self) -> None:
        """The Eval screen on the highlighted job's model (against its base, or the model it
        was moved from), on its validation file."""
        job = self.selected_job
        if job is None:
            self.notify("Highlight a job to evaluate its model", severity="warning")
            return
        self.tuner.evaluate_job(job)

    def action_cycle_filter(self) -> None:
        self.status_filter = cast(StatusFilter, next_in(STATUS_FILTERS, self.status_filter))

    def watch_status_filter(self) -> None:
        self._fill()
        if not self.visible_jobs() and self.jobs.next_after is not None:
            self.action_load_more()

    @on(DataTable.RowSelected, "#jobs-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.open_job(str(event.row_key.value))

    def open_job(self, job_id: str) -> None:
        self.tuner.open_job(job_id)

    def action_new_job(self) -> None:
        problem = self.tuner.session.problem
        if problem is not None:
            self.notify(problem, severity="warning")
            return
        # Start from the dataset the user last opened, if any: usually the one to train on.
        dataset = self.tuner.last_dataset
        path = dataset if dataset is not None and dataset.suffix == ".jsonl" else None
        self.tuner.open_new_job(path=path)
