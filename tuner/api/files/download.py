"""A stored file's bytes streamed into a local file: bounded memory, whole or not at all.

Training files reach gigabytes (OpenAI takes up to 512 MB in one request and 8 GB in parts), so
reading one into memory to save it, as `file_content` does, is not an option for a backup or a
migration. Each service implementation opens its SDK's streaming response and hands the chunks
here: they go to a hidden temporary file beside `dest` (each write in a thread, so the event
loop keeps drawing), which is renamed over `dest` only once the last byte is in. A cancelled or
failed download leaves no partial file for a later run to trust. The temporary file is named as
every tuner temporary is (`tuner.data.jsonl.atomic_file.create_temporary`), so the next run's
`remove_stale_temporaries` removes one that a killed process left.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuner.data.jsonl.atomic_file import create_temporary

if TYPE_CHECKING:
    from tuner.api.types import Progress

CHUNK_BYTES = 1 << 20


async def stream_to_file(
    chunks: AsyncIterator[bytes],
    dest: Path,
    *,
    total: int | None = None,
    progress: Progress | None = None,
) -> int:
    """Write `chunks` into `dest` atomically; the number of bytes written."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    temp: Path | None = None
    written = 0
    try:
        # Made inside the `try`: a stop signal that lands just after it still removes it.
        handle, temp = create_temporary(dest)
        with os.fdopen(handle, "wb") as out:
            async for chunk in chunks:
                await asyncio.to_thread(out.write, chunk)
                written += len(chunk)
                if progress is not None:
                    progress(written, max(total or 0, written))
            await asyncio.to_thread(out.flush)
            await asyncio.to_thread(os.fsync, out.fileno())
        os.replace(temp, dest)
    except BaseException:
        if temp is not None:
            with contextlib.suppress(OSError):
                temp.unlink()
        raise
    return written


async def save_file_content(
    client: Any, file_id: str, dest: Path, progress: Progress | None = None
) -> int:
    """Stream stored file `file_id` through an SDK `client` to `dest` (see `stream_to_file`).

    Both SDKs are generated the same way: `files.with_streaming_response.content(...)` yields a
    response with `headers` and `iter_bytes(n)`; its length, when sent, makes the progress a
    fraction. The caller translates the SDK's exceptions."""
    async with client.files.with_streaming_response.content(file_id) as response:
        size = response.headers.get("content-length")
        return await stream_to_file(
            response.iter_bytes(CHUNK_BYTES),
            dest,
            total=int(size) if size and size.isdigit() else None,
            progress=progress,
        )
