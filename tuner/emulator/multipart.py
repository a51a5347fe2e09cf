"""A streaming `multipart/form-data` reader.

File parts go straight to temporary files on disk, a buffer at a time, so an upload
part of 64 MB (or a 512 MB file) never sits in memory. Plain fields stay in memory and
are capped. The standard library's `cgi` module that once did this is deprecated.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
from dataclasses import dataclass
from typing import BinaryIO

READ_SIZE = 256 * 1024  # bytes read from the socket at a time
_MAX_HEADER_BYTES = 16 * 1024
_MAX_FIELD_BYTES = 1024 * 1024


class MultipartError(ValueError):
    """The body is not well-formed multipart data."""


@dataclass
class Part:
    """One form field: a value in memory, or (with a filename) a file on disk."""

    name: str
    filename: str | None
    content_type: str | None
    value: bytes | None = None
    path: str | None = None
    size: int = 0

    def text(self) -> str:
        return (self.value or b"").decode("utf-8", errors="replace")


def boundary_of(content_type: str) -> bytes:
    """The boundary parameter of a multipart Content-Type header."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise MultipartError("multipart body without a boundary")
    return match.group(1).encode("latin-1")


class _Reader:
    """Reads at most `length` bytes from `stream`, through a small buffer."""

    def __init__(self, stream: BinaryIO, length: int, read_size: int = READ_SIZE) -> None:
        self._stream = stream
        self._left = length
        self._read_size = read_size
        self.buffer = b""

    def fill(self) -> bool:
        """Read more into the buffer; False at the end of the body."""
        if self._left <= 0:
            return False
        chunk = self._stream.read(min(self._read_size, self._left))
        if not chunk:
            self._left = 0
            return False
        self._left -= len(chunk)
        self.buffer += chunk
        return True

    def drain(self) -> None:
        self.buffer = b""
        while self.fill():
            self.buffer = b""


def _parse_headers(raw: bytes) -> tuple[str, str | None, str | None]:
    name = filename = content_type = None
    for line in raw.decode("utf-8", errors="replace").split("\r\n"):
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key == "content-disposition":
            for match in re.finditer(r'(\w+)\*?="((?:[^"\\]|\\.)*)"|(\w+)=([^;\s]+)', value):
                pkey = match.group(1) or match.group(3)
                pval = match.group(2) if match.group(1) else match.group(4)
                if pkey == "name":
                    name = pval
                elif pkey == "filename":
                    filename = pval
        elif key == "content-type":
            content_type = value.strip()
    if name is None:
        raise MultipartError("a part without a name")
    return name, filename, content_type


def parse(
    stream: BinaryIO, length: int, boundary: bytes, spool_dir: str, read_size: int = READ_SIZE
) -> dict[str, Part]:
    """Read a whole multipart body of `length` bytes; file parts land in `spool_dir`.

    The caller owns the temporary files named by `Part.path` and must move or delete them.
    `read_size` is how much is read at a time (a test makes it tiny, so a boundary falls
    across reads).
    """
    reader = _Reader(stream, length, read_size)
    opening = b"--" + boundary
    delimiter = b"\r\n--" + boundary
    parts: dict[str, Part] = {}
    try:
        # The preamble, up to and including the first boundary line.
        while (start := reader.buffer.find(opening)) < 0:
            if not reader.fill():
                raise MultipartError("no opening boundary")
        reader.buffer = reader.buffer[start + len(opening) :]
        while True:
            while len(reader.buffer) < 2 and reader.fill():
                pass
            if reader.buffer.startswith(b"--"):
                break  # the closing boundary
            if not reader.buffer.startswith(b"\r\n"):
                raise MultipartError("malformed boundary line")
            reader.buffer = reader.buffer[2:]
            while (end := reader.buffer.find(b"\r\n\r\n")) < 0:
                if len(reader.buffer) > _MAX_HEADER_BYTES or not reader.fill():
                    raise MultipartError("unterminated part headers")
            name, filename, content_type = _parse_headers(reader.buffer[:end])
            reader.buffer = reader.buffer[end + 4 :]
            part = Part(name=name, filename=filename, content_type=content_type)
            _read_body(reader, delimiter, part, spool_dir)
            parts[name] = part
        reader.drain()
    except BaseException:
        for part in parts.values():
            if part.path:
                _remove(part.path)
        raise
    return parts


def _read_body(reader: _Reader, delimiter: bytes, part: Part, spool_dir: str) -> None:
    sink: BinaryIO
    if part.filename is not None:
        fd, part.path = tempfile.mkstemp(dir=spool_dir, prefix="part-")
        sink = open(fd, "wb")  # noqa: SIM115 - closed in the finally below
    else:
        sink = io.BytesIO()
    keep = len(delimiter) - 1
    try:
        while True:
            found = reader.buffer.find(delimiter)
            if found >= 0:
                part.size += found
                _write(sink, reader.buffer[:found], part)
                reader.buffer = reader.buffer[found + len(delimiter) :]
                break
            if len(reader.buffer) > keep:
                head = reader.buffer[:-keep]
                part.size += len(head)
                _write(sink, head, part)
                reader.buffer = reader.buffer[-keep:]
            if not reader.fill():
                raise MultipartError("part without a closing boundary")
    except BaseException:
        sink.close()
        if part.path:
            _remove(part.path)
            part.path = None
        raise
    finally:
        if isinstance(sink, io.BytesIO):
            part.value = sink.getvalue()
        else:
            sink.close()


def _write(sink: BinaryIO, data: bytes, part: Part) -> None:
    if part.filename is None and part.size > _MAX_FIELD_BYTES:
        raise MultipartError(f"form field {part.name!r} is too large")
    sink.write(data)


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
