"""Find where a JSON value ends in a stream of bytes, without parsing it and without recursion.

`tuner convert` reads hand-made files of any size: a JSON array of examples, pretty-printed
objects one after another, any of them hundreds of MB. Parsing a whole file at once costs many
times its size in memory, and recursive parsers crash on deep nesting. `BracketScanner` looks
only at the bytes that give JSON its structure: quotes, brackets and braces (a string is skipped
with one regular-expression match). With a stack of the brackets still open it knows where each
value ends, which trailing commas to blank, and where a broken value stops making sense:

- a newline inside a string (JSON strings cannot hold one: a quote is missing),
- a closing bracket of the wrong kind,
- an opening bracket where no value can start (in an object, anywhere but after a key's
  colon; in an array, anywhere but first or after a comma): the previous object was not closed.

Positions are byte offsets into a `bytearray` that the caller grows as it reads.
"""

from __future__ import annotations

import re
from enum import Enum

_STRUCTURE = re.compile(rb'["{}\[\]]')
# The rest of a string after its opening quote: stops at the closing quote, a newline (a broken
# string), or the end of the data read so far (a backslash at the very end waits for more).
_STRING_REST = re.compile(rb'[^"\\\n]*(?:\\[^\n][^"\\\n]*)*')
_WHITESPACE = b" \t\r\n"
_OPEN_CURLY, _OPEN_SQUARE, _CLOSE_CURLY = 0x7B, 0x5B, 0x7D
_QUOTE, _NEWLINE, _COMMA = 0x22, 0x0A, 0x2C
# What may come right before an opening bracket (ignoring whitespace), by the bracket it is
# inside: in an object only a key's colon; in an array its own bracket or a comma.
_VALUE_MAY_FOLLOW = {_OPEN_CURLY: frozenset(b":"), _OPEN_SQUARE: frozenset(b"[,")}


class Scan(Enum):
    """What `BracketScanner.advance` found."""

    END = "end"  # the value ends; the offset is just past it
    BROKEN = "broken"  # the structure is broken at the offset
    MORE = "more"  # the data so far ends inside the value: read more and call again


class BracketScanner:
    """Scans one object or array that starts at `start` (its opening bracket).

    Call `advance(buf, at_eof)` until it returns END or BROKEN; between calls the caller may
    append to `buf`, or drop bytes before the value's start and `shift` the scanner by as many.
    Trailing commas before a closing bracket are blanked in `buf` as they are met, so the value's
    bytes parse as strict JSON afterwards.
    """

    __slots__ = ("in_string", "pos", "stack")

    def __init__(self, start: int) -> None:
        self.pos = start
        self.stack = bytearray()
        self.in_string = False

    def shift(self, dropped: int) -> None:
        """The caller removed `dropped` bytes from the front of the buffer."""
        self.pos -= dropped

    def advance(self, buf: bytearray, at_eof: bool) -> tuple[Scan, int]:
        """Scan on from where the last call stopped: (END, end), (BROKEN, at) or (MORE, 0)."""
        pos, stack, size = self.pos, self.stack, len(buf)
        search, string_rest = _STRUCTURE.search, _STRING_REST.match
        while True:
            if self.in_string:
                end = string_rest(buf, pos).end()  # type: ignore[union-attr]  # always matches
                if end < size and buf[end] == _QUOTE:
                    self.in_string = False
                    pos = end + 1
                    continue
                if end < size and (buf[end] == _NEWLINE or end + 1 < size):
                    return Scan.BROKEN, end  # a newline in the string (perhaps after a backslash)
                self.pos = end
                return (Scan.BROKEN, size) if at_eof else (Scan.MORE, 0)
            found = search(buf, pos)
            if found is None:
                self.pos = size
                return (Scan.BROKEN, size) if at_eof else (Scan.MORE, 0)
            i = found.start()
            char = buf[i]
            if char == _QUOTE:
                self.in_string = True
                pos = i + 1
            elif char in (_OPEN_CURLY, _OPEN_SQUARE):
                if stack and previous_byte(buf, i) not in _VALUE_MAY_FOLLOW[stack[-1]]:
                    return Scan.BROKEN, i
                stack.append(char)
                pos = i + 1
            else:
                opener = stack.pop()
                if (opener == _OPEN_CURLY) != (char == _CLOSE_CURLY):
                    return Scan.BROKEN, i
                blank_comma_before(buf, i)
                pos = i + 1
                if not stack:
                    self.pos = pos
                    return Scan.END, pos


def previous_byte(buf: bytearray, i: int) -> int:
    """The first byte before `i` that is not whitespace (-1 at the start)."""
    i -= 1
    while i >= 0 and buf[i] in _WHITESPACE:
        i -= 1
    return buf[i] if i >= 0 else -1


def blank_comma_before(buf: bytearray, i: int) -> None:
    """Blank a comma that comes right before `i` (whitespace aside): a trailing comma."""
    i -= 1
    while i >= 0 and buf[i] in _WHITESPACE:
        i -= 1
    if i >= 0 and buf[i] == _COMMA:
        buf[i] = 0x20


def blank_trailing_commas(buf: bytearray) -> None:
    """Blank, in place, every comma that directly precedes "}" or "]" outside strings.

    Offsets do not move, so a parser's error positions still point into the original text.
    """
    pos, size = 0, len(buf)
    search, string_rest = _STRUCTURE.search, _STRING_REST.match
    while pos < size:
        found = search(buf, pos)
        if found is None:
            return
        i = found.start()
        if buf[i] == _QUOTE:
            end = string_rest(buf, i + 1).end()  # type: ignore[union-attr]  # always matches
            pos = end + 1
        else:
            if buf[i] in b"}]":
                blank_comma_before(buf, i)
            pos = i + 1


def value_end(data: bytes) -> int | None:
    """Where the object or array at the start of `data` (after whitespace) ends, or None when
    `data` ends first or the value is broken. Used to sniff a file's first bytes."""
    buf = bytearray(data)
    start = len(buf) - len(buf.lstrip())
    if start >= len(buf) or buf[start] not in b"{[":
        return None
    status, at = BracketScanner(start).advance(buf, at_eof=True)
    return at if status is Scan.END else None
