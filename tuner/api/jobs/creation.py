"""One way to start a fine-tuning job: check, refuse a retired base, analyse, upload or reuse,
quote, create. `tuner jobs create`, the new-job form and `tuner migrate` all run it.

Each caller only asks and shows in its own way (flags and stderr lines, form fields and a
progress bar, a move's progress lines); what happens, and in what order, is decided here once:

1. `check_request` (no request sent): the spec's shape (`check_spec`), a base model the catalog
   knows is retired (`BaseRetired`), local files that are not there (`MissingFile`).
2. `JobCreation.check`: a model neither tuner nor the service knows (`check_model_known`), and
   OpenAI's closing date said as a `note` step where it applies (`tuner.api.deadlines`).
3. `JobCreation.upload_files`: each local file analysed by the service's rules (or an analysis
   the caller made already, `JobRequest.reports`), then uploaded, or the identical file an
   earlier upload left on the service reused (`upload_checked`: the upload record).
4. `JobCreation.quote`: the service's own price where it has one (`QuoteRefused` when it would
   not start the job; the files stay uploaded, `JobCreation.uploads` names them).
5. `JobCreation.create`: the job.

`JobCreation.run` does all five. Progress is one typed callback (`CreationStep`), always called
on the event loop that runs the flow, even for what a thread reports (an analysis, an upload).
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from tuner.api.errors import ErrorKind
from tuner.api.jobs.form import FormError
from tuner.api.jobs.quote import service_quote
from tuner.api.jobs.spec import JobSpec, check_spec
from tuner.api.model_checks import check_model_known

if TYPE_CHECKING:
    from tuner.api.files.checked_upload import CheckedUpload
    from tuner.api.service import FineTuningService
    from tuner.api.types import Job, PriceEstimate, Progress
    from tuner.data.analysis.report import AnalysisReport
    from tuner.data.catalog.lookup import Catalog

# A file for the job: an id the service holds (`str`), or a local file to upload (`Path`).
FileChoice = str | Path

Stage = Literal["note", "analyse", "upload", "uploaded", "quote", "create"]


@dataclass(frozen=True)
class JobRequest:
    """What a caller asks for. `spec` is the job; its file fields are replaced by the ids of
    `training` and `validation` once they are on the service."""

    spec: JobSpec
    training: FileChoice
    validation: FileChoice | None = None
    catalog: Catalog | None = None  # the profile's, with the user's overrides; None: built-in
    force: bool = False  # upload a local file despite errors
    reuse: bool = True  # use an identical file uploaded before (False: `--force-upload`)
    today: date | None = None
    # Analyses already made, by resolved path (the form's estimate, a move's check).
    reports: Mapping[Path, AnalysisReport] = field(default_factory=dict)

    def local_files(self) -> list[Path]:
        return [f for f in (self.training, self.validation) if isinstance(f, Path)]


@dataclass(frozen=True, slots=True)
class CreationStep:
    """Where the flow is. `note`: a line to tell before anything is sent (OpenAI's closing);
    `analyse` / `upload`: `path`, with bytes `done` of `total` as it goes (None: starting);
    `uploaded`: `path` is on the service as `upload` (just now, or reused); `quote`: asking
    the service for its price; `create`: creating the job."""

    stage: Stage
    path: Path | None = None
    done: int | None = None
    total: int | None = None
    upload: CheckedUpload | None = None
    note: str = ""


OnStep = Callable[[CreationStep], None]


class FileAnalyser(Protocol):
    """Checks, counts and prices `path` for `model` (`analyse_file`'s shape); runs in a thread;
    `progress(done, total)` as it reads. Raises `OSError` for a file it cannot read."""

    def __call__(
        self, path: Path, model: str, *, progress: Progress | None = None
    ) -> AnalysisReport: ...


class BaseRetired(FormError):
    """The catalog knows the base model (or a fine-tune's base) is retired: no job can start."""

    def __init__(self, message: str) -> None:
        super().__init__("model", message)
        self.kind = ErrorKind.MODEL_UNAVAILABLE


class MissingFile(FormError):
    """A local file asked for is not there; `path` is it, as given."""

    def __init__(self, path: Path) -> None:
        from tuner.data.fit_text import short_path

        super().__init__("file", f"No such file: {short_path(path)}")
        self.path = path


class UnreadableFile(FormError):
    """A local file that cannot be read (a folder, no permission): `reason` says why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__("file", f"{path}: cannot read: {reason}")
        self.path = path


@dataclass(frozen=True)
class CreatedJob:
    """The job, the service's own price (None where it gives none), tuner's analysis of the
    local training file (None for a file id) and the local files now on the service."""

    job: Job
    quote: PriceEstimate | None
    training_report: AnalysisReport | None
    uploads: tuple[tuple[Path, CheckedUpload], ...]

    @property
    def reused(self) -> list[tuple[Path, CheckedUpload]]:
        return [(path, upload) for path, upload in self.uploads if upload.reused]


def check_request(request: JobRequest) -> None:
    """Refuse, before anything is sent, what cannot become a job: a spec the service would
    refuse for its shape, a retired base model (`BaseRetired`), a local file that is not there
    (`MissingFile`). Cheap enough to call on a screen's event loop."""
    check_spec(dataclasses.replace(request.spec, training_file="pending"))
    catalog = request.catalog
    if catalog is not None:
        refusal = catalog.refusal(request.spec.model, request.today or date.today())
        if refusal is not None:
            raise BaseRetired(refusal)
    for path in request.local_files():
        if not path.exists() and not path.is_symlink():
            raise MissingFile(path)


class JobCreation:
    """One run of the flow for `request` on `service` (see the module docstring). `uploads`
    holds the local files on the service so far, also after a failure: what a retry reuses and
    what a refusal says stays uploaded."""

    def __init__(
        self,
        service: FineTuningService,
        request: JobRequest,
        *,
        on_step: OnStep | None = None,
        analyser: FileAnalyser | None = None,
    ) -> None:
        self.service = service
        self.request = request
        self.on_step = on_step
        self.analyser = analyser or self._analyse
        self.uploads: list[tuple[Path, CheckedUpload]] = []
        self.reports: dict[Path, AnalysisReport] = dict(request.reports)

    @property
    def catalog(self) -> Catalog:
        from tuner.data.catalog.choice import default_catalog

        return self.request.catalog or default_catalog(self.service.capabilities.kind)

    async def run(self) -> CreatedJob:
        """Every step, in order; raises what the first failing step raises."""
        await self.check()
        training, validation = await self.upload_files()
        spec = self.spec_for(training, validation)
        quote = await self.quote(spec)
        job = await self.create(spec)
        train = self.request.training
        report = self.reports.get(train.resolve()) if isinstance(train, Path) else None
        return CreatedJob(job, quote, report, tuple(self.uploads))

    async def check(self) -> None:
        """`check_request`, then whether the service knows the model (a typo must not cost an
        upload), then OpenAI's closing as a `note` where it applies."""
        from tuner.api.deadlines import closes_for, jobs_closing_note

        check_request(dataclasses.replace(self.request, catalog=self.catalog))
        model = self.request.spec.model
        await check_model_known(self.service, model, self.catalog)
        if closes_for(self.service.capabilities.facts, model):
            today = self.request.today or date.today()
            self._step(CreationStep("note", note=jobs_closing_note(today)))

    async def upload_files(self) -> tuple[str, str | None]:
        """The service's ids of the training and validation files: ids as given, local files
        analysed and uploaded (or reused). Raises `FileRefused` for a file with errors unless
        the request forces it, `UnreadableFile`, and the service's `ServiceError`."""
        training = await self._file_id(self.request.training)
        validation = self.request.validation
        return training, None if validation is None else await self._file_id(validation)

    def spec_for(self, training: str, validation: str | None) -> JobSpec:
        return dataclasses.replace(
            self.request.spec, training_file=training, validation_file=validation
        )

    async def quote(self, spec: JobSpec) -> PriceEstimate | None:
        """The service's own price (None where it has none); `QuoteRefused` when it will not
        start the job."""
        if self.service.capabilities.price_estimate:
            self._step(CreationStep("quote"))
        return await service_quote(self.service, spec)

    async def create(self, spec: JobSpec) -> Job:
        self._step(CreationStep("create"))
        return await self.service.create_job(spec)

    # -- the files ----------------------------------------------------------------------------

    async def _file_id(self, choice: FileChoice) -> str:
        from tuner.api.files.checked_upload import upload_checked

        if isinstance(choice, str):
            return choice
        path = choice
        report = await self.analysed(path)
        try:
            size = path.stat().st_size
            self._step(CreationStep("upload", path, 0, size))
            uploaded = await upload_checked(
                self.service,
                path,
                force=self.request.force,
                progress=self._forwarded("upload", path),
                report=report,
                reuse=self.request.reuse,
            )
        except OSError as exc:
            raise UnreadableFile(path, _reason(exc)) from None
        self.uploads.append((path, uploaded))
        self._step(CreationStep("uploaded", path, size, size, upload=uploaded))
        return uploaded.id

    async def analysed(self, path: Path) -> AnalysisReport:
        """tuner's analysis of `path` (made once: a report the caller gave is used)."""
        key = path.resolve()
        report = self.reports.get(key)
        if report is not None:
            return report
        if not path.exists() and not path.is_symlink():
            raise MissingFile(path)
        self._step(CreationStep("analyse", path))
        progress = self._forwarded("analyse", path)
        try:
            analyse = partial(self.analyser, progress=progress)
            report = await asyncio.to_thread(analyse, path, self.request.spec.model)
        except OSError as exc:  # a folder, a link loop, a FIFO, no permission
            raise UnreadableFile(path, _reason(exc)) from None
        self.reports[key] = report
        return report

    def _analyse(
        self, path: Path, model: str, *, progress: Progress | None = None
    ) -> AnalysisReport:
        from tuner.data.analysis.analyse import analyse_file

        epochs = self.request.spec.hyperparameters.n_epochs
        return analyse_file(
            path,
            model,
            catalog=self.catalog,
            epochs=epochs if isinstance(epochs, int) else None,
            service=self.service.capabilities.rules,
            progress=progress,
        )

    # -- steps ----------------------------------------------------------------------------------

    def _step(self, step: CreationStep) -> None:
        if self.on_step is not None:
            self.on_step(step)

    def _forwarded(self, stage: Stage, path: Path) -> Progress:
        return on_the_loop(lambda done, total: self._step(CreationStep(stage, path, done, total)))


def on_the_loop(progress: Progress) -> Progress:
    """`progress(done, total)` made safe to call from a thread (an analysis, an upload): it is
    called on the event loop running now, the one the caller's steps must be told on."""
    loop = asyncio.get_running_loop()
    home = threading.get_ident()

    def forward(done: int, total: int) -> None:
        if threading.get_ident() == home:
            progress(done, total)
        else:
            loop.call_soon_threadsafe(progress, done, total)

    return forward


def _reason(exc: OSError) -> str:
    return exc.strerror.lower() if exc.strerror else str(exc)
