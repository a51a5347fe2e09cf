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
from typing import TYPE_CHECKING, Any, ClassVar, Literal, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import Worker

from tuner.api.deadlines import (
    NEAR_DAYS,
    OPENAI_FINE_TUNING_CLOSES,
    Retirement,
    closes_for,
    days_until,
    jobs_closing_note,
    retirement,
    stopping_soon,
)
from tuner.api.errors import ServiceError
from tuner.api.jobs.watch import (
    STATUS_FILTERS,
    JobList,
    RefreshPolicy,
    StatusFilter,
    brief_model,
    next_in,
    short_fine_tuned,
    status_matches,
)
from tuner.data.durations import format_ago, format_count, format_duration
from tuner.data.fit_text import fit_words
from tuner.data.wording import plural
from tuner.ui.failures import describe_error, failed_worker
from tuner.ui.outside import outside, outside_line
from tuner.ui.tuner_screen import TunerScreen
from tuner.ui.widgets.job_header import status_text

if TYPE_CHECKING:
    from tuner.api.types import Job
    from tuner.data.catalog.lookup import Catalog

PAGE_SIZE = 20
AGES_TICK = 30.0  # x poll_scale: "created 5m ago" is redrawn this often, without a request
WIDE = 110  # columns from which the full ids fit

FetchKind = Literal["first", "refresh", "more"]


@dataclass
class JobsLoaded(Message):
    """A page of jobs arrived: the first page, a refresh of it, or an older page."""

    kind: FetchKind
    jobs: list[Job]
    has_more: bool
    # The day each model stops answering where the service's model list says (first page).
    dates: Mapping[str, date] | None = None


URGENCY_STYLES = {"past": "bold red", "near": "bold yellow", "later": "dim"}
# The narrow list's base-model cell, in cells: a longer name ends at a whole part of it
# (`Meta-Llama-3.1…`), never inside one.
BASE_WIDTH = 16


def serves_until(retirement: Retirement | None) -> Text:
    """The wide list's "Stops answering" cell (`in 38 days`, `2026-10-23` once past), marked
    when near or past."""
    if retirement is None:
        return Text("—", style="dim")
    return Text(retirement.when(), style=URGENCY_STYLES[retirement.urgency])


def row_cells(job: Job, now: float, wide: bool, retirement: Retirement | None = None) -> list[Any]:
    """The cells of one job's row; narrow terminals get short names. `retirement` is the
    base model's, shown for a job that made a model (marked when near or past)."""
    took = job.finished_at - job.created_at if job.finished_at else now - job.created_at
    took_text = format_duration(took) if (job.finished_at or job.active) else "—"
    tokens = format_count(job.trained_tokens) if job.trained_tokens else "—"
    if not job.fine_tuned_model:
        retirement = None
    if wide:
        style = "green" if job.fine_tuned_model else "dim"
        return [
            status_text(job.status),
            outside_line(job.id),
            outside_line(job.model),
            outside_line(job.fine_tuned_model or "—", style),
            serves_until(retirement),
            format_ago(job.created_at, now),
            took_text,
            tokens,
        ]
    short = short_fine_tuned(job.fine_tuned_model, job.model)
    name = outside_line(short, "green") if short else outside_line(f"…{job.id[-10:]}", "dim")
    if retirement is not None and retirement.urgency != "later":
        name.append(" ⚠", style=URGENCY_STYLES[retirement.urgency])
    return [
        status_text(job.status),
        outside_line(fit_words(brief_model(job.model), BASE_WIDTH)),
        name,
        format_ago(job.created_at, now),
        took_text,
        tokens,
    ]


NARROW_COLUMNS = ("Status", "Base", "Model / job", "Created", "Took", "Tokens")
WIDE_COLUMNS = (
    "Status",
    "Job",
    "Base model",
    "Fine-tuned model",
    "Stops answering",
    "Created",
    "Took",
    "Tokens",
)


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

    def __init__(self) -> None:
        super().__init__()
        self.jobs = JobList()
        self._timer: Timer | None = None
        self._interval: float | None = None
        self._wide: bool | None = None
        self.error: str | None = None
        self.dates: dict[str, date] = {}  # from the service's model list, where it says
        self._generation = -1  # the session generation the list was read from
        self._fetch_generation = -1  # the one the newest read started on

    @property
    def policy(self) -> RefreshPolicy:
        return RefreshPolicy().scaled(self.tuner.services.poll_scale)

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        yield Static(id="jobs-deadline")
        yield Static(id="jobs-stopping")
        yield Static(id="jobs-message")
        yield DataTable(id="jobs-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="jobs-status")
        yield Footer(compact=True)

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#jobs-table", DataTable)

    def on_mount(self) -> None:
        self._show_deadline()
        self._set_columns(self.size.width >= WIDE)
        self.set_interval(AGES_TICK * self.tuner.services.poll_scale, self._redraw_ages)
        # Once the frame is drawn: the first read may import the service's SDK (a second),
        # which must not hold the frame (or the form pushed over this list) back.
        self.call_after_refresh(self.load_first)

    def _redraw_ages(self) -> None:
        """Relative times ("created 5m ago", "took") move on even when no job does."""
        if self.jobs.loaded and self.is_current:
            self._fill()

    def _no_profile(self) -> None:
        problem = self.tuner.session.problem or ""
        self.query_one("#jobs-message", Static).update(outside(problem, "bold"))
        self.query_one("#jobs-message").display = True
        self.table.display = False
        self._status("")

    def on_unmount(self) -> None:
        if self._timer is not None:
            self._timer.stop()

    def _show_deadline(self) -> None:
        """On an OpenAI-shaped profile: how long OpenAI still takes new jobs (and after the
        date, what its refusal means). Other services are not closing."""
        line = self.query_one("#jobs-deadline", Static)
        connection = self.tuner.connection.connection
        if connection is None or not closes_for(connection.facts):
            line.display = False
            return
        today = date.fromtimestamp(self.tuner.services.clock())
        days = days_until(OPENAI_FINE_TUNING_CLOSES, today)
        style = "bold red" if days <= 0 else "bold yellow" if days <= NEAR_DAYS else ""
        line.update(Text(jobs_closing_note(today), style=style))
        line.display = True

    def _show_stopping(self, catalog: Catalog, today: date) -> None:
        """One line when fine-tunes of this profile stop answering within a month: how many,
        when, and the keys that keep what they know (back up, record, move)."""
        line = self.query_one("#jobs-stopping", Static)
        models = {job.fine_tuned_model for job in self.jobs.ordered if job.fine_tuned_model}
        ends = [
            found
            for model in sorted(models)
            if (found := retirement(model, catalog, today, self.dates)) is not None
        ]
        said = stopping_soon(ends)
        line.display = said is not None
        if said is not None:
            line.update(Text(said, style="bold yellow"))

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
        if wide != self._wide:
            self._set_columns(wide)
            self._fill()

    # -- loading -------------------------------------------------------------------------------

    def load_first(self) -> None:
        """Read the list from the start (on mount, and after the connection changed)."""
        self._generation = self.tuner.session.generation
        self.jobs = JobList()
        self.dates = {}
        self._interval = None
        if self.tuner.session.problem is not None:
            self._no_profile()
            return
        self._status("Loading jobs…")
        self._fetch(None, "first")

    @work(exclusive=True, group="jobs-fetch", exit_on_error=False)
    async def _fetch(self, after: str | None, kind: FetchKind) -> None:
        self._fetch_generation = self.tuner.session.generation
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

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed read: said once (not on every retry); retried later only when waiting can
        help (the network, the service's load), never for a missing key or a refusal."""
        worker = failed_worker(event)
        if worker is None:
            return
        if self._fetch_generation != self.tuner.session.generation:
            # A read of the profile switched away from, whose client was closed under it:
            # nothing to tell; the list is read again from the new profile when shown.
            return
        error = describe_error(worker.error)
        if error != self.error:
            self.notify(f"Could not list jobs: {error}", severity="error", timeout=10)
        self.error = error
        retryable = isinstance(worker.error, ServiceError) and worker.error.retryable
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
        self._status("Loading older jobs…")
        self._fetch(after, "more")

    @on(DataTable.RowHighlighted, "#jobs-table")
    def _maybe_more(self, event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()  # `E` follows the highlighted job
        if event.cursor_row >= self.table.row_count - 1 and self.jobs.next_after is not None:
            self.action_load_more()

    # -- drawing -------------------------------------------------------------------------------

    def _set_columns(self, wide: bool) -> None:
        self._wide = wide
        table = self.table
        table.clear(columns=True)
        for label in WIDE_COLUMNS if wide else NARROW_COLUMNS:
            table.add_column(label, key=label)

    def visible_jobs(self) -> list[Job]:
        return [j for j in self.jobs.ordered if status_matches(self.status_filter, j.status)]

    def _fill(self) -> None:
        """Redraw the rows, keeping the cursor on the same job."""
        table = self.table
        self.query_one("#jobs-message").display = False
        table.display = True
        selected = self.selected_job_id()
        now = self.tuner.services.clock()
        today = date.fromtimestamp(now)
        catalog = self.tuner.catalog()
        table.clear()
        for job in self.visible_jobs():
            ends = retirement(job.fine_tuned_model or job.model, catalog, today, self.dates)
            table.add_row(*row_cells(job, now, bool(self._wide), ends), key=job.id)
        self._show_stopping(catalog, today)
        if selected is not None and selected in {j.id for j in self.visible_jobs()}:
            table.move_cursor(row=table.get_row_index(selected), animate=False)
        if not self.jobs.ordered and self.jobs.loaded:
            self.query_one("#jobs-message", Static).update(
                Text("No fine-tuning jobs yet: press n to start one.", style="bold")
            )
            self.query_one("#jobs-message").display = True
            table.display = False
        self._status()

    def _status(self, text: str | None = None) -> None:
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
        table = self.table
        if table.row_count == 0 or not table.is_valid_row_index(table.cursor_row):
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key
        return str(key.value) if key.value is not None else None

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

    def selected_job(self) -> Job | None:
        job_id = self.selected_job_id()
        return self.jobs.jobs.get(job_id) if job_id is not None else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`E` and `r` only on a job that made a model."""
        if action in ("evaluate", "record"):
            job = self.selected_job()
            return job is not None and bool(job.fine_tuned_model)
        return True

    def action_record(self) -> None:
        """`r`: the highlighted fine-tune's answers kept before it stops answering."""
        job = self.selected_job()
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
        job = self.selected_job()
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
