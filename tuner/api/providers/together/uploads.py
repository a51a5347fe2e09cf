"""Upload a training file to Together: ask for a presigned URL, PUT the bytes, preprocess.

Together's upload is three requests: `POST /v1/files` (the file's name, type, purpose and
sha256) answered by a 302 whose `Location` is a presigned PUT URL and whose
`X-Together-File-Id` names the file (or a 409 naming the file that already holds the same
bytes); a `PUT` of the raw bytes to that URL; then `POST /v1/files/{id}/preprocess`, which
checks the file and answers its record.

Why not the SDK's `files.upload`: it would (1) run its own full check of the file, a second pass
over data that tuner has just validated (tuner checks every file before it uploads it,
`tuner.api.files.checked_upload`), and (2) hash the file on the event loop, freezing the screen for
seconds on a large file and ignoring cancellation meanwhile. So the same three requests are made
here through the SDK's own client: its `post` for the API calls (its auth, retries and error
types), and its httpx connection pool for the PUT (as the SDK does it: no API key goes to the
storage URL). The hash (Together's way to recognise bytes it already holds, so it is a full read
before the first byte goes, which `progress` does not count) is computed block by block in a
worker thread, the bytes are streamed
from disk block by block (never the whole file in memory) and `progress` hears each block as
the HTTP stack takes it. Cancelling the awaiting task stops between blocks and abandons the
upload: no file record is completed, the presigned URL expires by itself.

Files above Together's multipart threshold (5 GiB, the SDK's `MULTIPART_THRESHOLD_GB`) go in
parts on Together; tuner does not upload in parts and refuses them with a sentence saying so.

A file that Together's own check refuses (`processing_status` INVALID_FORMAT, or a report that
says `valid: false`) raises `ServiceError(invalid_request)` with Together's reason: a job on it
would only fail.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tuner.api.errors import ErrorKind, ServiceError, body_message
from tuner.api.providers.together.convert import file_refusal
from tuner.api.providers.together.errors import service_errors, status_error_for
from tuner.api.types import Progress

if TYPE_CHECKING:
    from together import AsyncTogether

FILES_PATH = "/v1/files"
FILE_TYPES = {".jsonl": "jsonl", ".parquet": "parquet", ".csv": "csv"}
CHUNK_SIZE = 1024 * 1024
HASH_BLOCK = 8 * 1024 * 1024
# A file id goes into a URL path: only the characters the SDK itself accepts.
_SAFE_FILE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def file_type(path: Path) -> str:
    """Together's name for the file's type, from its extension; refuses what it does not take."""
    kind = FILE_TYPES.get(path.suffix.lower())
    if kind is None:
        raise ServiceError(
            ErrorKind.INVALID_REQUEST,
            f"Together takes .jsonl, .parquet and .csv files, not {path.name}",
        )
    return kind


def single_upload_limit() -> int:
    """The largest file Together takes in one PUT (above it, it wants parts)."""
    from together.lib.constants import MULTIPART_THRESHOLD_GB, NUM_BYTES_IN_GB

    return int(MULTIPART_THRESHOLD_GB * NUM_BYTES_IN_GB)


async def sha256_of(path: Path, block: int = HASH_BLOCK) -> str:
    """The file's sha256, read and hashed a block at a time in a worker thread (hashlib lets
    go of the GIL for large blocks): the event loop stays free and a cancel stops it soon."""
    digest = hashlib.sha256()

    def step(handle: IO[bytes]) -> bool:
        data = handle.read(block)
        digest.update(data)
        return bool(data)

    with path.open("rb") as handle:
        while await asyncio.to_thread(step, handle):
            pass
    return digest.hexdigest()


async def upload_file(
    client: AsyncTogether,
    path: Path,
    progress: Progress | None,
    *,
    where: str,
    chunk_size: int = CHUNK_SIZE,
    limit: int | None = None,
) -> Any:
    """Upload `path`; the SDK's `FileResponse` of the stored (and checked) file. `limit` is the
    largest file sent (default `single_upload_limit()`; tests lower it).

    Raises `ServiceError` for what Together refuses (or cannot be reached for) and `OSError`
    for a file that cannot be read."""
    path = Path(path)
    progress = _forward_only(progress)
    kind = file_type(path)
    total = path.stat().st_size
    limit = single_upload_limit() if limit is None else limit
    if total > limit:
        raise ServiceError(
            ErrorKind.INVALID_REQUEST,
            f"{path.name} is {_size(total)}; tuner uploads files of up to {_size(limit)} to "
            "Together in one piece (larger ones go in parts: use Together's own CLI, "
            "`together files upload`)",
        )
    checksum = await sha256_of(path)
    target = await _request_upload(client, path, kind, checksum, where)
    if isinstance(target, str):
        # Together holds these bytes already: that file is the upload.
        with service_errors(where):
            stored = await client.files.retrieve(target)
    else:
        url, file_id = target
        await _put(client, url, path, progress, chunk_size)
        from together.types import FileResponse

        with service_errors(where):
            stored = await client.post(f"{FILES_PATH}/{file_id}/preprocess", cast_to=FileResponse)
    if progress is not None:
        progress(total, total)
    refused = file_refusal(stored)
    if refused is not None:
        raise ServiceError(
            ErrorKind.INVALID_REQUEST,
            f"Together refused {path.name} (file {stored.id}): {refused}",
        )
    return stored


async def _request_upload(
    client: AsyncTogether, path: Path, kind: str, checksum: str, where: str
) -> tuple[str, str] | str:
    """(presigned URL, file id) to PUT the bytes to, or the id of the file that already holds
    them (Together's 409)."""
    import httpx
    import together

    fields = {
        "purpose": "fine-tune",
        "file_name": path.name,
        "file_type": kind,
        "checksum": checksum,
    }
    with service_errors(where):
        try:
            response = await client.post(
                FILES_PATH,
                cast_to=httpx.Response,
                body=fields,
                options={
                    "headers": {"Content-Type": "multipart/form-data"},
                    "follow_redirects": False,
                },
            )
        except together.APIStatusError as exc:
            if exc.status_code == 409:
                existing = _existing_file(exc.body)
                if existing is not None:
                    return existing
            if exc.status_code not in _REDIRECTS:
                raise
            response = exc.response
    location = response.headers.get("Location")
    file_id = response.headers.get("X-Together-File-Id")
    if not location or not file_id or not _SAFE_FILE_ID.match(file_id):
        raise ServiceError(
            ErrorKind.UNKNOWN,
            f"Together did not say where to upload {path.name} "
            f"(answer {response.status_code} without a usable Location and file id)",
        )
    if urlsplit(location).scheme not in ("http", "https"):
        raise ServiceError(ErrorKind.UNKNOWN, "Together named an upload URL tuner cannot use")
    return location, file_id


def _size(count: int) -> str:
    """`5.0 GB`, `3.1 KB`, `12 bytes`."""
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"


def _forward_only(progress: Progress | None) -> Progress | None:
    """`progress`, told only of counts that move forward (never the same count twice)."""
    if progress is None:
        return None
    last = -1

    def report(sent: int, total: int) -> None:
        nonlocal last
        if sent > last:
            last = sent
            progress(sent, total)

    return report


def _existing_file(body: Any) -> str | None:
    file_id = body.get("file_id") if isinstance(body, dict) else None
    return file_id if isinstance(file_id, str) and _SAFE_FILE_ID.match(file_id) else None


def _origin(url: str) -> str:
    """scheme://host[:port] of a presigned URL: what a message may name (the rest is a
    credential)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def _chunks(
    handle: IO[bytes], size: int, chunk_size: int, sent: Callable[[int], None]
) -> AsyncIterator[bytes]:
    """`size` bytes of `handle`, a block at a time, each read off the event loop; `sent`
    hears the running total once the HTTP stack has taken a block and asks for the next."""
    done = 0
    while done < size:
        block = await asyncio.to_thread(handle.read, min(chunk_size, size - done))
        if not block:
            raise OSError(f"{getattr(handle, 'name', 'the file')} shrank while it was uploaded")
        yield block
        done += len(block)
        sent(done)


async def _put(
    client: AsyncTogether,
    url: str,
    path: Path,
    progress: Progress | None,
    chunk_size: int,
) -> None:
    """PUT the file's bytes to the presigned `url` through the SDK's connection pool, without
    the API key (the URL is the credential) and without following redirects (a stream cannot
    be replayed)."""
    where = _origin(url)
    http = client._client  # the SDK's own httpx pool, exactly as its upload uses it
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        done = 0

        def sent(count: int) -> None:
            nonlocal done
            done = count
            if progress is not None:
                progress(count, size)

        try:
            with service_errors(where):
                response = await http.put(
                    url,
                    content=_chunks(handle, size, chunk_size, sent),
                    headers={"Content-Length": str(size)},
                    follow_redirects=False,
                )
        except ServiceError as error:
            raise _put_failed(error, path.name, done, size) from None
    if not 200 <= response.status_code < 300:
        raise _put_refused(response, path.name, size)


def _put_failed(error: ServiceError, name: str, sent: int, size: int) -> ServiceError:
    """What a PUT that got no answer means for the user: the storage host, not Together's API,
    is what went away (a dropped connection there is not Together's reply cut short)."""
    if error.kind is ErrorKind.DROPPED:
        return ServiceError(
            ErrorKind.DROPPED,
            f"The connection to the storage host dropped while uploading {name} "
            f"({_size(sent)} of {_size(size)} sent)",
        )
    if error.kind is ErrorKind.TIMEOUT:
        return ServiceError(
            ErrorKind.TIMEOUT,
            f"The storage host did not answer in time while uploading {name} "
            f"({_size(sent)} of {_size(size)} sent)",
        )
    return error


def _put_refused(response: Any, name: str, size: int) -> ServiceError:
    """The storage host's refusal of the PUT, naming the step and the file. A storage host
    (S3 behind Together's presigned URLs) answers in XML or plain text, not Together's JSON;
    "too large" is its 413, or its 400 whose code says so (`EntityTooLarge`)."""
    said = _storage_message(response)
    status = response.status_code
    if status == 413 or (status == 400 and "toolarge" in said.replace(" ", "").lower()):
        return ServiceError(
            ErrorKind.INVALID_REQUEST,
            f"The storage host refused the upload of {name} ({_size(size)}): too large",
            status=status,
        )
    error = status_error_for(
        status,
        f"the storage host refused the upload of {name}: {said[:300]}",
        code=None,
        headers=response.headers,
        model=None,
    )
    return error


_XML_TAG = re.compile(r"<(Code|Message)>([^<]*)</\1>")


def _storage_message(response: Any) -> str:
    """What the storage host said: S3's XML `<Code>` and `<Message>`, a JSON error's message,
    or the text as it is."""
    text = response.text
    found = dict(_XML_TAG.findall(text))
    if found:
        return ": ".join(part for part in (found.get("Code"), found.get("Message")) if part)
    try:
        return body_message(response.json()) or text
    except ValueError:
        return text
