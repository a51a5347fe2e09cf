"""Find the lines of a file that contain a text, reading the file's bytes in chunks.

The dataset screen searches files of any size without loading them: `search_file` reads a few
MB at a time, compares bytes (ASCII letters case-insensitively, by lowering the chunk), and
yields the matching line numbers as it goes, so the first match can be shown while the rest of
the file is still being read.

A JSONL line stores text as JSON: "é" may be written as `\\u00e9` and a quote as `\\"`. The
query is therefore looked for both as plain UTF-8 and in its JSON-escaped forms, and in lower-
and upper-case variants so that simple non-ASCII cases (`ç` / `Ç`) match too.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass

CHUNK_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class SearchBatch:
    """Matches found in one more chunk: new 1-based line numbers, ascending, each once."""

    lines: list[int]
    bytes_scanned: int
    total_bytes: int
    done: bool


def needles(query: str) -> list[bytes]:
    """The byte strings that count as the query in a JSONL file, lowered for ASCII.

    Plain UTF-8, JSON-escaped (`\\u00e9`, `\\"`), each for the query as typed, lower-cased and
    upper-cased; duplicates and empty strings dropped. Longest first.
    """
    found: dict[bytes, None] = {}
    for variant in (query, query.lower(), query.upper()):
        for form in (
            variant,
            json.dumps(variant, ensure_ascii=False)[1:-1],
            json.dumps(variant, ensure_ascii=True)[1:-1],
        ):
            encoded = form.encode("utf-8").lower()
            if encoded:
                found[encoded] = None
    return sorted(found, key=len, reverse=True)


def search_file(
    path: str | os.PathLike[str],
    query: str,
    *,
    chunk_bytes: int = CHUNK_BYTES,
    cancel: threading.Event | None = None,
) -> Iterator[SearchBatch]:
    """Yield the lines of `path` that contain `query`, one batch per chunk read.

    Memory stays at about two chunks whatever the file or line size. A set `cancel` event stops
    the search between chunks (the last batch then has `done=False`). Raises OSError when the
    file cannot be read.
    """
    patterns = needles(query)
    if not patterns:
        return
    overlap = max(len(p) for p in patterns) - 1
    last_line = 0  # the highest line reported so far
    with open(path, "rb", buffering=0) as f:
        total = os.fstat(f.fileno()).st_size
        scanned = 0
        tail = b""
        line_at_start = 1  # the line number of buf[0]
        while True:
            if cancel is not None and cancel.is_set():
                return
            chunk = f.read(chunk_bytes)
            if not chunk:
                break
            scanned += len(chunk)
            hay = (tail + chunk).lower()
            found: set[int] = set()
            for pattern in patterns:
                _find_lines(hay, pattern, line_at_start, found)
            new = sorted(n for n in found if n > last_line)
            if new:
                last_line = new[-1]
            keep = min(overlap, len(hay))
            cut = len(hay) - keep
            line_at_start += hay.count(b"\n", 0, cut)
            tail = hay[cut:]
            yield SearchBatch(new, scanned, total, False)
    yield SearchBatch([], scanned, total, True)


def _find_lines(hay: bytes, pattern: bytes, first_line: int, found: set[int]) -> None:
    """Add to `found` the line of every occurrence of `pattern`; one find per matching line."""
    find = hay.find
    count = hay.count
    line = first_line
    counted_to = 0
    i = find(pattern)
    while i >= 0:
        line += count(b"\n", counted_to, i)
        counted_to = i
        found.add(line)
        nl = find(b"\n", i)
        if nl < 0:
            return
        i = find(pattern, nl + 1)
