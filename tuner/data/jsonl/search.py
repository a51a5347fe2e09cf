"""Find the lines of a file that contain a text, in any script and case, reading it in chunks.

The dataset screen searches files of any size without loading them: `search_file` reads a
megabyte at a time and yields the matching line numbers as it goes, so the first match can be shown
while the rest of the file is still being read.

Case is ignored the way a reader ignores it, in every script: both sides are compared after
`fold`, which is Unicode full case folding (`str.casefold`: `Ü`/`ü`, `ß`/`ss`, `Σ`/`σ`/`ς`)
plus Turkish dotted and dotless i (`İ`, `i`, `ı` and `I` all match each other: a Turkish reader
types `indirim` for "İndirim", an English one `INDEX` for "index"). Folding can change a
text's length (`ß` becomes `ss`), so `find_spans` maps matches back to the original text for
highlighting.

A JSONL line stores text as JSON: "é" may be written as `\\u00e9` and a quote as `\\"`. Each
chunk's `\\uXXXX` escapes of printable characters are read as the characters they stand for,
and the query is also looked for in its JSON-escaped form (`\\"`, `\\\\`).
"""

from __future__ import annotations

import codecs
import json
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

# A chunk is folded in one call that holds the GIL: small enough to keep the screen smooth.
CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class SearchBatch:
    """Matches found in one more chunk: new 1-based line numbers, ascending, each once."""

    lines: list[int]
    bytes_scanned: int
    total_bytes: int
    done: bool


def fold(text: str) -> str:
    """`text` with case folded away in every script, for comparing: `str.casefold`, with the
    Turkish `İ` and `ı` read as plain `i` first (casefold makes `İ` an `i` with a combining dot
    and keeps `ı`, so neither would match the `i` and `I` a reader types)."""
    if text.isascii():
        return text.lower()
    return text.replace("İ", "i").replace("ı", "i").casefold()


def _fold_char(char: str) -> str:
    """One character folded as `fold` folds it (a `İ` alone becomes `i`, not `i` + dot)."""
    if char == "İ" or char == "ı":
        return "i"
    return char.casefold()


def find_spans(text: str, query: str) -> list[tuple[int, int]]:
    """Where `query` occurs in `text`, ignoring case as `fold` does: (start, end) offsets into
    `text` itself, ascending and not overlapping, for highlighting.

    A match that begins or ends inside one character's folding (the `s` of `ß` -> `ss`) covers
    that whole character.
    """
    wanted = fold(query)
    if not wanted or not text:
        return []
    if text.isascii():
        folded, origin = text.lower(), None
    else:
        pieces: list[str] = []
        origin_list: list[int] = []  # origin_list[i]: the index in `text` of folded char i
        for index, char in enumerate(text):
            piece = _fold_char(char)
            pieces.append(piece)
            origin_list.extend([index] * len(piece))
        folded, origin = "".join(pieces), origin_list
    spans: list[tuple[int, int]] = []
    at = folded.find(wanted)
    while at >= 0:
        last = at + len(wanted) - 1
        start, end = (at, last + 1) if origin is None else (origin[at], origin[last] + 1)
        if spans and start < spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
        at = folded.find(wanted, at + len(wanted))
    return spans


def needles(query: str) -> list[str]:
    """The folded strings that count as the query in a JSONL line whose `\\uXXXX` escapes were
    read as characters (`unescape`): the query itself and its JSON-escaped form (`\\"`, `\\\\`);
    empty strings and duplicates dropped, longest first."""
    forms = {fold(query): None, fold(json.dumps(query, ensure_ascii=False)[1:-1]): None}
    return sorted((form for form in forms if form), key=len, reverse=True)


def unescape(text: str) -> str:
    """`text` with JSON's `\\uXXXX` escapes of printable characters read as those characters;
    escapes of line breaks and other control characters, of `"` and of `\\` stay as they are,
    so lines and the JSON-escaped forms that `needles` gives keep their place."""
    if "\\u" not in text:
        return text
    return _ESCAPE.sub(_unescaped, text)


# A \uXXXX escape, a surrogate pair of them, or \\ (matched so that the `u0130` of `\\u0130`
# is not taken for an escape).
_ESCAPE = re.compile(
    r"\\(?:u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|\\)"
)


def _unescaped(match: re.Match[str]) -> str:
    high, low, single = match.groups()
    if high is not None:
        return chr(0x10000 + ((int(high, 16) - 0xD800) << 10) + (int(low, 16) - 0xDC00))
    if single is None:
        return match.group(0)  # an escaped backslash
    code = int(single, 16)
    if code < 0x20 or code in (0x22, 0x5C, 0x7F) or 0xD800 <= code < 0xE000:
        return match.group(0)
    return chr(code)


# The most raw characters one folded character can come from: a surrogate pair's escapes.
_RAW_PER_FOLDED = 12


def search_file(
    path: str | os.PathLike[str],
    query: str,
    *,
    chunk_bytes: int = CHUNK_BYTES,
    cancel: threading.Event | None = None,
) -> Iterator[SearchBatch]:
    """Yield the lines of `path` that contain `query` (ignoring case as `fold` does), one batch
    per chunk read.

    Memory stays at a few chunks whatever the file or line size; bytes that are not UTF-8 read
    as U+FFFD. A set `cancel` event stops the search between chunks (the last batch then has
    `done=False`). Raises OSError when the file cannot be read.
    """
    patterns = needles(query)
    if not patterns:
        return
    # Raw characters carried from one chunk to the next, so a match across the cut is found.
    overlap = _RAW_PER_FOLDED * max(len(p) for p in patterns)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    last_line = 0  # the highest line reported so far
    with open(path, "rb", buffering=0) as f:
        total = os.fstat(f.fileno()).st_size
        scanned = 0
        tail = ""
        line_at_start = 1  # the line number of the haystack's first character
        while True:
            if cancel is not None and cancel.is_set():
                return
            chunk = f.read(chunk_bytes)
            scanned += len(chunk)
            raw = tail + decoder.decode(chunk, final=not chunk)
            # An escape the chunk cut in two (`\u00` + `dc`) is searched once it is whole.
            ready = len(raw) if not chunk else _before_open_escape(raw, len(raw))
            hay = fold(unescape(raw[:ready]))  # neither changes the line breaks
            found: set[int] = set()
            for pattern in patterns:
                _find_lines(hay, pattern, line_at_start, found)
            new = sorted(n for n in found if n > last_line)
            if new:
                last_line = new[-1]
            if not chunk:
                break
            cut = _before_open_escape(raw, max(0, ready - overlap))  # never inside an escape
            line_at_start += raw.count("\n", 0, cut)
            tail = raw[cut:]
            yield SearchBatch(new, scanned, total, False)
    yield SearchBatch(new, scanned, total, True)


def _before_open_escape(raw: str, end: int) -> int:
    """`end`, or the first escape starting in the 11 characters before it (one may run past
    it: a surrogate pair's is 12 characters long): where a haystack may end, or the next one
    begin, without cutting an escape in two."""
    at = raw.find("\\", max(0, end - _RAW_PER_FOLDED + 1), end)
    while at >= 0:
        before = 0  # backslashes right before it: an odd count makes it the second of a `\\`
        while at - before > 0 and raw[at - before - 1] == "\\":
            before += 1
        if before % 2 == 0:
            # The second half of a surrogate pair goes with its first.
            if _LOW_ESCAPE.match(raw, at) and _HIGH_ESCAPE.match(raw, max(0, at - 6), at):
                return _before_open_escape(raw, at - 5)
            return at
        at = raw.find("\\", at + 1, end)
    return end


_HIGH_ESCAPE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}$")
_LOW_ESCAPE = re.compile(r"\\u[dD][c-fC-F][0-9a-fA-F]{2}")


def _find_lines(hay: str, pattern: str, first_line: int, found: set[int]) -> None:
    """Add to `found` the line of every occurrence of `pattern`; one find per matching line."""
    find = hay.find
    count = hay.count
    line = first_line
    counted_to = 0
    i = find(pattern)
    while i >= 0:
        line += count("\n", counted_to, i)
        counted_to = i
        found.add(line)
        nl = find("\n", i)
        if nl < 0:
            return
        i = find(pattern, nl + 1)
