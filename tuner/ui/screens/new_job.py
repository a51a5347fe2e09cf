"""The new-job form: base model, training / validation file, suffix, method, hyperparameters.

A file is either already on the service (picked from the profile's files) or local: a local
file is validated first (`Services.analyse`, in a thread) and uploaded with a progress bar, then
the job is created. The cost estimate is shown before the user confirms; it needs the local
file (an uploaded file without a local copy is not downloaded to price it). Every refusal, ours
or the service's, is shown in the form.

Entry points: `n` on the jobs screen, and `app.open_new_job(path=..., file_id=...)` from the
dataset screen's "new job from this file".
"""

from __future__ import annotations

import contextlib
import datetime
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Button, Footer, Header, Input, ProgressBar, Select, Static

from tuner.api.errors import ServiceError
from tuner.api.jobs.creation import (
    CreatedJob,
    CreationStep,
    JobCreation,
    JobRequest,
    check_request,
)
from tuner.api.jobs.form import FormError, JobForm
from tuner.api.jobs.spec import check_suffix
from tuner.data.visible_text import visible_line
from tuner.ui.failures import WorkFailed, fails_as
from tuner.ui.modals import ConfirmModal
from tuner.ui.outside import outside
from tuner.ui.tuner_screen import TunerScreen
from tuner.ui.typing_screen import TypingScreen
from tuner.ui.widgets.job_estimate import JobEstimate
from tuner.ui.widgets.job_fields import LOCAL, JobFields

if TYPE_CHECKING:
    from tuner.data.catalog.lookup import Catalog

ESTIMATE_DELAY = 0.4  # seconds after the last keystroke in a path before analysing it


@dataclass
class FilesListed(Message):
    """The profile's uploaded training files, as (label, file id) options."""

    options: list[tuple[str, str]]


@dataclass
class JobCreated(Message):
    created: CreatedJob
    service: str  # the service's name, for its own price


class FilesNotListed(WorkFailed):
    DOING = "list uploaded files"


class CreateFailed(WorkFailed):
    DOING = "create the job"


class NewJobScreen(TypingScreen, TunerScreen[None]):
    """A one-line-per-field form that fits 80x24."""

    CSS_PATH = "new_job.tcss"
    TITLE = "New job"
    AUTO_FOCUS = "#model"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "create", "Create job", id="new_job.create", priority=True),
        Binding("escape", "back", "Back", id="new_job.back"),
        Binding("f1", "app.keys", "Help", id="new_job.help"),
    ]

    creating: reactive[bool] = reactive(False, init=False)
    """The job-creation flow runs: Create is disabled meanwhile, and its upload bar is shown
    only then (leaving the form asks first, `work_in_flight`)."""

    def __init__(
        self,
        path: Path | None = None,
        file_id: str | None = None,
        model: str | None = None,
        epochs: int | None = None,
    ) -> None:
        super().__init__()
        self.initial_path = path
        self.initial_file_id = file_id
        self.initial_model = model  # the model chosen where the user came from (dataset stats)
        self.initial_epochs = epochs  # the epochs set there (None: the service's choice)
        self._initial_values: dict[str, str] = {}
        # The last run of the job-creation flow: what it uploaded stays said after a failure.
        self.creation: JobCreation | None = None
        # Local copies of uploaded files, to price them: file id -> path.
        self.local_copies: dict[str, Path] = {}
        if path is not None and file_id is not None:
            self.local_copies[file_id] = path
        self._estimate_timer: Timer | None = None
        self.error_about: str | None = None

    def watch_creating(self, creating: bool) -> None:
        self.query_one("#create", Button).disabled = creating
        if not creating:
            self.query_one("#upload").display = False

    @property
    def catalog(self) -> Catalog:
        return self.tuner.catalog()

    # -- layout --------------------------------------------------------------------------------

    @property
    def fields(self) -> JobFields:
        return self.query_one(JobFields)

    def compose(self) -> ComposeResult:
        tuner = self.tuner
        model = self.initial_model or tuner.default_model
        analyse = partial(tuner.services.analyse, catalog=self.catalog, service=tuner.data_rules)
        yield Header(icon="≡")
        with VerticalScroll(id="form"):
            yield Static(id="deadline")
            yield JobFields(self.catalog, model, tuner.capabilities, tuner.start_path)
            yield JobEstimate(analyse, lambda: self.catalog, id="estimate")
            yield ProgressBar(id="upload", show_eta=False)
            yield Static(id="form-error")
            with Horizontal(classes="buttons"):
                yield Button("Create job", id="create", variant="primary", compact=True)
                yield Button("Back", id="back", compact=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#upload").display = False
        self._show_deadline()
        if self.initial_path is not None and self.initial_file_id is None:
            self.query_one("#train-path", Input).value = self._shown_path(self.initial_path)
        if self.initial_epochs is not None:
            self.query_one("#epochs", Input).value = str(self.initial_epochs)
        self._initial_values = self.fields.typed()
        # The slow parts (the service's SDK, the file's analysis) once the frame is drawn.
        self.call_after_refresh(self._load_files)
        self.call_after_refresh(self._estimate_now)
        if self.fields.default_note is not None:
            self.show_error(self.fields.default_note, about="model")

    def _show_deadline(self) -> None:
        """How long OpenAI still takes new jobs, on a profile training an OpenAI model there."""
        from tuner.api.deadlines import closes_for, jobs_closed, jobs_closing_note

        line = self.query_one("#deadline", Static)
        connection = self.tuner.connection.connection
        model = self.query_one("#model", Select).value
        if connection is None or not closes_for(connection.facts, str(model)):
            line.display = False
            return
        today = datetime.date.fromtimestamp(self.tuner.services.clock())
        style = "bold red" if jobs_closed(today) else "yellow"
        line.update(Text(jobs_closing_note(today), style=style))
        line.display = True

    def _shown_path(self, path: Path) -> str:
        """The path relative to the browser's folder when it is inside it: shorter, and what
        the user sees in the browser (typed paths are resolved against the same folder)."""
        try:
            return str(path.resolve().relative_to(self.tuner.start_path.resolve()))
        except ValueError:
            return str(path)

    # -- the profile's files -------------------------------------------------------------------

    @work(exclusive=True, group="files", exit_on_error=False)
    @fails_as(FilesNotListed)
    async def _load_files(self) -> None:
        files = await (await self.tuner.session.opened()).list_files()
        self.post_message(FilesListed([(f"{f.filename} · {f.id}", f.id) for f in files]))

    @on(FilesListed)
    def _files_listed(self, message: FilesListed) -> None:
        listed = list(message.options)
        initial = self.initial_file_id
        if initial and initial not in {value for _, value in listed}:
            name = self.initial_path.name if self.initial_path else "uploaded file"
            listed.insert(0, (f"{name} · {initial}", initial))
        self.fields.set_file_options(listed, initial)
        self.initial_file_id = None
        self._estimate_now()

    # -- live checks ---------------------------------------------------------------------------

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        fields = self.fields
        if event.select.id == "model":
            self._show_deadline()
            refusal = self.catalog.refusal(str(event.value), datetime.date.today())
            if refusal is not None:  # said at once, not after an upload
                self.show_error(refusal, about="model")
            elif fields.default_note is not None and event.value == fields.default_pick:
                self.show_error(fields.default_note, about="model")  # still the model picked
            elif self.error_about in ("create", "model"):
                self.show_error(None)  # the answer was about the model left behind
        fields.sync_paths()
        self._estimate_now()

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "suffix":
            self._check_suffix(event.value)
        elif event.input.id in ("train-path", "epochs"):
            # Wait for the typing to stop before analysing a file.
            if self._estimate_timer is not None:
                self._estimate_timer.stop()
            self._estimate_timer = self.set_timer(ESTIMATE_DELAY, self._estimate_now)

    def _check_suffix(self, value: str) -> None:
        try:
            check_suffix(value.strip() or None)
        except ServiceError as exc:
            self.show_error(exc.message, about="suffix")
        else:
            if self.error_about == "suffix":
                self.show_error(None)

    def show_error(self, message: str | None, *, about: str | None = None) -> None:
        """Show (or clear) the form's one error line; `about` names the field it concerns."""
        self.error_about = about if message else None
        error = self.query_one("#form-error", Static)
        error.update(outside(message, "bold red") if message else "")

    # -- the estimate --------------------------------------------------------------------------

    def estimate_path(self) -> Path | None:
        """The local file to price: the typed path, or the local copy of an uploaded file."""
        pick = self.query_one("#train-pick", Select).value
        if pick == LOCAL:
            return self.fields.typed_path("train")
        return self.local_copies.get(str(pick))

    def _estimate_now(self) -> None:
        self._estimate_timer = None
        try:
            epochs = JobForm("m", epochs=self.query_one("#epochs", Input).value).hyperparameters()
            chosen = epochs.n_epochs if isinstance(epochs.n_epochs, int) else None
        except FormError:
            chosen = None
        self.query_one(JobEstimate).price(
            self.estimate_path(),
            str(self.query_one("#model", Select).value),
            chosen,
            local=self.query_one("#train-pick", Select).value == LOCAL,
        )

    # -- creating ------------------------------------------------------------------------------

    def request(self) -> JobRequest:
        """The form as a request to the job-creation flow, checked (nothing sent yet); a
        `ServiceError` (a `FormError` names its field) says what to fix."""
        spec = self.fields.form().to_spec("pending")
        training = self.fields.file_choice("train")
        if training is None:
            raise FormError("training", "Pick an uploaded training file or type a local path")
        report = self.query_one(JobEstimate).report  # the estimate's analysis, not made again
        request = JobRequest(
            spec,
            training,
            self.fields.file_choice("valid"),
            catalog=self.catalog,
            reports={report.path.resolve(): report} if report is not None else {},
        )
        check_request(request)
        return request

    def action_create(self) -> None:
        if self.creating:
            return
        try:
            request = self.request()
        except ServiceError as exc:
            self.show_error(exc.message, about=getattr(exc, "field", None))
            return
        self.show_error(None)
        self.creating = True
        self._create(request)

    @work(exclusive=True, group="create", exit_on_error=False)
    @fails_as(CreateFailed)
    async def _create(self, request: JobRequest) -> None:
        service = await self.tuner.session.opened()
        analyse = partial(
            self.tuner.services.analyse, catalog=self.catalog, service=self.tuner.data_rules
        )
        self.creation = JobCreation(service, request, on_step=self._told, analyser=analyse)
        created = await self.creation.run()
        self.post_message(JobCreated(created, service.capabilities.service))

    def _told(self, step: CreationStep) -> None:
        """A step of the flow, on the form's event loop: said on the error line, an upload's
        bytes on the bar."""
        name = step.path.name if step.path is not None else ""
        said = {"analyse": f"Checking {name}…", "upload": f"Uploading {name}…"}
        service = self.creation.service.capabilities.service if self.creation else "the service"
        said.update(quote=f"Asking {service} for its price…", create="Creating the job…")
        if step.stage in ("analyse", "upload") and step.done not in (None, 0):
            if step.stage == "upload" and step.total is not None:
                bar = self.query_one("#upload", ProgressBar)
                bar.display = True
                bar.update(total=max(1, step.total), progress=step.done)
        elif step.stage in said:
            self.query_one("#form-error", Static).update(outside(said[step.stage], "bold"))

    # -- failures: each lands where the user is looking for that answer --------------------

    def on_files_not_listed(self, failed: FilesNotListed) -> None:
        self.notify(f"Could not {failed.doing}: {failed.reason}", severity="warning")

    def on_create_failed(self, failed: CreateFailed) -> None:
        self.creating = False
        message = failed.reason
        uploads = self.creation.uploads if self.creation is not None else []
        if uploads:
            kept = ", ".join(f"{path.name} as {upload.id}" for path, upload in uploads)
            message += f" (uploaded {kept}: a retry uses it)"
        self.show_error(message, about="create")

    @on(JobCreated)
    def _created(self, message: JobCreated) -> None:
        self.creating = False
        quote = message.created.quote
        price = f" ({message.service}'s estimate ${quote.dollars:,.2f})" if quote else ""
        reused = "".join(
            f"; {upload.describe(Path(path.name))}" for path, upload in message.created.reused
        )
        job_id = message.created.job.id
        self.notify(visible_line(f"Created job {job_id}{price}{reused}"), markup=False)
        self.tuner.open_job(job_id, just_created=True)

    @on(Button.Pressed, "#create")
    def _create_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_create()

    @on(Button.Pressed, "#back")
    def _back_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_back()

    def action_back(self) -> None:
        """Back to the jobs list; a filled form or an upload in flight is given up only if the
        user says so."""
        lost = self.work_in_flight()
        if not lost:
            self._leave()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._leave()

        question = f"Leave the new-job form? {'; '.join(lost)} would be lost."
        self.app.push_screen(ConfirmModal(question, title="Leave", yes="Leave"), answered)

    def _leave(self) -> None:
        with contextlib.suppress(Exception):
            self.workers.cancel_group(self, "create")
        self.dismiss()

    def work_in_flight(self) -> list[str]:
        """What leaving now would lose: the upload running, or what was typed."""
        if self.creating:
            return ["the upload and job being created"]
        typed = self.fields.typed() != self._initial_values
        return ["the values typed in the new-job form"] if typed else []
