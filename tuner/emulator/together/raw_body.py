"""Reading a PUT's body as raw bytes on disk: the presigned upload carries a file, not JSON.

The SDK PUTs the file with a `Content-Length` and no Content-Type, as to S3, so the server's
JSON-or-multipart reader does not apply. The bytes are spooled to a temporary file, a block at
a time, and handed over as a form part named `body` that the caller adopts or deletes. Broken
framing raises the shared `BodyError`, so the server closes the connection after answering.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from email.message import Message
from typing import BinaryIO

from ..bodies import BodyError
from ..multipart import Part

BLOCK = 1024 * 1024


def read_raw_body(stream: BinaryIO, headers: Message, spool_dir: str) -> dict[str, Part]:
    """{"body": Part} with the bytes on disk, or {} for an empty body; a 400 if malformed."""
    chunked = "chunked" in (headers.get("Transfer-Encoding") or "").lower()
    raw_length = (headers.get("Content-Length") or "0").strip()
    if not chunked and not raw_length.isdigit():
        raise BodyError("Invalid Content-Length.")
    if not chunked and int(raw_length) == 0:
        return {}
    fd, path = tempfile.mkstemp(dir=spool_dir, prefix="put-")
    try:
        with open(fd, "wb") as sink:
            size = _copy_chunked(stream, sink) if chunked else _copy(stream, sink, int(raw_length))
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        raise
    content_type = headers.get("Content-Type")
    return {"body": Part("body", "body", content_type, path=path, size=size)}


def _copy(stream: BinaryIO, sink: BinaryIO, length: int) -> int:
    left = length
    while left > 0:
        block = stream.read(min(BLOCK, left))
        if not block:
            raise BodyError("The request body ended before its Content-Length.")
        sink.write(block)
        left -= len(block)
    return length


def _copy_chunked(stream: BinaryIO, sink: BinaryIO) -> int:
    total = 0
    while True:
        line = stream.readline(4096).split(b";")[0].strip()
        try:
            size = int(line or b"0", 16)
        except ValueError:
            raise BodyError("Malformed chunked body.") from None
        if size < 0:
            raise BodyError("Malformed chunked body.")
        if size == 0:
            while stream.readline(4096) not in (b"\r\n", b"\n", b""):
                pass
            return total
        total += _copy(stream, sink, size)
        stream.readline(4096)
