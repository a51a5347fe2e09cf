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

from ..bodies import MAX_BODY_BYTES, copy_body, framed_body
from ..multipart import Part


def read_raw_body(
    stream: BinaryIO, headers: Message, spool_dir: str, limit: int = MAX_BODY_BYTES
) -> dict[str, Part]:
    """{"body": Part} with the bytes on disk, or {} for an empty body; a 400 if malformed, a
    413 past `limit` bytes (a declared length is checked before anything is read)."""
    stream, size = framed_body(stream, headers, spool_dir, limit)
    if size == 0:
        return {}
    fd, path = tempfile.mkstemp(dir=spool_dir, prefix="put-")
    try:
        with open(fd, "wb") as sink:
            copy_body(stream, sink, size)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        raise
    content_type = headers.get("Content-Type")
    return {"body": Part("body", "body", content_type, path=path, size=size)}
