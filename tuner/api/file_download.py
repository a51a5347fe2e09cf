"""A stored file's bytes streamed into a local file: bounded memory, whole or not at all.

Training files reach gigabytes (OpenAI takes up to 512 MB in one request and 8 GB in parts), so
reading one into memory to save it, as `file_content` does, is not an option for a backup or a
migration. Each service implementation opens its SDK's streaming response and hands the chunks
here: they go to a hidden temporary file beside `dest` (each write in a thread, so the event
loop keeps drawing), which is renamed over `dest` only once the last byte is in. A cancelled or
failed download leaves no partial file for a later run to trust.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tuner.api.service import Progress

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
    handle, temp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    temp = Path(temp_name)
    written = 0
    try:
        with os.fdopen(handle, "wb") as out:
            async for chunk in chunks:
                await asyncio.to_thread(out.write, chunk)
                written += len(chunk)
                if progress is not None:
                    progress(written, max(total or 0, written))
            await asyncio.to_thread(out.flush)
            await asyncio.to_thread(os.fsync, out.fileno())
        # mkstemp makes the file 0600; a saved training file gets the umask's mode.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
        os.replace(temp, dest)
    except BaseException:
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
