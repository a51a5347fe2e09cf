"""Upload training files to an OpenAI-API service, with progress, by the route their size needs.

Files up to 512 MB go in one multipart request (`files.create`); the body is streamed from disk
through a reader that counts bytes as the SDK pulls them, so the progress bar is honest. Larger
files (up to 8 GB) go through the Uploads API: `uploads.create`, parts of at most 64 MB
(`uploads.parts.create`), then `uploads.complete` with the part ids in order. Both limits are
module constants and keyword arguments, so tests can force the parts route with a small file.

A part that fails for a reason that may pass (429, 5xx, a timeout, a dropped connection) is sent
again with backoff, for up to `PART_RETRY_BUDGET` seconds: an hour-long upload must not be lost
to one bad minute. The parts already sent are kept; the Upload is cancelled only when a part
gives up (or fails for good), and progress moves on only when a part is in, so it never goes
back.
"""

from __future__ import annotations

import asyncio
import io
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.providers.openai.errors import service_errors
from tuner.api.retry import RetryPolicy
from tuner.api.types import Progress
from tuner.config.urls import shown_url

if TYPE_CHECKING:
    from openai import AsyncOpenAI
    from openai.types import FileObject

SINGLE_REQUEST_LIMIT = 512 * 1024 * 1024
PART_SIZE = 64 * 1024 * 1024
UPLOADS_LIMIT = 8 * 1024 * 1024 * 1024
JSONL_MIME = "application/jsonl"
# How long one failing part is retried (seconds), and how far apart the tries are.
PART_RETRY_BUDGET = 60.0
PART_RETRY = RetryPolicy(attempts=None, base=1.0, cap=15.0)


class _CountingReader(io.RawIOBase):
    """A read-only file wrapper that reports how far the reader (the HTTP stack) has got.

    httpx2 rewinds file bodies with seek(0) before sending (and on a retry); the count follows.
    """

    def __init__(self, raw: io.BufferedReader, total: int, progress: Progress | None) -> None:
        super().__init__()
        self._raw = raw
        self._total = total
        self._progress = progress
        self._sent = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._raw.fileno()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        position = self._raw.seek(offset, whence)
        self._sent = position
        return position

    def tell(self) -> int:
        return self._raw.tell()

    def read(self, size: int = -1) -> bytes:
        chunk = self._raw.read(size)
        self._sent += len(chunk)
        if self._progress is not None and chunk:
            self._progress(min(self._sent, self._total), self._total)
        return chunk

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


async def upload_file(
    client: AsyncOpenAI,
    path: str | os.PathLike[str],
    purpose: str = "fine-tune",
    progress: Progress | None = None,
    *,
    single_request_limit: int | None = None,
    part_size: int | None = None,
    mime_type: str = JSONL_MIME,
    retry: RetryPolicy | None = None,
    retry_budget: float | None = None,
) -> FileObject:
    """Upload `path` and return the service's `FileObject` (its `id` is what a job needs).

    Chooses one request or the Uploads API by size. In parts, a failing part is retried by
    `retry` (default `PART_RETRY`) for up to `retry_budget` seconds (default
    `PART_RETRY_BUDGET`). Raises `ServiceError` for service failures and `OSError` for an
    unreadable local file.
    """
    path = Path(path)
    total = path.stat().st_size
    limit = SINGLE_REQUEST_LIMIT if single_request_limit is None else single_request_limit
    if total > UPLOADS_LIMIT:
        raise ServiceError(
            ErrorKind.INVALID_REQUEST,
            f"{path.name} is {total / 2**30:.1f} GB; the service accepts at most 8 GB per file",
        )
    if total <= limit:
        return await _upload_single(client, path, purpose, total, progress, mime_type)
    budget = PART_RETRY_BUDGET if retry_budget is None else retry_budget
    parts = _PartSender(client, retry or PART_RETRY, budget)
    return await _upload_in_parts(
        client, path, purpose, total, progress, part_size or PART_SIZE, mime_type, parts
    )


async def _upload_single(
    client: AsyncOpenAI,
    path: Path,
    purpose: str,
    total: int,
    progress: Progress | None,
    mime_type: str,
) -> FileObject:
    with (
        _CountingReader(path.open("rb"), total, progress) as reader,
        service_errors(_where(client)),
    ):
        result = await client.files.create(
            file=(path.name, reader, mime_type),
            purpose=purpose,  # type: ignore[arg-type]
        )
    if progress is not None:
        progress(total, total)
    return result


def _read_part(path: Path, offset: int, size: int) -> bytes:
    with path.open("rb") as handle:
        handle.seek(offset)
        return handle.read(size)


class _PartSender:
    """Sends each part, again and again while it fails for a reason that may pass.

    The SDK's own retries are off for parts (same connection pool): this loop is the only one,
    so the budget is what it says.
    """

    def __init__(self, client: AsyncOpenAI, retry: RetryPolicy, budget: float) -> None:
        self._client = client.with_options(max_retries=0)
        self._where = _where(client)
        self._retry = retry
        self._budget = budget

    async def send(self, upload_id: str, data: bytes, number: int, count: int) -> str:
        """The id of part `number` (1-based) of `count`, once the service has it."""
        attempt = 0
        started = time.monotonic()
        while True:
            try:
                with service_errors(self._where):
                    part = await self._client.uploads.parts.create(upload_id, data=data)
                return part.id
            except ServiceError as error:
                spent = time.monotonic() - started
                if not error.retryable:
                    raise
                if self._retry.gives_up(attempt) or spent >= self._budget:
                    raise ServiceError(
                        error.kind,
                        f"part {number} of {count} failed: {error.message} "
                        f"(gave up after {spent:.0f}s of retrying)",
                        status=error.status,
                        code=error.code,
                    ) from None
                delay = min(self._retry.delay(attempt, error), self._budget - spent)
                attempt += 1
                await asyncio.sleep(delay)


async def _upload_in_parts(
    client: AsyncOpenAI,
    path: Path,
    purpose: str,
    total: int,
    progress: Progress | None,
    part_size: int,
    mime_type: str,
    parts: _PartSender,
) -> FileObject:
    where = _where(client)
    with service_errors(where):
        upload = await client.uploads.create(
            bytes=total,
            filename=path.name,
            mime_type=mime_type,
            purpose=purpose,  # type: ignore[arg-type]
        )
    part_ids: list[str] = []
    count = -(-total // part_size)
    sent = 0
    try:
        while sent < total:
            # Read off the event loop: a 64 MB read would freeze a UI for a moment.
            data = await asyncio.to_thread(_read_part, path, sent, part_size)
            if not data:
                raise OSError(f"{path} shrank while it was being uploaded")
            part_ids.append(await parts.send(upload.id, data, len(part_ids) + 1, count))
            sent += len(data)
            if progress is not None:
                progress(sent, total)
        with service_errors(where):
            completed = await client.uploads.complete(upload.id, part_ids=part_ids)
    except BaseException:
        await _cancel_quietly(client, upload.id)
        raise
    if completed.file is None:
        raise ServiceError(ErrorKind.UNKNOWN, "The upload completed but the service sent no file")
    return completed.file


def _where(client: AsyncOpenAI) -> str:
    """The client's base URL, named when the service cannot be reached (never its user)."""
    return shown_url(str(client.base_url).rstrip("/"))


async def _cancel_quietly(client: AsyncOpenAI, upload_id: str) -> None:
    """Best effort: an abandoned Upload expires by itself after an hour anyway."""
    try:
        with service_errors(_where(client)):
            await client.uploads.cancel(upload_id)
    except ServiceError:
        return
