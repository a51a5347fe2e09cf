"""Turn hand-made JSON into clean JSONL: one example per line, UTF-8, nothing escaped needlessly.

Accepted input: a JSON array of examples; a stream of pretty-printed objects, with or without
commas between them and with trailing commas inside them (as hand-written data has); or JSONL
with stray blank lines. Objects that cannot be read are reported with their line and column
in the input and skipped; conversion goes on with the next object it can find.

JSONL input is streamed line by line. Arrays and pretty-printed JSON are read whole, which is
fine up to a few hundred MB (memory about three times the file size).

The output is written to a temporary file next to it, synced, then renamed over the target,
so a failed or interrupted conversion never leaves a partial file in its place.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from tuner.data.lines import iter_lines
from tuner.data.rules import json_type

BOM = b"\xef\xbb\xbf"
_SNIFF_BYTES = 64 * 1024

# A JSON string (escapes included), or a comma followed only by whitespace and a closing
# bracket. Strings are matched first, so a comma inside a string is never touched.
_TRAILING_COMMA = re.compile(r'"(?:[^"\\]|\\.)*"|,(?=\s*[}\]])', re.DOTALL)


class ConversionError(Exception):
    """The input cannot be converted at all (unreadable, not UTF-8); one line for the user."""


@dataclass(frozen=True, slots=True)
class ConversionIssue:
    """An object that could not be converted; `line` and `column` are 1-based in the input."""

    line: int
    column: int
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass(slots=True)
class ConversionResult:
    """How a conversion went: examples written and what was skipped.

    `input_kind` is "jsonl" (line by line) or "json" (an array or pretty-printed objects).
    `written` is False when nothing could be converted, in which case no output was created.
    """

    examples_written: int = 0
    skipped: list[ConversionIssue] = field(default_factory=list)
    input_kind: str = "jsonl"
    written: bool = False


def detect_input_kind(path: str | os.PathLike[str]) -> str:
    """'jsonl' when the first line is a complete JSON value, else 'json' (array or pretty)."""
    with open(path, "rb") as f:
        head = f.read(_SNIFF_BYTES)
    head = head.removeprefix(BOM).lstrip()
    if not head or head[:1] == b"[":
        return "jsonl" if not head else "json"
    first_line = head.split(b"\n", 1)[0]
    try:
        orjson.loads(first_line)
    except orjson.JSONDecodeError:
        return "json"
    return "jsonl"


def convert_file(
    src: str | os.PathLike[str], dst: str | os.PathLike[str], *, force: bool = False
) -> ConversionResult:
    """Convert `src` into clean JSONL at `dst` and return what was written and skipped.

    Raises `FileExistsError` if `dst` exists and `force` is False, `ConversionError` if `src`
    cannot be decoded at all, and `OSError` if it cannot be read or `dst` cannot be written.
    When no example at all could be converted, `dst` is left untouched.
    """
    src_path, dst_path = Path(src), Path(dst)
    if dst_path.exists() and not force:
        raise FileExistsError(f"{dst_path} already exists; use --force to overwrite it")
    if not src_path.is_file():
        raise ConversionError(f"{src_path} is not a readable file")
    kind = detect_input_kind(src_path)
    result = ConversionResult(input_kind=kind)
    examples = (
        _jsonl_examples(src_path, result) if kind == "jsonl" else _json_examples(src_path, result)
    )
    _write_atomically(dst_path, examples, result)
    return result


# -- JSONL input (streamed) -------------------------------------------------------------------


Positioned = tuple[int, int, dict[str, Any]]


def _jsonl_examples(path: Path, result: ConversionResult) -> Iterator[Positioned]:
    for line, raw in iter_lines(path):
        assert line is not None
        if line == 1:
            raw = raw.removeprefix(BOM)
        if not raw.strip():
            continue
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            obj = _retry_without_trailing_commas(raw)
            if obj is None:
                result.skipped.append(_orjson_issue(raw, exc, line))
                continue
        if not isinstance(obj, dict):
            result.skipped.append(
                ConversionIssue(line, 1, f"a JSON {json_type(obj)}, not an object; skipped")
            )
            continue
        yield line, 1, obj


def _retry_without_trailing_commas(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    cleaned = strip_trailing_commas(text).rstrip().removesuffix(",")
    try:
        return orjson.loads(cleaned)
    except orjson.JSONDecodeError:
        return None


def _orjson_issue(raw: bytes, exc: orjson.JSONDecodeError, line: int) -> ConversionIssue:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        return ConversionIssue(line, bad.start + 1, f"not UTF-8 ({bad.reason}); skipped")
    column = exc.colno if isinstance(exc.colno, int) and exc.colno > 0 else 1
    return ConversionIssue(line, column, f"invalid JSON: {exc.msg}; skipped")


# -- JSON array or pretty-printed objects (read whole) ----------------------------------------


def strip_trailing_commas(text: str) -> str:
    """Blank out commas that directly precede "}" or "]" outside strings (positions kept)."""
    return _TRAILING_COMMA.sub(_blank_comma, text)


def _blank_comma(match: re.Match[str]) -> str:
    token = match.group()
    return " " if token == "," else token


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _json_examples(path: Path, result: ConversionResult) -> Iterator[Positioned]:
    data = path.read_bytes().removeprefix(BOM)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as bad:
        line = data.count(b"\n", 0, bad.start) + 1
        raise ConversionError(
            f"{path} is not UTF-8 (line {line}, byte offset {bad.start}: {bad.reason}); "
            "save it as UTF-8 first"
        ) from None
    del data
    text = strip_trailing_commas(text)
    positions = _Positions(text)
    size = len(text)
    pos = _skip_separators(text, 0)
    if pos < size and text[pos] == "[":  # a top-level array: its items are the examples
        pos = _skip_separators(text, pos + 1)
    while pos < size:
        if text[pos] == "]":
            pos = _skip_separators(text, pos + 1)
            continue
        try:
            obj, end = _DECODER.raw_decode(text, pos)
        except (json.JSONDecodeError, ValueError, RecursionError) as exc:
            result.skipped.append(_json_issue(positions, pos, exc))
            pos = _resync(text, pos)
            continue
        line, column = positions.line_col(pos)
        if isinstance(obj, dict):
            yield line, column, obj
        else:
            result.skipped.append(
                ConversionIssue(line, column, f"a JSON {json_type(obj)}, not an object; skipped")
            )
        pos = _skip_separators(text, end)


def _skip_separators(text: str, pos: int) -> int:
    size = len(text)
    while pos < size and text[pos] in " \t\r\n,":
        pos += 1
    return pos


def _json_issue(positions: _Positions, start: int, exc: Exception) -> ConversionIssue:
    """Point at the error itself; name the line where the skipped object started."""
    line, column = positions.line_col(start)
    if isinstance(exc, json.JSONDecodeError):
        error_line, error_column = positions.line_col(exc.pos)
        message = f"{exc.msg}; skipped the object starting at line {line}"
        return ConversionIssue(error_line, error_column, message)
    detail = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
    return ConversionIssue(line, column, f"{detail}; skipped the object starting here")


def _resync(text: str, start: int) -> int:
    """Where the next example starts after a broken one: the next line whose first non-blank
    character is "{" at the broken object's indentation or less (or the end of the text)."""
    size = len(text)
    indent = start - (text.rfind("\n", 0, start) + 1)
    pos = text.find("\n", start)
    while pos >= 0:
        pos += 1
        probe = pos
        limit = min(size, pos + indent)
        while probe < limit and text[probe] in " \t":
            probe += 1
        if probe < size and text[probe] == "{":
            return probe
        pos = text.find("\n", pos)
    return size


class _Positions:
    """Line and column of increasing offsets in `text`, without recounting from the start."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1

    def line_col(self, pos: int) -> tuple[int, int]:
        if pos < self.pos:
            self.pos, self.line = 0, 1
        self.line += self.text.count("\n", self.pos, pos)
        self.pos = pos
        return self.line, pos - (self.text.rfind("\n", 0, pos) + 1) + 1


# -- writing ----------------------------------------------------------------------------------


def _write_atomically(dst: Path, examples: Iterator[Positioned], result: ConversionResult) -> None:
    directory = dst.parent if str(dst.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=directory)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as out:
            _write_examples(out, examples, result)
            out.flush()
            os.fsync(out.fileno())
        if result.examples_written == 0:
            tmp.unlink()
            return
        os.replace(tmp, dst)
        result.written = True
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _write_examples(
    out: BinaryIO, examples: Iterator[Positioned], result: ConversionResult
) -> None:
    dumps = orjson.dumps
    for line, column, obj in examples:
        try:
            data = dumps(obj, option=orjson.OPT_APPEND_NEWLINE)
        except orjson.JSONEncodeError as exc:
            result.skipped.append(ConversionIssue(line, column, f"cannot write it: {exc}; skipped"))
            continue
        out.write(data)
        result.examples_written += 1
