"""Reading a request body: Content-Length or chunked framing, then JSON or multipart.

A body is read only once the request has passed every check that needs no body (the Host, the
key, the route: see `server`), and never past the emulator's limit, `MAX_BODY_BYTES` (1 GiB)
per request unless the emulator is given another: a declared length over it is answered 413
before a byte is read, a chunked body 413 as soon as it passes it.

Every way a client can get a body wrong is answered with a 400 in the service's error shape,
never a 500 and never a thread left waiting for bytes that will not come: a Content-Length that
is not a plain non-negative number, a chunk size that is not hex, a chunk without its CRLF, a
body that ends early; JSON that does not parse, uses NaN or Infinity, or nests deeper than any
real request (deep nesting makes `json.loads` raise RecursionError, and the handlers walk what
it returns); multipart data that does not parse. A body that stalls is cut off by the socket's
read timeout (see `server`).
"""

from __future__ import annotations

import json
import re
import tempfile
from email.message import Message
from typing import Any, BinaryIO

from . import multipart
from .errors import ApiError, invalid_request

MB = 1024 * 1024
MAX_JSON_BYTES = 64 * MB
# Larger than the biggest legal request (an Upload part of 64 MB, a file of 512 MB) by far;
# a declared length beyond it is refused before a byte is read.
MAX_BODY_BYTES = 1024 * MB
MAX_JSON_DEPTH = 64
_MAX_CHUNK_LINE = 4096  # the size, its extensions and the CRLF
_MAX_TRAILER_LINES = 100
_DIGITS = re.compile(rb"[0-9]+")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,15}")

_JSON_ERROR = (
    "We could not parse the JSON body of your request. The OpenAI API expects a JSON payload."
)


class BodyError(ApiError):
    """A 400 for a body whose framing is broken: the rest of the stream cannot be trusted, so
    the connection closes after the response."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(status, message)


class BodyTooLarge(BodyError):
    """A 413 for a body over the emulator's limit; the body is left unread, so the connection
    closes after the response."""

    def __init__(self, limit: int, length: int | None = None) -> None:
        size = f" ({length:,} bytes)" if length is not None else ""
        super().__init__(
            f"The request body{size} is over the emulator's limit of {_size(limit)} per request.",
            413,
        )


def _size(count: int) -> str:
    return f"{count // MB:,} MB" if count >= MB else f"{count:,} bytes"


def read_body(
    stream: BinaryIO, headers: Message, spool_dir: str, limit: int = MAX_BODY_BYTES
) -> tuple[Any, dict[str, multipart.Part]]:
    """Consume the whole body (keep-alive needs it) and parse it as JSON or multipart.

    Returns (JSON value or None, form parts); file parts are on disk in `spool_dir` and the
    caller owns them. Raises `BodyError` (close the connection; `BodyTooLarge` past `limit`)
    or `ApiError` (400).
    """
    stream, length = framed_body(stream, headers, spool_dir, limit)
    if length == 0:
        return None, {}
    content_type = headers.get("Content-Type") or ""
    if content_type.lower().startswith("multipart/form-data"):
        try:
            boundary = multipart.boundary_of(content_type)
            return None, multipart.parse(stream, length, boundary, spool_dir)
        except multipart.MultipartError as error:
            raise BodyError(f"Malformed multipart body: {error}") from None
    if length > MAX_JSON_BYTES:
        _discard(stream, length)
        raise invalid_request("The request body is too large.")
    raw = stream.read(length)
    if len(raw) < length:
        raise BodyError("The request body ended before its Content-Length.")
    return parse_json(raw), {}


def framed_body(
    stream: BinaryIO, headers: Message, spool_dir: str, limit: int = MAX_BODY_BYTES
) -> tuple[BinaryIO, int]:
    """(a stream positioned at the body, its length): a chunked body is spooled and counted,
    otherwise `Content-Length` is checked. Raises `BodyError` for broken framing and
    `BodyTooLarge` for a body over `limit` bytes."""
    if is_chunked(headers):
        return _dechunk(stream, spool_dir, limit)
    return stream, content_length(headers.get_all("Content-Length") or [], limit)


def is_chunked(headers: Message) -> bool:
    """Whether the body comes in chunks (its length is known only once it is read)."""
    return "chunked" in (headers.get("Transfer-Encoding") or "").lower()


def has_body(headers: Message) -> bool:
    """Whether the request says a body follows: chunks, or a Content-Length other than 0. A
    request refused before its body is read must then close its connection."""
    if is_chunked(headers):
        return True
    return any(value.strip() not in ("", "0") for value in headers.get_all("Content-Length") or [])


def copy_body(
    stream: BinaryIO,
    sink: Any,
    size: int,
    early: str = "The request body ended before its Content-Length.",
) -> None:
    """Copy exactly `size` bytes of the body, a block at a time; `BodyError(early)` if it ends
    before that."""
    while size > 0:
        block = stream.read(min(size, MB))
        if not block:
            raise BodyError(early)
        sink.write(block)
        size -= len(block)


def content_length(values: list[str], limit: int = MAX_BODY_BYTES) -> int:
    """The declared body length: one plain non-negative decimal number of at most `limit`, or
    a `BodyError` (`BodyTooLarge` over the limit)."""
    if not values:
        return 0
    if len(set(values)) > 1:
        raise BodyError("The request has conflicting Content-Length headers.")
    raw = values[0].strip().encode("latin-1", errors="replace")
    if not _DIGITS.fullmatch(raw):
        raise BodyError(f"Invalid Content-Length header: {values[0]!r}.")
    length = int(raw)
    if length > limit:
        raise BodyTooLarge(limit, length)
    return length


def parse_json(raw: bytes) -> Any:
    """Strict JSON (no NaN or Infinity) of a sane depth, or a 400 in the service's words."""
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise _too_deep() from None
    except ValueError:  # includes UnicodeDecodeError
        raise invalid_request(_JSON_ERROR) from None
    if _depth_over(value, MAX_JSON_DEPTH):
        raise _too_deep()
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _too_deep() -> ApiError:
    return invalid_request(
        f"The JSON body is nested too deeply (more than {MAX_JSON_DEPTH} levels of objects "
        "and arrays)."
    )


def _depth_over(value: Any, limit: int) -> bool:
    """Whether objects and arrays nest more than `limit` deep; iterative, so never recursing."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _dechunk(stream: BinaryIO, spool_dir: str, limit: int) -> tuple[BinaryIO, int]:
    """Read a chunked body into a spooled file; (the file at its start, its length)."""
    # Closed by the garbage collector once the request is done.
    spool = tempfile.SpooledTemporaryFile(max_size=8 * MB, dir=spool_dir)  # noqa: SIM115
    total = 0
    while True:
        line = _line(stream, "chunk size")
        size_text = line.split(b";")[0].strip()
        if not _HEX.fullmatch(size_text):
            shown = size_text[:20].decode("latin-1")
            raise BodyError(f"Invalid chunk size {shown!r} in a chunked request body.")
        size = int(size_text, 16)
        if size == 0:
            break
        total += size
        if total > limit:
            raise BodyTooLarge(limit)
        copy_body(stream, spool, size, "The chunked request body ended early, inside a chunk.")
        if stream.read(2) != b"\r\n":
            raise BodyError("A chunk of the request body is not followed by CRLF.")
    for _ in range(_MAX_TRAILER_LINES):
        if _line(stream, "trailer") in (b"\r\n", b"\n"):
            spool.seek(0)
            return spool, total  # type: ignore[return-value]
    raise BodyError("Too many trailer lines after a chunked request body.")


def _line(stream: BinaryIO, what: str) -> bytes:
    line = stream.readline(_MAX_CHUNK_LINE + 1)
    if len(line) > _MAX_CHUNK_LINE:
        raise BodyError(f"A {what} line of the chunked request body is too long.")
    if not line.endswith(b"\n"):
        raise BodyError("The chunked request body ended early, inside a chunk.")
    return line


def _discard(stream: BinaryIO, length: int) -> None:
    while length > 0:
        block = stream.read(min(length, MB))
        if not block:
            return
        length -= len(block)
