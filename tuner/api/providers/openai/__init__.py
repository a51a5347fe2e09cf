"""The OpenAI fine-tuning API behind tuner's service seam: OpenAI, Azure OpenAI, compatible hosts.

`OpenAIService` owns one `AsyncOpenAI` (or `AsyncAzureOpenAI`) client and implements
`tuner.api.service.FineTuningService` with it. Every answer is translated into tuner's types
(`convert`), every failure into `ServiceError` (`errors`), so nothing above `tuner.api` sees the
SDK. The SDK itself is imported only when a service is connected (`client.make_client`).
"""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tuner.api.chat.models import ChatModel, listed_day, model_kind
from tuner.api.chat.request import (
    ChatDelta,
    ChatDone,
    ChatRequest,
    Embeddings,
    done_from_completion,
    read_chat_stream,
)
from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.files.download import save_file_content
from tuner.api.ids import checked_id
from tuner.api.jobs.metrics import MetricPoint, parse_result_csv
from tuner.api.jobs.spec import JobSpec, check_spec
from tuner.api.providers.openai.client import make_client, without_retries
from tuner.api.providers.openai.convert import (
    checkpoint_from_sdk,
    event_from_sdk,
    file_from_sdk,
    job_from_sdk,
)
from tuner.api.providers.openai.errors import service_errors
from tuner.api.providers.openai.uploads import PART_SIZE, SINGLE_REQUEST_LIMIT, upload_file
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
from tuner.config.urls import shown_url

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from tuner.config import Connection

OPENAI_HOST = "api.openai.com"
# The cheapest current embeddings model (on Azure: the name of a deployment of it).
OPENAI_EMBEDDING_MODEL = "text-embedding-3-small"


def capabilities_for(connection: Connection) -> Capabilities:
    """What the connection's service offers. OpenAI and Azure OpenAI document all of this; a
    compatible host is assumed to follow OpenAI's API until it refuses something."""
    facts = connection.facts
    host = urlsplit(connection.base_url or "").hostname or OPENAI_HOST
    if connection.kind == "azure":
        name = facts.name
    else:
        name = "OpenAI" if host == OPENAI_HOST else f"the service at {host}"
    return Capabilities(
        name,
        pause_resume=True,
        checkpoints=True,
        dpo=True,
        uploads_in_parts=True,
        result_metrics=True,
        models_need_deployment=facts.models_need_deployment,
        absolute_learning_rate=facts.absolute_learning_rate,
        rules=facts.rules,
        kind=facts.kind,
        embedding_model=OPENAI_EMBEDDING_MODEL,
    )


def request_body(spec: JobSpec) -> dict[str, Any]:
    """The `fine_tuning.jobs.create` body for `spec` (Nones left out, the method block set)."""
    params: dict[str, Any] = {"model": spec.model, "training_file": spec.training_file}
    optional = {
        "validation_file": spec.validation_file,
        "suffix": spec.suffix,
        "seed": spec.seed,
        "metadata": dict(spec.metadata) if spec.metadata else None,
    }
    params.update({key: value for key, value in optional.items() if value is not None})
    method: dict[str, Any] = {"type": spec.method}
    hyper = spec.hyperparameters.as_params(spec.method)
    if hyper:
        method[spec.method] = {"hyperparameters": hyper}
    params["method"] = method
    return params


class OpenAIService:
    """A connected OpenAI-API service. Build with `connect`; close with `close`."""

    def __init__(
        self,
        client: AsyncOpenAI,
        capabilities: Capabilities,
        where: str,
        *,
        model_in_path: bool = False,
    ) -> None:
        self._client = client
        self._capabilities = capabilities
        self._where = where
        # Azure's classic API puts the model (a deployment) into the path: checked like an id.
        self._model_in_path = model_in_path
        # The sizes that choose the upload route; tests shrink them to take the parts route
        # with a small file.
        self.single_request_limit = SINGLE_REQUEST_LIMIT
        self.part_size = PART_SIZE

    @classmethod
    def connect(cls, connection: Connection) -> OpenAIService:
        """Raises `ServiceError(no_key)` when the connection carries no key."""
        client = make_client(connection)
        where = shown_url(str(client.base_url).rstrip("/"))
        classic_azure = connection.kind == "azure" and not connection.azure_v1
        return cls(client, capabilities_for(connection), where, model_in_path=classic_azure)

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    @property
    def where(self) -> str:
        return self._where

    def without_retries(self) -> OpenAIService:
        quiet = OpenAIService(
            without_retries(self._client),
            self._capabilities,
            self._where,
            model_in_path=self._model_in_path,
        )
        quiet.single_request_limit, quiet.part_size = self.single_request_limit, self.part_size
        return quiet

    async def close(self) -> None:
        await self._client.close()

    # -- files -------------------------------------------------------------------------

    async def upload_file(self, path: Path, progress: Progress | None = None) -> RemoteFile:
        uploaded = await upload_file(
            self._client,
            path,
            progress=progress,
            single_request_limit=self.single_request_limit,
            part_size=self.part_size,
        )
        return file_from_sdk(uploaded)

    async def list_files(self) -> list[RemoteFile]:
        with service_errors(self._where):
            files = [item async for item in self._client.files.list(purpose="fine-tune")]
        return [file_from_sdk(item) for item in files]

    async def retrieve_file(self, file_id: str) -> RemoteFile:
        with service_errors(self._where):
            return file_from_sdk(await self._client.files.retrieve(file_id))

    async def file_content(self, file_id: str) -> bytes:
        checked_id(file_id, "file")
        with service_errors(self._where):
            response = await self._client.files.content(file_id)
            return response.content

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
        refused = self._unsupported(spec)
        if refused:
            raise ServiceError(ErrorKind.INVALID_REQUEST, f"Invalid job: {refused}")
        with service_errors(self._where, model=spec.model):
            job = await self._client.fine_tuning.jobs.create(**request_body(spec))
        return job_from_sdk(job)

    async def list_jobs(self, after: str | None = None, limit: int = 20) -> JobPage:
        kwargs: dict[str, Any] = {"limit": limit}
        if after:
            kwargs["after"] = after
        with service_errors(self._where):
            page = await self._client.fine_tuning.jobs.list(**kwargs)
        return JobPage(tuple(job_from_sdk(job) for job in page.data), bool(page.has_more))

    async def retrieve_job(self, job_id: str) -> Job:
        checked_id(job_id, "job")
        with service_errors(self._where):
            return job_from_sdk(await self._client.fine_tuning.jobs.retrieve(job_id))

    async def cancel_job(self, job_id: str) -> Job:
        checked_id(job_id, "job")
        with service_errors(self._where):
            return job_from_sdk(await self._client.fine_tuning.jobs.cancel(job_id))

    async def pause_job(self, job_id: str) -> Job:
        checked_id(job_id, "job")
        with service_errors(self._where):
            return job_from_sdk(await self._client.fine_tuning.jobs.pause(job_id))

    async def resume_job(self, job_id: str) -> Job:
        checked_id(job_id, "job")
        with service_errors(self._where):
            return job_from_sdk(await self._client.fine_tuning.jobs.resume(job_id))

    async def list_events(
        self, job_id: str, after: str | None = None, limit: int = 50
    ) -> EventPage:
        checked_id(job_id, "job")
        kwargs: dict[str, Any] = {"limit": limit}
        if after is not None:
            kwargs["after"] = after
        with service_errors(self._where):
            page = await self._client.fine_tuning.jobs.list_events(job_id, **kwargs)
        return EventPage(tuple(event_from_sdk(e) for e in page.data), bool(page.has_more))

    async def list_checkpoints(self, job_id: str) -> list[Checkpoint]:
        checked_id(job_id, "job")
        with service_errors(self._where):
            found = [c async for c in self._client.fine_tuning.jobs.checkpoints.list(job_id)]
        return [checkpoint_from_sdk(c) for c in found]

    async def job_metrics(self, job: Job) -> list[MetricPoint]:
        """The result file's per-step record; [] until the job succeeded with one."""
        if job.status is not JobStatus.SUCCEEDED or not job.result_files:
            return []
        raw = await self.file_content(job.result_files[0])
        try:
            return parse_result_csv(raw.decode("utf-8", errors="replace"))
        except csv.Error as exc:
            raise ServiceError(
                ErrorKind.UNKNOWN, f"The result file is not a readable CSV: {exc}"
            ) from None

    async def estimate_price(self, spec: JobSpec) -> PriceEstimate | None:
        """OpenAI prices no job before it starts: tuner's catalog estimate is the figure."""
        return None

    async def model_limits(self, model: str) -> ModelLimits | None:
        """OpenAI publishes limits in its docs, not per model over the API (see the catalog)."""
        return None

    def _unsupported(self, spec: JobSpec) -> str | None:
        """What `spec` asks that this API has no field for: better refused than dropped."""
        if spec.lora is not None:
            return f"{self._capabilities.missing('lora_choice')} Leave LoRA unset here."
        if spec.hyperparameters.learning_rate is not None:
            return (
                f"{self._capabilities.service} takes a learning-rate multiplier "
                "(learning_rate_multiplier), not an absolute learning rate."
            )
        return None

    # -- models and chat ---------------------------------------------------------------

    async def list_models(self) -> list[ChatModel]:
        """Fine-tuned models (newest first), then base models (by name).

        Fine-tuned models come from `/models` and from the recent succeeded jobs (a service
        such as Azure may not list them as models); base models are the rest of `/models`.
        """
        with service_errors(self._where):
            listed = [item async for item in self._client.models.list()]
        fine_tuned: dict[str, ChatModel] = {}
        base: list[ChatModel] = []
        for model in listed:
            kind = model_kind(model.id)
            shutdown = listed_day(getattr(model, "shutdown_date", None))
            entry = ChatModel(model.id, kind, getattr(model, "created", None), None, shutdown)
            if kind == "base":
                base.append(entry)
            else:
                fine_tuned[model.id] = entry
        page = await self.list_jobs(limit=100)
        for job in page.jobs:
            name = job.fine_tuned_model
            if job.status is JobStatus.SUCCEEDED and name:
                known = fine_tuned.get(name)
                created = job.finished_at or job.created_at
                fine_tuned[name] = ChatModel(
                    name,
                    "fine_tuned",
                    known.created if known else created,
                    job.id,
                    known.shutdown if known else None,
                )
        newest_first = sorted(fine_tuned.values(), key=lambda m: m.created or 0, reverse=True)
        return newest_first + sorted(base, key=lambda m: m.id)

    async def shutdown_dates(self) -> dict[str, date]:
        """`/models` gives each model's `shutdown_date` (null where none is announced)."""
        with service_errors(self._where):
            listed = [item async for item in self._client.models.list()]
        found = {model.id: listed_day(getattr(model, "shutdown_date", None)) for model in listed}
        return {model: day for model, day in found.items() if day is not None}

    async def stream_chat(self, request: ChatRequest) -> AsyncIterator[ChatDelta | ChatDone]:
        """`stream=True` with `include_usage`, so the last chunk carries the token counts.

        `max_tokens` is sent as `max_tokens`: fine-tuned chat models, Azure and the compatible
        servers all accept it, whereas `max_completion_tokens` is newer and not universal.
        """
        if self._model_in_path:
            checked_id(request.model, "model")
        with service_errors(self._where, model=request.model):
            stream = await self._client.chat.completions.create(
                model=request.model,
                messages=request.api_messages(),  # type: ignore[arg-type]
                stream=True,
                stream_options={"include_usage": True},
                **request.request_options(),
            )
            # aclosing: a reader that stops early closes the HTTP stream now, not at GC.
            async with aclosing(read_chat_stream(stream)) as events:
                async for event in events:
                    yield event

    async def complete_chat(self, request: ChatRequest) -> ChatDone:
        if self._model_in_path:
            checked_id(request.model, "model")
        with service_errors(self._where, model=request.model):
            completion = await self._client.chat.completions.create(
                model=request.model,
                messages=request.api_messages(),  # type: ignore[arg-type]
                **request.request_options(),
            )
        return done_from_completion(completion)

    async def embed(self, model: str, texts: Sequence[str]) -> Embeddings:
        """`/embeddings` in one request; vectors put back in the texts' order by `index`."""
        with service_errors(self._where, model=model):
            answer = await self._client.embeddings.create(model=model, input=list(texts))
        ordered = sorted(answer.data, key=lambda item: item.index)
        usage = answer.usage.prompt_tokens if answer.usage is not None else None
        return Embeddings(tuple(tuple(item.embedding) for item in ordered), usage)
