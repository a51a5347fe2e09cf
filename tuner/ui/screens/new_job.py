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
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Button, Footer, Header, Input, Label, ProgressBar, Select, Static

from tuner.api.errors import ServiceError
from tuner.api.job_form import FormError, JobForm
from tuner.api.job_quote import service_quote
from tuner.api.jobs import check_suffix
from tuner.data.durations import format_count
from tuner.data.fit_text import short_path
from tuner.data.visible_text import visible_line
from tuner.data.wording import plural
from tuner.ui.failures import WorkFailed, fails_as
from tuner.ui.modals import ConfirmModal
from tuner.ui.outside import CONTROLS_SHOWN, outside, outside_line
from tuner.ui.tuner_screen import TunerScreen
from tuner.ui.typing_screen import TypingScreen

if TYPE_CHECKING:
    from tuner.data.analysis import AnalysisReport
    from tuner.data.catalog import Catalog, ModelInfo

LOCAL = "local"
NONE = "none"
ESTIMATE_DELAY = 0.4  # seconds after the last keystroke in a path before analysing it


def model_label(info: ModelInfo, today: datetime.date) -> str:
    """`gpt-4o-mini-2024-07-18 · $3.00/1M · 65,536 tok`, with what is not known said so, and
    the retirement date when it is near or past."""
    from tuner.data.catalog import retirement_note

    price = f"${info.training_price_per_1m:,.2f}/1M" if info.training_price_per_1m else "price ?"
    limit = f"{info.example_token_limit:,} tok" if info.example_token_limit else "no limit given"
    label = f"{info.id} · {price} · {limit}"
    note = retirement_note(info, today)
    return f"{label} · {note}" if note else label


def _field(*, placeholder: str, id: str) -> Input:
    """A one-line text field whose value may be a file's name or a pasted line: its control
    characters are drawn, the value keeps them."""
    return Input(placeholder=placeholder, id=id, highlighter=CONTROLS_SHOWN)


@dataclass
class FilesListed(Message):
    """The profile's uploaded training files, as (label, file id) options."""

    options: list[tuple[str, str]]


@dataclass
class EstimateReady(Message):
    """The analysis of the file to price: which (path, encoding) it was made for, and it."""

    key: tuple[Path, str]
    report: AnalysisReport


@dataclass
class JobCreated(Message):
    job_id: str
    service_estimate: str = ""  # the service's own price, when it gives one
    reused: tuple[str, ...] = ()  # "reusing file-... (uploaded ..., identical) for NAME"


class FilesNotListed(WorkFailed):
    DOING = "list uploaded files"


class EstimateFailed(WorkFailed):
    DOING = "analyse the file"


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

    class UploadProgress(Message):
        """Bytes sent of one upload; a newer one replaces an unprocessed older one."""

        def __init__(self, name: str, sent: int, total: int) -> None:
            super().__init__()
            self.name, self.sent, self.total = name, sent, total

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, NewJobScreen.UploadProgress)

    class Stage(Message):
        """What the create worker is doing now (validating, uploading, creating)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

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
        # Files this form uploaded: a refused create does not upload them again on retry.
        self.uploaded: dict[Path, str] = {}
        # What the last create said of files the service held already ("reusing file-...").
        self.reused: list[str] = []
        # Local copies of uploaded files, to price them: file id -> path.
        self.local_copies: dict[str, Path] = {}
        if path is not None and file_id is not None:
            self.local_copies[file_id] = path
        self.report: AnalysisReport | None = None
        self.report_key: tuple[Path, str] | None = None  # (path, encoding) analysed
        self._estimate_timer: Timer | None = None
        self.creating = False
        self.error_about: str | None = None
        self.absolute_learning_rate = False  # the LR field: Together's rate, else a multiplier
        self.lora_choice = False  # whether the adaptation row is offered
        self.default_note: str | None = None  # the model asked for was not in the list
        self.default_pick = ""  # ... and the one picked instead

    @property
    def catalog(self) -> Catalog:
        return self.tuner.catalog()

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        today = datetime.date.today()
        models = [(outside_line(model_label(m, today)), m.id) for m in self.catalog.models]
        default = self.initial_model or self.tuner.default_model
        if default not in {value for _, value in models}:
            # A model the settings or the dataset screen named that the list lacks: the one
            # most likely meant is picked, and the form says so (never a silent first entry).
            guess = self.catalog.suggestion(default)
            self.default_note = f"{visible_line(default)} is not a model tuner knows" + (
                f"; did you mean {guess}? (picked)" if guess else "; pick one"
            )
            default = guess if guess is not None else models[0][1] if models else ""
            self.default_pick = default
        yield Header(icon="≡")
        with VerticalScroll(id="form"):
            yield Static(id="deadline")
            yield from self._row(
                "Base model", Select(models, value=default, allow_blank=False, id="model")
            )
            train_options: list[tuple[str, str]] = [("Local file (path below)", LOCAL)]
            yield from self._row(
                "Training",
                Select(train_options, value=LOCAL, allow_blank=False, id="train-pick"),
            )
            yield from self._row(
                "  local path", _field(placeholder="path/to/train.jsonl", id="train-path")
            )
            valid_options = [("None", NONE), ("Local file (path below)", LOCAL)]
            yield from self._row(
                "Validation",
                Select(valid_options, value=NONE, allow_blank=False, id="valid-pick"),
            )
            yield from self._row(
                "  local path", _field(placeholder="path/to/valid.jsonl", id="valid-path")
            )
            yield from self._row(
                "Suffix", _field(placeholder="optional, e.g. support-bot", id="suffix")
            )
            methods = [("supervised", "supervised"), ("dpo (preference pairs)", "dpo")]
            yield from self._row(
                "Method", Select(methods, value="supervised", allow_blank=False, id="method")
            )
            adaptations = [("service's choice", ""), ("LoRA adapter", "lora"), ("full", "full")]
            yield from self._row(
                "Adaptation",
                Select(adaptations, value="", allow_blank=False, id="adaptation"),
            )
            with Horizontal(classes="row"):
                yield Label("Epochs", classes="field-label")
                yield Input(placeholder="auto", id="epochs", classes="small", compact=True)
                yield Label("Batch", classes="mini-label")
                yield Input(placeholder="auto", id="batch", classes="small", compact=True)
                yield Label("LR ×", classes="mini-label", id="lr-label")
                yield Input(placeholder="auto", id="lr", classes="small", compact=True)
                yield Label("Beta", classes="mini-label", id="beta-label")
                yield Input(placeholder="auto", id="beta", classes="small", compact=True)
            yield from self._row("Seed", _field(placeholder="random", id="seed"))
            yield Static(id="estimate")
            yield ProgressBar(id="upload", show_eta=False)
            yield Static(id="form-error")
            with Horizontal(classes="buttons"):
                yield Button("Create job", id="create", variant="primary", compact=True)
                yield Button("Back", id="back", compact=True)
        yield Footer(compact=True)

    def _row(self, label: str, widget: Input | Select[Any]) -> ComposeResult:
        if isinstance(widget, Input | Select):
            widget.compact = True
        with Horizontal(classes="row"):
            yield Label(label, classes="field-label")
            yield widget

    def on_mount(self) -> None:
        self.query_one("#upload").display = False
        self.query_one("#beta-label").display = False
        self.query_one("#beta").display = False
        self._fit_to_service()
        self._show_deadline()
        if self.initial_path is not None and self.initial_file_id is None:
            self.query_one("#train-path", Input).value = self._shown_path(self.initial_path)
        if self.initial_epochs is not None:
            self.query_one("#epochs", Input).value = str(self.initial_epochs)
        self._initial_values = {
            widget.id: widget.value.strip() for widget in self.query(Input) if widget.id
        }
        self._sync_paths()
        # The slow parts (the service's SDK, the file's analysis) once the frame is drawn.
        self.call_after_refresh(self._load_files)
        self.call_after_refresh(self._estimate_now)
        if self.default_note is not None:
            self.show_error(self.default_note, about="model")

    def _fit_to_service(self) -> None:
        """Offer the connected service's own knobs: Together takes an absolute learning rate
        and a LoRA-or-full choice; OpenAI a learning-rate multiplier and no such choice."""
        capabilities = self.tuner.capabilities if self.tuner.session.problem is None else None
        absolute = capabilities is not None and capabilities.absolute_learning_rate
        self.query_one("#lr-label", Label).update("LR" if absolute else "LR ×")
        self.query_one("#lr", Input).tooltip = (
            "learning rate (absolute)" if absolute else "learning-rate multiplier"
        )
        self.lora_choice = capabilities is not None and capabilities.lora_choice
        row = self.query_one("#adaptation").parent
        if row is not None:
            row.display = self.lora_choice
        self.absolute_learning_rate = absolute

    def _show_deadline(self) -> None:
        """How long OpenAI still takes new jobs, on a profile training an OpenAI model there."""
        from tuner.api.deadlines import closes_for, jobs_closed, jobs_closing_note

        line = self.query_one("#deadline", Static)
        connection = self.tuner.connection.connection
        model = self.query_one("#model", Select).value
        if connection is None or not closes_for(connection.kind, str(model)):
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
        self._set_file_options(list(message.options))

    def _set_file_options(self, listed: list[tuple[str, str]]) -> None:
        known = {value for _, value in listed}
        if self.initial_file_id and self.initial_file_id not in known:
            name = self.initial_path.name if self.initial_path else "uploaded file"
            listed.insert(0, (f"{name} · {self.initial_file_id}", self.initial_file_id))
        # The names are the service's (and the user's files'): shown as they are, never markup.
        uploaded = [(outside_line(label), file_id) for label, file_id in listed]
        train = self.query_one("#train-pick", Select)
        chosen = train.value
        train.set_options([("Local file (path below)", LOCAL), *uploaded])
        if self.initial_file_id:
            train.value = self.initial_file_id
            self.initial_file_id = None
        elif chosen in known:
            train.value = chosen
        valid = self.query_one("#valid-pick", Select)
        chosen_valid = valid.value
        valid.set_options([("None", NONE), ("Local file (path below)", LOCAL), *uploaded])
        if chosen_valid in known or chosen_valid in (NONE, LOCAL):
            valid.value = chosen_valid
        self._sync_paths()
        self._estimate_now()

    # -- live checks ---------------------------------------------------------------------------

    def _sync_paths(self) -> None:
        self.query_one("#train-path").disabled = (
            self.query_one("#train-pick", Select).value != LOCAL
        )
        self.query_one("#valid-path").disabled = (
            self.query_one("#valid-pick", Select).value != LOCAL
        )

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "model":
            self._show_deadline()
            refusal = self.catalog.refusal(str(event.value), datetime.date.today())
            if refusal is not None:  # said at once, not after an upload
                self.show_error(refusal, about="model")
            elif self.default_note is not None and event.value == self.default_pick:
                self.show_error(self.default_note, about="model")  # still the model picked
            elif self.error_about in ("create", "model"):
                self.show_error(None)  # the answer was about the model left behind
        if event.select.id == "method":
            dpo = event.value == "dpo"
            self.query_one("#beta-label").display = dpo
            self.query_one("#beta").display = dpo
        self._sync_paths()
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
            return self.typed_path("train")
        return self.local_copies.get(str(pick))

    def typed_path(self, which: str) -> Path | None:
        """The path typed for `which` (train / valid); relative to the browser's folder."""
        text = self.query_one(f"#{which}-path", Input).value.strip()
        if not text:
            return None
        path = Path(text).expanduser()
        return path if path.is_absolute() else self.tuner.start_path / path

    def model_info(self) -> ModelInfo | None:
        model = self.query_one("#model", Select).value
        return self.catalog.resolve(str(model)).info if isinstance(model, str) else None

    def _estimate_now(self) -> None:
        self._estimate_timer = None
        estimate = self.query_one("#estimate", Static)
        path = self.estimate_path()
        if path is None:
            if self.query_one("#train-pick", Select).value == LOCAL:
                estimate.update(Text("Cost: type the training file's path.", style="dim"))
            else:
                estimate.update(
                    Text(
                        "Cost: the estimate needs the local file; this one is only on the "
                        "service (open it from the dataset screen to price it).",
                        style="dim",
                    )
                )
            return
        if not path.is_file():
            estimate.update(outside(f"Cost: no such file: {short_path(path)}", "yellow"))
            return
        model = str(self.query_one("#model", Select).value)
        resolution = self.catalog.resolve(model)
        key = (path.resolve(), resolution.encoding)
        if self.report is not None and self.report_key == key:
            self._show_estimate()
            return
        estimate.update(outside(f"Cost: analysing {path.name}…", "dim"))
        self._analyse(path, model)

    @work(thread=True, exclusive=True, group="estimate", exit_on_error=False)
    @fails_as(EstimateFailed)
    def _analyse(self, path: Path, model: str) -> None:
        report = self.tuner.services.analyse(
            path, model, catalog=self.catalog, service=self.tuner.data_rules
        )
        self.post_message(EstimateReady((path.resolve(), report.encoding), report))

    @on(EstimateReady)
    def _estimate_ready(self, message: EstimateReady) -> None:
        self.report_key, self.report = message.key, message.report
        self._show_estimate()

    def _show_estimate(self) -> None:
        report = self.report
        if report is None:
            return
        text = Text("Cost: ", style="bold")
        if not report.valid:
            text.append_text(
                outside(
                    f"{report.path.name} has {report.error_count} error(s) "
                    f"({report.errors[0].located()})",
                    "red",
                )
            )
            self.query_one("#estimate", Static).update(text)
            return
        try:
            epochs = JobForm("m", epochs=self.query_one("#epochs", Input).value).hyperparameters()
            chosen = epochs.n_epochs if isinstance(epochs.n_epochs, int) else None
        except FormError:
            chosen = None
        estimate = report.reprice(self.model_info(), chosen)
        text.append(estimate.cost_text, style="bold green")
        text.append(
            f"  {plural(report.examples, 'example')}"
            f" · {format_count(estimate.billed_tokens)} tokens/epoch"
            f" · {plural(estimate.epochs, 'epoch')}{' (auto)' if chosen is None else ''}"
            f" · {format_count(estimate.trained_tokens)} trained"
        )
        if not report.exact_tokens:
            text.append(f" · {report.token_note or 'approximate'}", style="yellow")
        self.query_one("#estimate", Static).update(text)

    # -- creating ------------------------------------------------------------------------------

    def form(self) -> JobForm:
        def value(widget_id: str) -> str:
            return self.query_one(f"#{widget_id}", Input).value

        method = str(self.query_one("#method", Select).value)
        adaptation = self.query_one("#adaptation", Select)
        absolute = self.absolute_learning_rate
        return JobForm(
            model=str(self.query_one("#model", Select).value),
            method="dpo" if method == "dpo" else "supervised",
            suffix=value("suffix"),
            epochs=value("epochs"),
            batch_size=value("batch"),
            learning_rate_multiplier="" if absolute else value("lr"),
            learning_rate=value("lr") if absolute else "",
            beta=value("beta"),
            seed=value("seed"),
            adaptation=str(adaptation.value) if self.lora_choice else "",
        )

    def _file_choice(self, which: str) -> tuple[str | None, Path | None]:
        """(file id, None) for an uploaded file, (None, path) for a local one, (None, None)."""
        pick = self.query_one(f"#{which}-pick", Select).value
        if pick == LOCAL:
            return None, self.typed_path(which)
        if pick == NONE or pick is Select.NULL:
            return None, None
        return str(pick), None

    def action_create(self) -> None:
        if self.creating:
            return
        try:
            form = self.form()
            form.check()
            train_id, train_path = self._file_choice("train")
            valid_id, valid_path = self._file_choice("valid")
            if train_id is None and train_path is None:
                raise FormError("training", "Pick an uploaded training file or type a local path")
            for path in (train_path, valid_path):
                if path is not None and not path.is_file():
                    raise FormError("file", f"No such file: {short_path(path)}")
            refusal = self.catalog.refusal(form.model, datetime.date.today())
            if refusal is not None:
                raise FormError("model", refusal)
        except ServiceError as exc:
            self.show_error(exc.message, about=getattr(exc, "field", None))
            return
        self.show_error(None)
        self.creating = True
        self.query_one("#create", Button).disabled = True
        self._create(form, train_id, train_path, valid_id, valid_path)

    @work(exclusive=True, group="create", exit_on_error=False)
    @fails_as(CreateFailed)
    async def _create(
        self,
        form: JobForm,
        train_id: str | None,
        train_path: Path | None,
        valid_id: str | None,
        valid_path: Path | None,
    ) -> None:
        self.reused = []
        from tuner.api.jobs import check_model_known

        service = await self.tuner.session.opened()
        await check_model_known(service, form.model, self.catalog)  # before any upload
        if train_path is not None:
            train_id = await self._check_and_upload(train_path, form.model)
        if valid_path is not None:
            valid_id = await self._check_and_upload(valid_path, form.model)
        assert train_id is not None
        spec = form.to_spec(train_id, valid_id)
        if service.capabilities.price_estimate:
            self.post_message(self.Stage(f"Asking {service.capabilities.service} for its price…"))
        quote = await service_quote(service, spec)  # a refusal is a ServiceError, shown here
        self.post_message(self.Stage("Creating the job…"))
        job = await service.create_job(spec)
        said = f"{service.capabilities.service}'s estimate ${quote.dollars:,.2f}" if quote else ""
        self.post_message(JobCreated(job.id, said, tuple(self.reused)))

    async def _check_and_upload(self, path: Path, model: str) -> str:
        import asyncio

        from tuner.api.checked_upload import upload_checked

        done = self.uploaded.get(path.resolve())
        if done is not None:
            self.post_message(self.Stage(f"Using {path.name}, uploaded before as {done}…"))
            return done
        self.post_message(self.Stage(f"Checking {path.name}…"))
        report = self.report
        if report is None or report.path.resolve() != path.resolve():
            analyse = partial(
                self.tuner.services.analyse,
                catalog=self.catalog,
                service=self.tuner.data_rules,
            )
            report = await asyncio.to_thread(analyse, path, model)
        self.post_message(self.Stage(f"Uploading {path.name}…"))
        uploaded = await upload_checked(
            await self.tuner.session.opened(),
            path,
            report=report,
            progress=lambda sent, total: self.post_message(
                self.UploadProgress(path.name, sent, total)
            ),
        )
        if uploaded.reused:  # said with the job's creation: the one notice the user sees
            self.reused.append(uploaded.describe(Path(path.name)))
        self.uploaded[path.resolve()] = uploaded.id
        return uploaded.id

    @on(Stage)
    def _stage(self, message: Stage) -> None:
        self.query_one("#form-error", Static).update(outside(message.text, "bold"))

    @on(UploadProgress)
    def _progress(self, message: UploadProgress) -> None:
        bar = self.query_one("#upload", ProgressBar)
        bar.display = True
        bar.update(total=max(1, message.total), progress=message.sent)

    # -- failures: each lands where the user is looking for that answer --------------------

    def on_files_not_listed(self, failed: FilesNotListed) -> None:
        self.notify(f"Could not {failed.doing}: {failed.reason}", severity="warning")

    def on_estimate_failed(self, failed: EstimateFailed) -> None:
        self.query_one("#estimate", Static).update(
            outside(f"Cost: could not {failed.doing}: {failed.reason}", "yellow")
        )

    def on_create_failed(self, failed: CreateFailed) -> None:
        self.creating = False
        self.query_one("#create", Button).disabled = False
        self.query_one("#upload").display = False
        message = failed.reason
        if self.uploaded:
            kept = ", ".join(f"{path.name} as {fid}" for path, fid in self.uploaded.items())
            message += f" (uploaded {kept}: a retry uses it)"
        self.show_error(message, about="create")

    @on(JobCreated)
    def _created(self, message: JobCreated) -> None:
        self.creating = False
        price = f" ({message.service_estimate})" if message.service_estimate else ""
        reused = "".join(f"; {said}" for said in message.reused)
        self.notify(visible_line(f"Created job {message.job_id}{price}{reused}"), markup=False)
        self.tuner.open_job(message.job_id, just_created=True)

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
        typed = [
            widget_id
            for widget_id in ("train-path", "valid-path", "suffix", "epochs", "batch", "lr", "seed")
            if self.query_one(f"#{widget_id}", Input).value.strip()
            != self._initial_values.get(widget_id, "")
        ]
        return ["the values typed in the new-job form"] if typed else []
