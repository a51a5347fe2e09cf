"""Together AI's fine-tuning API behind tuner's service seam, through the official `together` SDK.

`TogetherService` owns one `AsyncTogether` client and implements
`tuner.api.service.FineTuningService` with it. Every answer is translated into tuner's types
(`convert`, `events`, `models`), every failure into `ServiceError` (`errors`), so nothing above
`tuner.api` sees the SDK. The SDK is imported only when a service is connected
(`client.make_client`): importing this package does not import `together`.

The profile's `base_url` may name Together's API with or without `/v1`:
`https://api.together.xyz/v1` (as Together's documentation and OpenAI-style clients write it) and
`https://api.together.ai` (the SDK's own default) both work. The SDK wants the host alone and adds
`/v1/...` to every path itself, so one trailing `/v1` is taken off (`client.sdk_base_url`). For
the emulator, `emu.together_base_url` works with or without `/v1` too.

Where Together differs from OpenAI's shape, and what tuner makes of it:
- jobs are listed whole, newest first: `list_jobs` pages over that list itself;
- events come whole, oldest first and without ids: `events` gives them stable ids and pages
  them newest first, as the follower needs;
- no pause / resume, no metadata, no learning-rate multiplier (an absolute learning rate
  instead), a 40-character suffix: refused in plain words before anything is sent (`specs`);
- losses come from `/metrics`, not from events (`job_metrics`);
- the service prices a job before it starts (`estimate_price`) and publishes per-model limits
  (`model_limits`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuner.api.chat.models import ChatModel
from tuner.api.chat.request import ChatDelta, ChatDone, ChatRequest, Embeddings
from tuner.api.errors import ErrorKind, ServiceError, body_message, one_line
from tuner.api.files.download import save_file_content
from tuner.api.ids import checked_id
from tuner.api.jobs.metrics import MetricPoint
from tuner.api.jobs.spec import JobSpec, check_spec
from tuner.api.providers.together import chat, convert, events, models, specs, uploads
from tuner.api.providers.together.client import make_client, without_retries
from tuner.api.providers.together.errors import service_errors
from tuner.api.types import (
    Capabilities,
    Checkpoint,
    EventPage,
    Job,
    JobPage,
    JobStatus,
    ModelLimits,
    PriceEstimate,
    Progress,
    RemoteFile,
)
from tuner.config.service_facts import TOGETHER_FACTS

if TYPE_CHECKING:
    from together import AsyncTogether

    from tuner.config import Connection

CAPABILITIES = Capabilities(
    TOGETHER_FACTS.name,
    pause_resume=False,
    checkpoints=True,
    dpo=True,
    price_estimate=True,
    uploads_in_parts=False,
    result_metrics=True,
    models_need_deployment=TOGETHER_FACTS.models_need_deployment,
    lora_choice=True,
    absolute_learning_rate=TOGETHER_FACTS.absolute_learning_rate,
    loss_in_events=False,
    rules=TOGETHER_FACTS.rules,
    kind=TOGETHER_FACTS.kind,
    embedding_model="BAAI/bge-base-en-v1.5",
)


class TogetherService:
    """A connected Together AI account. Build with `connect`; close with `close`."""

    def __init__(self, client: AsyncTogether, where: str) -> None:
        self._client = client
        self._where = where
        # How many bytes each upload block holds (progress is reported per block), and the
        # largest file sent in one piece; tests shrink them.
        self.upload_chunk_size = uploads.CHUNK_SIZE
        self.single_upload_limit = uploads.single_upload_limit()

    @classmethod
    def connect(
        cls,
        connection: Connection,
        *,
        max_retries: int | None = None,
        timeout: float | None = None,
    ) -> TogetherService:
        """Raises `ServiceError(no_key)` when the connection carries no key."""
        client = make_client(connection, max_retries=max_retries, timeout=timeout)
        return cls(client, connection.where.rstrip("/"))

    @property
    def capabilities(self) -> Capabilities:
        return CAPABILITIES

    @property
    def where(self) -> str:
        return self._where

    def without_retries(self) -> TogetherService:
        quiet = TogetherService(without_retries(self._client), self._where)
        quiet.upload_chunk_size = self.upload_chunk_size
        quiet.single_upload_limit = self.single_upload_limit
        return quiet

    async def close(self) -> None:
        await self._client.close()

    # -- files -------------------------------------------------------------------------

    async def upload_file(self, path: Path, progress: Progress | None = None) -> RemoteFile:
        stored = await uploads.upload_file(
            self._client,
            path,
            progress,
            where=self._where,
            chunk_size=self.upload_chunk_size,
            limit=self.single_upload_limit,
        )
        return convert.file_from_sdk(stored)

    async def retrieve_file(self, file_id: str) -> RemoteFile:
        with service_errors(self._where):
            return convert.file_from_sdk(await self._client.files.retrieve(file_id))

    async def list_files(self) -> list[RemoteFile]:
        """Training files only (Together keeps evaluation files and batch output there too)."""
        with service_errors(self._where):
            listed = await self._client.files.list()
        files = [
            convert.file_from_sdk(item)
            for item in listed.data or []
            if convert.field(item, "purpose") == "fine-tune"
        ]
        return sorted(files, key=lambda f: f.created_at or 0, reverse=True)

    async def file_content(self, file_id: str) -> bytes:
        checked_id(file_id, "file")
        with service_errors(self._where):
            response = await self._client.files.content(file_id)
            return await response.read()

    async def save_file(self, file_id: str, dest: Path, progress: Progress | None = None) -> int:
        checked_id(file_id, "file")
        with service_errors(self._where):
            return await save_file_content(self._client, file_id, dest, progress)

    async def delete_file(self, file_id: str) -> None:
        checked_id(file_id, "file")
        with service_errors(self._where):
            await self._client.files.delete(file_id)

    # -- jobs --------------------------------------------------------------------------

    async def create_job(self, spec: JobSpec) -> Job:
        check_spec(spec)
        kwargs = specs.create_kwargs(spec)
        limits = await self._limits(spec.model)
        with service_errors(self._where, model=spec.model):
            try:
                job = await self._client.fine_tuning.create(**kwargs, model_limits=limits)
            except ValueError as exc:
                # The SDK's own check against the model's limits (batch size, full training).
                raise ServiceError(
                    ErrorKind.INVALID_REQUEST, f"Invalid job: {one_line(str(exc))}"
                ) from None
        return convert.job_from_sdk(job)

    async def _all_jobs(self) -> list[Job]:
        """Every job, newest first (Together lists them all in one answer)."""
        with service_errors(self._where):
            listed = await self._client.fine_tuning.list()
        found = [convert.job_from_sdk(item) for item in listed.data or []]
        return sorted(found, key=lambda job: job.created_at, reverse=True)

    async def list_jobs(self, after: str | None = None, limit: int = 20) -> JobPage:
        """tuner's paging over Together's whole list: `after` is the last job id seen."""
        jobs = await self._all_jobs()
        start = 0
        if after is not None:
            ids = [job.id for job in jobs]
            if after not in ids:
                raise ServiceError(
                    ErrorKind.NOT_FOUND,
                    f"Job {after} is no longer listed by Together: list the jobs again",
                )
            start = ids.index(after) + 1
        page = jobs[start : start + max(1, limit)]
        return JobPage(tuple(page), has_more=start + len(page) < len(jobs))

    async def retrieve_job(self, job_id: str) -> Job:
        checked_id(job_id, "job")
        with service_errors(self._where):
            return convert.job_from_sdk(await self._client.fine_tuning.retrieve(job_id))

    async def cancel_job(self, job_id: str) -> Job:
        checked_id(job_id, "job")
        with service_errors(self._where):
            return convert.job_from_sdk(await self._client.fine_tuning.cancel(job_id))

    async def pause_job(self, job_id: str) -> Job:
        raise ServiceError(ErrorKind.INVALID_REQUEST, CAPABILITIES.missing("pause_resume") or "")

    async def resume_job(self, job_id: str) -> Job:
        raise ServiceError(ErrorKind.INVALID_REQUEST, CAPABILITIES.missing("pause_resume") or "")

    async def list_events(
        self, job_id: str, after: str | None = None, limit: int = 50
    ) -> EventPage:
        checked_id(job_id, "job")
        if after is not None:
            events.index_of(job_id, after)  # a bad cursor is refused before a request
        with service_errors(self._where):
            listed = await self._client.fine_tuning.list_events(job_id)
        return events.events_page(job_id, listed.data or [], after, limit)

    async def list_checkpoints(self, job_id: str) -> list[Checkpoint]:
        checked_id(job_id, "job")
        with service_errors(self._where):
            listed = await self._client.fine_tuning.list_checkpoints(job_id)
        return convert.checkpoints_from_sdk(job_id, listed.data or [])

    async def job_metrics(self, job: Job) -> list[MetricPoint]:
        """Train and validation loss by step, from `/metrics`: served while the job runs too.
        The last step is the total once the job succeeded."""
        checked_id(job.id, "job")
        with service_errors(self._where):
            listed = await self._client.fine_tuning.list_metrics(job.id)
        rows = listed.metrics or []
        points = convert.metric_points(rows, None)
        if points and job.status is JobStatus.SUCCEEDED:
            points = convert.metric_points(rows, points[-1].step)
        return points

    async def estimate_price(self, spec: JobSpec) -> PriceEstimate | None:
        """Together's price for `spec`, asked exactly as the SDK's own `create` asks it.

        None when Together cannot price it (a multimodal dataset, a file still being checked);
        `ServiceError(invalid_request)` when it cannot because a file is invalid."""
        check_spec(spec)
        kwargs = specs.create_kwargs(spec)
        limits = await self._limits(spec.model)
        from together.lib.resources.fine_tuning import create_finetune_request

        try:
            request, training_type, training_method = create_finetune_request(limits, **kwargs)
        except ValueError as exc:
            raise ServiceError(
                ErrorKind.INVALID_REQUEST, f"Invalid job: {one_line(str(exc))}"
            ) from None
        price_kwargs: dict[str, Any] = {
            "training_file": spec.training_file,
            "model": spec.model,
            "n_epochs": request.n_epochs,
            "n_evals": request.n_evals or 0,
            "training_method": training_method,
        }
        if spec.validation_file:
            price_kwargs["validation_file"] = spec.validation_file
        if training_type is not None:
            price_kwargs["training_type"] = training_type
        with service_errors(self._where, model=spec.model):
            estimate = await self._client.fine_tuning.estimate_price(**price_kwargs)
        if convert.field(estimate, "estimation_available") is False:
            reason = str(convert.field(estimate, "unavailable_reason", ""))
            if reason.endswith("_invalid"):
                which = "validation" if reason.startswith("eval") else "training"
                raise ServiceError(
                    ErrorKind.INVALID_REQUEST,
                    f"Together cannot price this job: it found the {which} file invalid",
                )
            return None
        return convert.price_from_sdk(estimate)

    async def _limits(self, model: str) -> Any:
        """The SDK's `FinetuneModelLimits` for `model`; a model Together does not fine-tune is
        `ServiceError(model_unavailable)` (Together answers 404 for it)."""
        import together

        with service_errors(self._where, model=model):
            try:
                return await self._client.fine_tuning.model_limits(model_name=model)
            except together.APIStatusError as exc:
                if exc.status_code != 404:
                    raise
                said = (body_message(exc.body) or "").strip().rstrip(".")
                detail = f" ({one_line(said)})" if said else ""
                raise ServiceError(
                    ErrorKind.MODEL_UNAVAILABLE,
                    f"Together does not fine-tune {model}{detail}. Pick a model from its list "
                    "of fine-tunable models.",
                    status=404,
                ) from None

    async def model_limits(self, model: str) -> ModelLimits | None:
        return convert.limits_from_sdk(await self._limits(model), model)

    # -- models and chat ---------------------------------------------------------------

    async def list_models(self) -> list[ChatModel]:
        jobs = await self._all_jobs()
        with service_errors(self._where):
            listed = await self._client.get("/v1/models", cast_to=object)
        return models.chat_models(jobs, listed)

    async def shutdown_dates(self) -> dict[str, date]:
        """Together's model list announces no shutdown days: the catalog's are all there is."""
        return {}

    def stream_chat(self, request: ChatRequest) -> AsyncIterator[ChatDelta | ChatDone]:
        return chat.stream_chat(self._client, request, self._where)

    async def complete_chat(self, request: ChatRequest) -> ChatDone:
        return await chat.complete_chat(self._client, request, self._where)

    async def embed(self, model: str, texts: Sequence[str]) -> Embeddings:
        """Together's `/v1/embeddings` (OpenAI's shape without a usage count)."""
        with service_errors(self._where, model=model):
            answer = await self._client.embeddings.create(model=model, input=list(texts))
        ordered = sorted(answer.data, key=lambda item: item.index)
        return Embeddings(tuple(tuple(item.embedding) for item in ordered))
