"""Read the top-level objects of a JSON array or of pretty-printed objects, one at a time.

Hand-made training data arrives as a JSON array or as pretty-printed objects one after another,
possibly hundreds of MB, possibly with mistakes. `TopLevelObjects` keeps in memory only the
object being read (`json_scan` finds where it ends), so memory stays a small multiple of the
largest object. When an object is broken it is reported once, where the parser stopped and with
the likely cause, and reading resumes at the next line that can start a top-level object: after
a stray quote, an inner object can look like a new one, and must never be taken for an example.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from tuner.data.jsonl.json_scan import BracketScanner, Scan, previous_byte
from tuner.data.jsonl.json_values import JsonFault, JsonFaultError, json_type, load, short_json

BOM = b"\xef\xbb\xbf"
# What a converter says of a byte-order mark past the start of the file (validate's rule
# `byte_order_mark` says the same of a line that starts with one).
STRAY_BOM = "a UTF-8 byte-order mark (U+FEFF), as left by joining files; removed"
_CHUNK = 1 << 20
_SEPARATORS = re.compile(rb"[ \t\r\n,]*")
_BARE_TOKEN = re.compile(rb'[^ \t\r\n,\[\]{}"]*')
_NEXT_OBJECT_LINE = re.compile(rb"\n([ \t]*)\{")
_CONTENT = re.compile(rb"[^ \t\r\n,\]}]")
_INSIDE_A_VALUE = frozenset(b"{[:")
_STRING_REST = re.compile(rb'[^"\\\n]*(?:\\[^\n][^"\\\n]*)*')
_NOT_CONTINUATION = bytes(b for b in range(256) if not 0x80 <= b < 0xC0)

# (line, column, object, its bytes in the input), 1-based as an editor shows them.
Positioned = tuple[int, int, dict[str, Any], bytes]
Skip = Callable[[int, int, str], None]


class NotUtf8(ValueError):
    """The input holds bytes that are not UTF-8 at `line` (byte `offset` in the file)."""

    def __init__(self, line: int, offset: int, reason: str) -> None:
        super().__init__(f"line {line}, byte offset {offset}: {reason}")
        self.line = line
        self.offset = offset
        self.reason = reason


def _chars(data: bytes | bytearray) -> int:
    """Characters in UTF-8 `data`: its bytes minus the continuation bytes."""
    return len(data) - len(data.translate(None, _NOT_CONTINUATION))


class _Window:
    """The part of the input still needed, and the line and column of offsets in it.

    Offsets are into `buf`; `more` drops what is no longer needed, so callers shift their
    offsets by what it returns. Line and column are counted forward from a cursor, never from
    the start of the file again.
    """

    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        self.buf = bytearray()
        self.eof = False
        self.dropped = 0  # bytes dropped so far: the file offset of buf[0]
        self._at = 0
        self._line = 1
        self._col = 1

    def more(self, keep_from: int) -> int:
        """Drop the bytes before `keep_from`, read the next chunk; return how many were dropped."""
        if keep_from:
            self.locate(keep_from)
            del self.buf[:keep_from]
            self._at -= keep_from
            self.dropped += keep_from
        chunk = self.f.read(_CHUNK)
        if chunk:
            self.buf += chunk
        else:
            self.eof = True
        return keep_from

    def skip_bom(self) -> int:
        """Count columns from after the byte-order mark at the start; return where it ends."""
        self._at = len(BOM)
        return self._at

    def locate(self, i: int) -> tuple[int, int]:
        """1-based (line, column in characters) of offset `i`; offsets only move forward."""
        buf, at = self.buf, self._at
        if i > at:
            newlines = buf.count(b"\n", at, i)
            if newlines:
                self._line += newlines
                self._col = 1 + _chars(buf[buf.rfind(b"\n", at, i) + 1 : i])
            else:
                self._col += _chars(buf[at:i])
            self._at = i
        return self._line, self._col


class TopLevelObjects:
    """The objects of a JSON array, or of objects one after another, one at a time.

    `skip(line, column, message)` is told of every value that is not a usable object; bytes
    that are not UTF-8 raise `NotUtf8`, since the whole file must then be saved again.
    A byte-order mark between values past the start (left by joining files) is passed over,
    and `note(line, column, message)` told of it when given.
    """

    def __init__(self, f: BinaryIO, skip: Skip, note: Skip | None = None) -> None:
        self.window = _Window(f)
        self._skip = skip
        self._note = note
        self.indent: int | None = None  # the first object's indentation: where examples start

    def __iter__(self) -> Iterator[Positioned]:
        """(line, column, object, its bytes) for each usable top-level object, in order."""
        window = self.window
        window.more(0)
        pos = 0
        if window.buf.startswith(BOM):
            pos = window.skip_bom()
        first, in_array = True, False
        while True:
            pos = self._skip_separators(pos)
            if pos >= len(window.buf):
                return
            char = window.buf[pos : pos + 1]
            if char == BOM[:1] and self._at_bom(pos):
                if self._note is not None:
                    line, column = window.locate(pos)
                    self._note(line, column, STRAY_BOM)
                pos += len(BOM)
                continue
            if first and char == b"[":
                first, in_array, pos = False, True, pos + 1
            elif in_array and char == b"]":
                in_array, pos = False, pos + 1
            elif char in (b"{", b"["):
                first = False
                pos = yield from self._container(pos)
            else:
                first = False
                pos = self._not_an_object(pos)

    def _at_bom(self, pos: int) -> bool:
        """Whether a byte-order mark starts at `pos` (reading on if it is cut at the chunk's
        end; `pos` keeps its place, since nothing before it is dropped)."""
        window = self.window
        while len(window.buf) - pos < len(BOM) and not window.eof:
            window.more(0)
        return window.buf.startswith(BOM, pos)

    def _skip_separators(self, pos: int) -> int:
        window = self.window
        while True:
            pos = _SEPARATORS.match(window.buf, pos).end()  # type: ignore[union-attr]
            if pos < len(window.buf) or window.eof:
                return pos
            pos -= window.more(pos)

    def _container(self, start: int) -> Iterator[Positioned]:
        """Yield the object starting at `start` if it is one; return where the next value may
        start."""
        window = self.window
        scanner = BracketScanner(start)
        while True:
            status, at = scanner.advance(window.buf, window.eof)
            if status is not Scan.MORE:
                break
            dropped = window.more(start)
            start -= dropped
            scanner.shift(dropped)
        line, column = window.locate(start)
        if self.indent is None:
            self.indent = column - 1
        skipped = f"skipped the object starting at line {line}"
        if status is Scan.BROKEN:
            where, reason = self._break_fault(start, at, line, column)
            return self._skip_to_next_object(at, where, f"{reason}; {skipped}")
        raw = _copy(window.buf, start, at)
        try:
            value = load(raw)
        except JsonFaultError as bad:
            where = self._fault_position(bad.fault, raw, start, line, column)
            return self._skip_to_next_object(at, where, f"{bad.fault.reason}; {skipped}")
        if isinstance(value, dict):
            yield line, column, value, raw
        else:
            self._skip(line, column, f"a JSON {json_type(value)}, not an object; skipped")
        return at

    def _fault_position(
        self, fault: JsonFault, raw: bytes, start: int, line: int, column: int
    ) -> tuple[int, int]:
        """Line and column of `fault` in the object at `start` (bytes `raw`, at `line`,
        `column`); bytes that are not UTF-8 stop the whole conversion instead."""
        if fault.code == "invalid_utf8":
            offset = fault.byte_offset or 0
            bad_line = line + raw.count(b"\n", 0, offset)
            raise NotUtf8(bad_line, self.window.dropped + start + offset, fault.reason)
        if fault.offset is None:
            return line, column
        return _offset_position(raw, fault.offset, line, column)

    def _break_fault(
        self, start: int, at: int, line: int, column: int
    ) -> tuple[tuple[int, int], str]:
        """Where and why the object at `start`, whose structure breaks at `at`, is wrong: the
        first fault a parser finds in it, or else the break itself."""
        window = self.window
        raw = _copy(window.buf, start, at)
        try:
            load(raw)
        except JsonFaultError as bad:
            if not bad.fault.reason.startswith("the text ends"):
                return self._fault_position(bad.fault, raw, start, line, column), bad.fault.reason
        return window.locate(at), _break_reason(window.buf, at)

    def _skip_to_next_object(self, pos: int, where: tuple[int, int], message: str) -> int:
        """Report a broken object at `where` and go on at the next line that starts an object.

        After a fault, what follows on the same lines may still belong to the broken object (a
        stray quote swaps what is string and what is structure, so an inner object can look
        like a new one): it is skipped too, and the report says so.
        """
        target, skipped_more = self._resync(pos, after_object=True)
        if skipped_more:
            window = self.window
            at_end = target >= len(window.buf) and window.eof
            upto = "the end of the file" if at_end else f"line {window.locate(target)[0]}"
            message += f", and the rest up to {upto}"
        self._skip(*where, message)
        return target

    def _resync(self, pos: int, *, after_object: bool) -> tuple[int, bool]:
        """Where the next example starts after a broken object or stray text: the first line
        (from `pos` on) that starts with "{" at the first object's indentation or less, or the
        end; and whether anything but separators was passed on the way."""
        window = self.window
        if window.buf[pos : pos + 1] == b"{" and self._may_start_example(pos, after_object):
            return pos, False
        passed = False
        while True:
            for found in _NEXT_OBJECT_LINE.finditer(window.buf, pos):
                target = found.end() - 1
                if self._may_start_example(target, after_object):
                    return target, passed or _has_content(window.buf, pos, target)
            if window.eof:
                return len(window.buf), passed or _has_content(window.buf, pos, len(window.buf))
            last_newline = window.buf.rfind(b"\n", pos)
            keep = last_newline if last_newline >= 0 else len(window.buf)
            passed = passed or _has_content(window.buf, pos, keep)
            pos = keep - window.more(keep)

    def _may_start_example(self, pos: int, after_object: bool) -> bool:
        """Whether the "{" at `pos` can start a top-level object: first on its line, indented
        no deeper than the first example, and, after a broken object, not right after "{",
        "[" or ":" (where it would be a value inside that object)."""
        buf = self.window.buf
        line_start = buf.rfind(b"\n", 0, pos) + 1
        if line_start == 0 and self.window.dropped:
            return False  # the line began before what is kept: not worth the guess
        prefix = buf[line_start:pos]
        if prefix.strip(b" \t") or (self.indent is not None and len(prefix) > self.indent):
            return False
        return not after_object or previous_byte(buf, pos) not in _INSIDE_A_VALUE

    def _not_an_object(self, pos: int) -> int:
        """A top-level string, number, literal or stray text: report it, return where to go on."""
        window = self.window
        line, column = window.locate(pos)
        if window.buf[pos : pos + 1] == b'"':
            pos, end = self._string_end(pos)
        else:
            pos, end = self._token_end(pos)
        token = _copy(window.buf, pos, end) if end is not None else b""
        try:
            value = load(token) if token else None
        except JsonFaultError:
            value = None
        if token and (value is not None or token == b"null"):
            self._skip(line, column, f"a JSON {json_type(value)}, not an object; skipped")
            return end  # type: ignore[return-value]  # a token was found, so end is set
        text = bytes(window.buf[pos : pos + 40]).split(b"\n", 1)[0].decode("utf-8", "replace")
        self._skip(
            line,
            column,
            f"text outside any object ({short_json(text)}); skipped up to the next object",
        )
        return self._resync(pos, after_object=False)[0]

    def _string_end(self, pos: int) -> tuple[int, int | None]:
        """(where the string now starts, just past its end), the end None when it breaks."""
        window = self.window
        scan_from = pos + 1
        while True:
            end = _STRING_REST.match(window.buf, scan_from).end()  # type: ignore[union-attr]
            size = len(window.buf)
            if end < size and window.buf[end] == 0x22:
                return pos, end + 1
            if (end < size and (window.buf[end] == 0x0A or end + 1 < size)) or window.eof:
                return pos, None
            dropped = window.more(pos)
            pos, scan_from = pos - dropped, end - dropped

    def _token_end(self, pos: int) -> tuple[int, int]:
        """(where the bare token now starts, just past its end)."""
        window = self.window
        while True:
            end = _BARE_TOKEN.match(window.buf, pos).end()  # type: ignore[union-attr]
            if end < len(window.buf) or window.eof:
                return pos, end
            pos -= window.more(pos)


def _has_content(buf: bytearray, start: int, end: int) -> bool:
    """Whether `buf[start:end]` holds more than whitespace, commas and closing brackets."""
    return _CONTENT.search(buf, start, end) is not None


def _copy(buf: bytearray, start: int, end: int) -> bytes:
    """`buf[start:end]` as bytes, copied once (slicing a bytearray first would copy twice)."""
    with memoryview(buf) as view:
        return bytes(view[start:end])


def _offset_position(raw: bytes, offset: int, line: int, column: int) -> tuple[int, int]:
    """Line and column of character `offset` in `raw`, which starts at (`line`, `column`)."""
    text = raw.decode("utf-8", "replace")
    newlines = text.count("\n", 0, offset)
    if not newlines:
        return line, column + offset
    return line + newlines, offset - text.rfind("\n", 0, offset)


def _break_reason(buf: bytearray, at: int) -> str:
    """Why the structure breaks at `at` (see `json_scan.BracketScanner`)."""
    char = buf[at : at + 1]
    if not char:
        return "the file ends inside this object (a missing } or ])"
    if char in (b"\n", b"\\"):
        return 'a string is not closed before the end of its line (a missing ")'
    if char in (b"}", b"]"):
        return f"a closing {char.decode()} that does not match the bracket it closes"
    return "a new object starts before this one is closed (a missing } or ])"
