"""The seam between tuner and a fine-tuning service: what the screens and commands may ask of one.

`FineTuningService` is a Protocol: any object with these methods is a service. Each
implementation (`tuner.api.providers.openai` for OpenAI, Azure OpenAI and compatible hosts;
`tuner.api.providers.together` for Together AI) owns its SDK client and translates every answer
into tuner's own types (`tuner.api.types`), so no SDK type crosses this line. Failures come
out as `ServiceError`, in words a user can act on.

`tuner.api.open.open_service(connection)` picks the implementation for a resolved `Connection`;
it lives apart because it imports the implementations, which import this module's neighbours.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from tuner.api.chat.models import ChatModel
    from tuner.api.chat.request import ChatDelta, ChatDone, ChatRequest, Embeddings
    from tuner.api.jobs.metrics import MetricPoint
    from tuner.api.jobs.spec import JobSpec
    from tuner.api.types import (
        Capabilities,
        Checkpoint,
        EventPage,
        Job,
        JobPage,
        ModelLimits,
        PriceEstimate,
        Progress,
        RemoteFile,
    )


class FineTuningService(Protocol):
    """A connected fine-tuning service. Every method raises `ServiceError` on failure."""

    @property
    def capabilities(self) -> Capabilities:
        """What this service can do beyond the basics; screens offer only that."""
        ...

    @property
    def where(self) -> str:
        """Where requests go (a base URL), for messages such as "cannot reach ..."."""
        ...

    # -- files -------------------------------------------------------------------------

    async def upload_file(self, path: Path, progress: Progress | None = None) -> RemoteFile:
        """Upload a training file; cancelling the awaiting task abandons the upload."""
        ...

    async def list_files(self) -> list[RemoteFile]:
        """The training files stored on the service, newest first."""
        ...

    async def retrieve_file(self, file_id: str) -> RemoteFile:
        """One stored file's name, size and purpose, whatever its purpose (a job's result
        files are not in `list_files`)."""
        ...

    async def file_content(self, file_id: str) -> bytes:
        """A stored file's bytes (result files, training data kept on the service)."""
        ...

    async def save_file(self, file_id: str, dest: Path, progress: Progress | None = None) -> int:
        """Stream a stored file's bytes into `dest` (whole or not at all, memory bounded by a
        chunk, whatever the file's size); the number of bytes saved."""
        ...

    async def delete_file(self, file_id: str) -> None: ...

    # -- jobs --------------------------------------------------------------------------

    async def create_job(self, spec: JobSpec) -> Job: ...

    async def list_jobs(self, after: str | None = None, limit: int = 20) -> JobPage:
        """One page of jobs, newest first; pass the last id as `after` for the next page."""
        ...

    async def retrieve_job(self, job_id: str) -> Job: ...

    async def cancel_job(self, job_id: str) -> Job: ...

    async def pause_job(self, job_id: str) -> Job:
        """Only when `capabilities.pause_resume`."""
        ...

    async def resume_job(self, job_id: str) -> Job:
        """Only when `capabilities.pause_resume`."""
        ...

    async def list_events(
        self, job_id: str, after: str | None = None, limit: int = 50
    ) -> EventPage:
        """Events newest first; `after` (an event id) pages toward older events."""
        ...

    async def list_checkpoints(self, job_id: str) -> list[Checkpoint]:
        """The checkpoints the service kept, newest first ([] when the service keeps none)."""
        ...

    async def job_metrics(self, job: Job) -> list[MetricPoint]:
        """A finished job's full per-step metrics ([] when the service keeps none)."""
        ...

    async def estimate_price(self, spec: JobSpec) -> PriceEstimate | None:
        """The service's own price for `spec` before it starts; None when it has no such
        endpoint (then tuner's catalog estimate is all there is). Only when
        `capabilities.price_estimate`."""
        ...

    async def model_limits(self, model: str) -> ModelLimits | None:
        """What the service allows for fine-tuning `model` (longest example, LoRA or full,
        epochs, batch sizes); None when it does not publish them per model."""
        ...

    # -- models and chat ---------------------------------------------------------------

    async def list_models(self) -> list[ChatModel]:
        """Models one can chat with: fine-tuned (newest first), then base models."""
        ...

    async def shutdown_dates(self) -> Mapping[str, date]:
        """The day each listed model stops answering, by model id, where the service's own
        model list says ({} when it says nothing): it wins over tuner's catalog."""
        ...

    def stream_chat(self, request: ChatRequest) -> AsyncIterator[ChatDelta | ChatDone]:
        """Yield `ChatDelta`s as tokens arrive, then one `ChatDone`. Close it to stop early."""
        ...

    async def complete_chat(self, request: ChatRequest) -> ChatDone:
        """The whole reply in one answer, not streamed: for work that reads replies by the
        hundred (an evaluation), where parsing a stream's chunks costs more than the wait."""
        ...

    async def embed(self, model: str, texts: Sequence[str]) -> Embeddings:
        """One vector per text, in order (the `cosine` grader). Only when
        `capabilities.embeddings`."""
        ...

    # -- lifetime ----------------------------------------------------------------------

    def without_retries(self) -> FineTuningService:
        """The same service (same connection pool) with the SDK's own retries off: for callers
        that retry visibly themselves (the event follower, the prompt replay)."""
        ...

    async def close(self) -> None: ...
