"""Random access to the lines of a JSONL file of any size, without loading it.

`LineIndex` keeps only the offsets of line endings (8 bytes per line, in an `array('Q')`) and
reads a line on demand with `os.pread`, so a 1 GB file opens as fast as a 1 KB one and the
screen only ever decodes what it shows. The dataset screen scans it in a thread worker and
lists the lines found so far while the scan runs.

Line numbers are 1-based as an editor shows them. A file that ends with a newline has no extra
empty last line; a last line without a newline still counts.
"""

from __future__ import annotations

import os
import threading
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BOM = b"\xef\xbb\xbf"
_SCAN_CHUNK = 4 << 20  # 4 MB reads when indexing


class InvalidUtf8Error(ValueError):
    """A line holds bytes that are not UTF-8; `byte_offset` is the absolute offset in the file."""

    def __init__(self, path: Path, line: int, byte_offset: int, reason: str) -> None:
        self.path = path
        self.line = line
        self.byte_offset = byte_offset
        self.reason = reason
        super().__init__(
            f"{path}: line {line} is not valid UTF-8 at byte offset {byte_offset} ({reason}); "
            "save the file as UTF-8"
        )


@dataclass(frozen=True, slots=True)
class ScanProgress:
    """How far a scan has got: for a progress bar and for showing the first lines early."""

    bytes_scanned: int
    total_bytes: int
    lines: int
    done: bool


class LineIndex:
    """Random access to the lines of a file without loading it.

    Call `scan()` (or iterate `scan_iter()` from a worker thread) before reading lines. Lines
    found so far are readable while the scan runs; `len()` grows as it goes.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.size = self.path.stat().st_size
        # _ends[i] is the offset just past the content of line i+1 (its "\n", or the file end).
        self._ends: array[int] = array("Q")
        self._scan_pos = 0
        self._done = self.size == 0
        self._fd: int | None = None
        self._lock = threading.Lock()

    # -- scanning ---------------------------------------------------------------------------

    @property
    def scanned(self) -> bool:
        """True once every line of the file is indexed."""
        return self._done

    def scan(self) -> LineIndex:
        """Index the whole file (fast: about a second per GB) and return self."""
        for _ in self.scan_iter(batch_lines=1 << 62):
            pass
        return self

    def scan_iter(
        self, batch_lines: int = 50_000, cancel: threading.Event | None = None
    ) -> Iterator[ScanProgress]:
        """Index the file, yielding progress after every `batch_lines` lines and at the end.

        `cancel` is checked between batches and between reads; a cancelled scan stops early and
        can be resumed by calling `scan_iter` again. Lines already indexed stay readable.
        """
        if self._done:
            yield ScanProgress(self.size, self.size, len(self._ends), True)
            return
        ends = self._ends
        append = ends.append
        # Plain reads into one reused buffer, not mmap: a mapped file's pages count as the
        # process's resident memory, which would make a 1 GB file look like a 1 GB process.
        buf = bytearray(_SCAN_CHUNK)
        view = memoryview(buf)
        with open(self.path, "rb", buffering=0) as f:
            if self._scan_pos == 0:
                self.size = os.fstat(f.fileno()).st_size  # it may have changed since opening
            size = self.size
            pos = self._scan_pos
            f.seek(pos)
            next_yield = len(ends) + batch_lines
            while pos < size:
                if cancel is not None and cancel.is_set():
                    return  # also between reads: a line may run for hundreds of MB
                got = f.readinto(view[: min(_SCAN_CHUNK, size - pos)])
                if not got:
                    size = self.size = pos  # truncated while we read
                    break
                find = buf.find
                i = find(b"\n", 0, got)
                while i >= 0:
                    append(pos + i)
                    if len(ends) >= next_yield:
                        self._scan_pos = pos + i + 1
                        if cancel is not None and cancel.is_set():
                            return
                        yield ScanProgress(self._scan_pos, size, len(ends), False)
                        next_yield = len(ends) + batch_lines
                    i = find(b"\n", i + 1, got)
                pos += got
                self._scan_pos = pos
            if size and (not ends or ends[-1] != size - 1):  # a last line with no newline
                append(size)
            self._scan_pos = size
            self._done = True
        yield ScanProgress(size, size, len(ends), True)

    # -- reading ----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._ends)

    def offset(self, n: int) -> int:
        """Byte offset where 1-based line `n` starts."""
        self._check(n)
        return 0 if n == 1 else self._ends[n - 2] + 1

    def line_span(self, n: int) -> tuple[int, int]:
        """(start, end) byte offsets of line `n`'s content, excluding "\\r\\n" or "\\n"."""
        start = self.offset(n)
        end = self._ends[n - 1]
        return start, end

    def line_bytes(self, n: int) -> bytes:
        """Raw bytes of 1-based line `n` without its line ending (a BOM on line 1 is kept)."""
        start, end = self.line_span(n)
        data = self._pread(end - start, start)
        if data.endswith(b"\r") and end < self.size:
            data = data[:-1]
        return data

    def line_head(self, n: int, whole_up_to: int, head: int) -> tuple[bytes, int]:
        """(bytes, size) of line `n`: all of it when it holds at most `whole_up_to` bytes, else
        its first `head` bytes. A preview of a 200 MB line must not read 200 MB."""
        start, end = self.line_span(n)
        total = end - start
        if total <= whole_up_to:
            data = self.line_bytes(n)
            return data, len(data)
        return self._pread(min(head, total), start), total

    def line_text(self, n: int) -> str:
        """Line `n` decoded as UTF-8, a BOM on line 1 removed; raises `InvalidUtf8Error`."""
        data = self.line_bytes(n)
        skip = 3 if n == 1 and data.startswith(BOM) else 0
        try:
            return data[skip:].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidUtf8Error(
                self.path, n, self.offset(n) + skip + exc.start, exc.reason
            ) from None

    def close(self) -> None:
        """Release the file descriptor (reading again reopens it)."""
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> LineIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: nothing useful to do
            return

    def _check(self, n: int) -> None:
        if not 1 <= n <= len(self._ends):
            raise IndexError(f"line {n} is out of range 1..{len(self._ends)}")

    def _pread(self, length: int, offset: int) -> bytes:
        if self._fd is None:
            with self._lock:
                if self._fd is None:
                    self._fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        if hasattr(os, "pread"):
            return os.pread(self._fd, length, offset)
        with self._lock:  # Windows: no pread, so seek and read under the lock
            os.lseek(self._fd, offset, os.SEEK_SET)
            return os.read(self._fd, length)
