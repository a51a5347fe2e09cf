"""Streaming a JSONL file of any size by byte ranges, with editor line numbers.

`iter_lines` and `split_ranges` let worker processes validate disjoint byte ranges of one file
and still report editor line numbers; `iter_bounded_lines` never holds a line longer than a
window, measuring it instead (`LongLine`). Random access to single lines is `line_index`'s.

Line numbers are 1-based as an editor shows them. A file that ends with a newline has no extra
empty last line; a last line without a newline still counts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import BinaryIO

_READ_CHUNK = 1 << 20  # 1 MB reads when streaming
_COUNT_CHUNK = 4 << 20  # 4 MB reads when counting newlines


def iter_lines(
    path: str | os.PathLike[str],
    start_byte: int = 0,
    end_byte: int | None = None,
    first_line: int | None = None,
) -> Iterator[tuple[int | None, bytes]]:
    """Yield `(line_number, raw_bytes)` for every line that begins in `[start_byte, end_byte)`.

    A line begins inside the range if its first byte does; the last one is read to its end even
    past `end_byte`, so ranges cut at arbitrary bytes cover every line exactly once. Line
    numbers count from `first_line` (default: 1 when `start_byte` is 0, else None: use
    `split_ranges` to learn them). Bytes exclude the line ending; blank lines are yielded as
    they are and a BOM on line 1 is kept (the rules strip it). Reads 1 MB at a time, and a
    single huge line is gathered in pieces, never re-scanned.
    """
    line_no = first_line if first_line is not None else (1 if start_byte == 0 else None)
    with open(path, "rb", buffering=0) as f:
        size = os.fstat(f.fileno()).st_size
        end = size if end_byte is None else min(end_byte, size)
        pos = max(0, start_byte)
        if pos >= end:
            return
        if pos > 0:
            f.seek(pos - 1)
            if f.read(1) != b"\n":  # we are inside a line owned by the previous range
                pos = _skip_past_newline(f, pos)
                if pos >= end:
                    return
        f.seek(pos)
        parts: list[bytes] = []
        buf = b""
        i = 0
        while True:
            nl = buf.find(b"\n", i)
            if nl < 0:
                if i < len(buf):
                    parts.append(buf[i:])
                buf = f.read(_READ_CHUNK)
                i = 0
                if not buf:  # end of file: a last line without a newline
                    if parts:
                        yield line_no, b"".join(parts)
                    return
                continue
            if parts:
                parts.append(buf[i:nl])
                raw = b"".join(parts)
                parts = []
            else:
                raw = buf[i:nl]
            pos += len(raw) + 1
            i = nl + 1
            yield line_no, raw[:-1] if raw.endswith(b"\r") else raw
            if line_no is not None:
                line_no += 1
            if pos >= end:
                return


@dataclass(frozen=True, slots=True)
class LongLine:
    """A line longer than the reader's window: measured, never read. `size` is its length in
    bytes without its line ending."""

    size: int


def iter_bounded_lines(
    path: str | os.PathLike[str],
    start_byte: int,
    end_byte: int | None,
    first_line: int,
    max_bytes: int,
) -> Iterator[tuple[int, bytes | LongLine]]:
    """`iter_lines`, except that a line longer than `max_bytes` is not read: it comes as a
    `LongLine` with its size. Memory stays within a read block and `max_bytes`, whatever the
    file holds (a 2 GB line is scanned for its end a block at a time, never held).

    A line that does not fit in the block being read is measured first, then read in one
    piece at its offset (`os.pread`): it is never gathered from parts, which would hold it
    twice. Line endings are dropped as `iter_lines` drops them.
    """
    line_no = first_line
    with open(path, "rb", buffering=0) as f:
        fd = f.fileno()
        size = os.fstat(fd).st_size
        end = size if end_byte is None else min(end_byte, size)
        pos = max(0, start_byte)
        if pos >= end:
            return
        if pos > 0:
            f.seek(pos - 1)
            if f.read(1) != b"\n":  # inside a line owned by the previous range
                pos = _skip_past_newline(f, pos)
                if pos >= end:
                    return
        f.seek(pos)
        buf = b""
        base = pos  # the file offset of buf[0]
        i = 0  # where the current line starts in buf
        while True:
            nl = buf.find(b"\n", i)
            if nl >= 0:
                raw = buf[i:nl]
                raw = raw[:-1] if raw.endswith(b"\r") else raw
                yield line_no, raw if len(raw) <= max_bytes else LongLine(len(raw))
                line_no += 1
                i = nl + 1
                if base + i >= end:
                    return
                continue
            if len(buf) - i < _READ_CHUNK:  # a short tail: read on, look again
                more = f.read(_READ_CHUNK)
                if not more:  # the end of the file: a last line without a newline
                    if i < len(buf):
                        rest = len(buf) - i
                        yield line_no, buf[i:] if rest <= max_bytes else LongLine(rest)
                    return
                buf, base, i = buf[i:] + more, base + i, 0
                continue
            # A long line: find where it ends without holding it, then read it once.
            line_start = base + i
            newline = _find_newline(f, base + len(buf))
            if newline is None:  # it runs to the end of the file
                length = size - line_start
            else:
                length = newline - line_start
                if length and os.pread(fd, 1, newline - 1) == b"\r":
                    length -= 1
            if length > max_bytes:
                yield line_no, LongLine(length)
            else:
                yield line_no, _pread_all(fd, length, line_start)
            if newline is None or newline + 1 >= end:
                return
            line_no += 1
            f.seek(newline + 1)
            buf, base, i = b"", newline + 1, 0


def _find_newline(f: BinaryIO, pos: int) -> int | None:
    """The offset of the first newline at or after `pos` (where `f` is positioned), or None
    at the end of the file; reads a block at a time and keeps none."""
    f.seek(pos)
    while True:
        chunk = f.read(_READ_CHUNK)
        if not chunk:
            return None
        nl = chunk.find(b"\n")
        if nl >= 0:
            return pos + nl
        pos += len(chunk)


def _pread_all(fd: int, length: int, offset: int) -> bytes:
    """`length` bytes at `offset`, in one buffer (os.pread may return less than asked)."""
    data = os.pread(fd, length, offset)
    if len(data) == length:
        return data
    parts = [data]
    got = len(data)
    while got < length:
        more = os.pread(fd, length - got, offset + got)
        if not more:
            break  # the file shrank while read
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def _skip_past_newline(f: object, pos: int) -> int:
    """Advance from `pos` to just after the next newline (or to the end of the file)."""
    read = f.read  # type: ignore[attr-defined]
    while True:
        chunk = read(_READ_CHUNK)
        if not chunk:
            return pos
        nl = chunk.find(b"\n")
        if nl >= 0:
            return pos + nl + 1
        pos += len(chunk)


def split_ranges(path: str | os.PathLike[str], parts: int) -> list[tuple[int, int, int]]:
    """Cut a file into about `parts` byte ranges at line starts, for parallel validation.

    Returns `(start, end, first_line_number)` for each non-empty range, in order; together
    they cover the file. Pass each to `iter_lines(path, start, end, first_line)`.
    """
    size = os.path.getsize(path)
    if size == 0:
        return []
    parts = max(1, parts)
    with open(path, "rb", buffering=0) as f:
        cuts = [0]
        reach = 0  # a target up to here cuts where the last scan ended: no scan again
        for k in range(1, parts):
            target = size * k // parts
            if target <= reach:
                continue  # inside a line already scanned (a long one): the same cut
            cut = _next_line_start(f, target - 1, size)
            reach = cut
            if cut >= size:
                break  # the rest of the file is one line
            if cuts[-1] < cut:
                cuts.append(cut)
        cuts.append(size)
        ranges: list[tuple[int, int, int]] = []
        line = 1
        for start, end in pairwise(cuts):
            ranges.append((start, end, line))
            line += _count_newlines(f, start, end)
    return ranges


def _next_line_start(f: BinaryIO, pos: int, size: int) -> int:
    """The offset just past the first newline at or after `pos` (the file size if none)."""
    f.seek(pos)
    while True:
        chunk = f.read(_READ_CHUNK)
        if not chunk:
            return size
        nl = chunk.find(b"\n")
        if nl >= 0:
            return pos + nl + 1
        pos += len(chunk)


def _count_newlines(f: BinaryIO, start: int, end: int) -> int:
    """Newlines in [start, end), read in chunks (mmap would count the file as resident memory)."""
    buf = bytearray(_COUNT_CHUNK)
    view = memoryview(buf)
    f.seek(start)
    count = 0
    pos = start
    while pos < end:
        got = f.readinto(view[: min(_COUNT_CHUNK, end - pos)])
        if not got:
            break
        count += buf.count(b"\n", 0, got)
        pos += got
    return count
