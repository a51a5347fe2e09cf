"""Turn hand-made JSON into clean JSONL: one example per line, UTF-8, nothing escaped needlessly.

Accepted input: a JSON array of examples; a stream of pretty-printed objects, with or without
commas between them and with trailing commas inside them (as hand-written data has); or JSONL
with stray blank lines.

Everything is streamed, so memory stays a small multiple of the largest example whatever the
file's size: JSONL line by line, arrays and pretty-printed objects one top-level value at a time
(`json_stream`). A value that cannot be read is reported
once, with its line and column and the likely cause (curly or single quotes, a missing comma, an
object left open), and conversion resumes at the next top-level object: an object nested in a
broken one is never taken for an example. A key repeated inside one object is reported too, not
silently reduced to its last value.

The output is written to a hidden temporary file next to the target (`.OUT.XXXX.tmp`), synced,
then renamed over it, so a failed or interrupted conversion never leaves a partial file in its
place. A replaced file keeps its permissions; a new one gets the usual 0666 minus the umask. A
symbolic link as the target is written through: the file it points to is replaced, the link
stays.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from tuner.data.jsonl.atomic_file import (
    OutputError,
    describe_os_error,
    output_target,
    write_atomically,
)
from tuner.data.jsonl.json_scan import blank_trailing_commas
from tuner.data.jsonl.json_stream import (
    BOM,
    STRAY_BOM,
    NotUtf8,
    Positioned,
    Skip,
    TopLevelObjects,
)
from tuner.data.jsonl.json_values import (
    JsonFault,
    JsonFaultError,
    compact_json,
    duplicate_key_reason,
    json_type,
    load,
    repeated_key,
)
from tuner.data.jsonl.lines import iter_lines
from tuner.data.rules.file import foreign_encoding

_CHUNK = 1 << 20


class ConversionError(Exception):
    """The input cannot be converted at all, or the output cannot be written; one line."""


@dataclass(frozen=True, slots=True)
class ConversionIssue:
    """An object that could not be converted; `line` and `column` are 1-based in the input."""

    line: int
    column: int
    message: str

    def located(self) -> str:
        """`line 3, column 14: message`: where, then what."""
        return f"line {self.line:,}, column {self.column}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass(slots=True)
class ConversionResult:
    """How a conversion went: examples written and what was skipped.

    `input_kind` is "jsonl" (line by line) or "json" (an array or pretty-printed objects).
    `written` is False when nothing could be converted, in which case no output was created.
    `warnings` are things put right on the way (a byte-order mark inside the file, left by
    joining files): the examples were written, without them.
    """

    examples_written: int = 0
    skipped: list[ConversionIssue] = field(default_factory=list)
    warnings: list[ConversionIssue] = field(default_factory=list)
    input_kind: str = "jsonl"
    written: bool = False


def detect_input_kind(path: str | os.PathLike[str]) -> str:
    """'jsonl' when the first non-blank line is a complete JSON value (not an array), else
    'json' (an array, or pretty-printed objects).

    An array is known by its first byte; any other first line is read whole (its length is
    what streaming JSONL line by line would hold anyway) and must parse on its own.
    """
    start, first = _first_significant_byte(path)
    if first is None:
        return "jsonl"
    if first == b"[":
        return "json"
    for _, raw in iter_lines(path, start, first_line=1):
        try:
            orjson.loads(raw.removeprefix(BOM).strip())
        except orjson.JSONDecodeError:
            return "json"
        return "jsonl"
    return "jsonl"


def _first_significant_byte(path: str | os.PathLike[str]) -> tuple[int, bytes | None]:
    """(where the line holding the first non-blank byte starts, that byte), BOM skipped."""
    offset, line_start = 0, 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            if offset == 0 and chunk.startswith(BOM):
                chunk, offset = chunk[3:], 3  # the line still starts at 0
            stripped = chunk.lstrip()
            if stripped:
                at = len(chunk) - len(stripped)
                newline = chunk.rfind(b"\n", 0, at)
                if newline >= 0:
                    line_start = offset + newline + 1
                return line_start, stripped[:1]
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                line_start = offset + newline + 1
            offset += len(chunk)
    return 0, None


def convert_file(
    src: str | os.PathLike[str], dst: str | os.PathLike[str], *, force: bool = False
) -> ConversionResult:
    """Convert `src` into clean JSONL at `dst` and return what was written and skipped.

    Raises `FileExistsError` if `dst` exists (even as a dangling symbolic link) and `force` is
    False; `ConversionError` if `src` cannot be converted at all (a directory, not UTF-8) or
    `dst` cannot be written (a missing folder, a full disk); `OSError` if `src` cannot be read.
    When no example at all could be converted, `dst` is left untouched.
    """
    src_path = Path(src)
    try:
        target = output_target(dst, force=force)
        _check_input(src_path)
        kind = detect_input_kind(src_path)
        result = ConversionResult(input_kind=kind)
        with contextlib.ExitStack() as stack:
            if kind == "jsonl":
                examples = _jsonl_examples(src_path, result)
            else:
                f = stack.enter_context(open(src_path, "rb", buffering=0))
                objects = TopLevelObjects(f, _skipper(result), _noter(result))
                examples = iter(objects)
            result.written = write_atomically(target, _write_examples(examples, result))
    except OutputError as exc:
        raise ConversionError(str(exc)) from None
    except NotUtf8 as bad:
        raise ConversionError(f"{src_path} is not UTF-8 ({bad}); save it as UTF-8 first") from None
    return result


def _skipper(result: ConversionResult) -> Skip:
    def skip(line: int, column: int, message: str) -> None:
        result.skipped.append(ConversionIssue(line, column, message))

    return skip


def _noter(result: ConversionResult) -> Skip:
    def note(line: int, column: int, message: str) -> None:
        result.warnings.append(ConversionIssue(line, column, message))

    return note


def _check_input(src: Path) -> None:
    try:
        mode = os.stat(src).st_mode
    except OSError as exc:
        raise ConversionError(f"{src}: {describe_os_error(exc)}") from None
    if stat.S_ISDIR(mode):
        raise ConversionError(f"{src} is a directory, not a file")
    if not stat.S_ISREG(mode):
        raise ConversionError(f"{src} is not a regular file")
    with open(src, "rb") as f:
        encoding = foreign_encoding(f.read(4))
    if encoding is not None:
        raise ConversionError(f"{src} is encoded as {encoding}: save it as UTF-8 first")


# -- JSONL input (streamed line by line) ------------------------------------------------------

# The bytes of each example let the writer look for repeated keys.
Writer = Callable[[BinaryIO], bool]


def _jsonl_examples(path: Path, result: ConversionResult) -> Iterator[Positioned]:
    for line, raw in iter_lines(path):
        assert line is not None
        if raw.startswith(BOM):
            raw = raw[len(BOM) :]
            if line != 1:
                result.warnings.append(ConversionIssue(line, 1, STRAY_BOM))
        if not raw.strip():
            continue
        try:
            value = load(raw)
        except JsonFaultError as bad:
            fixed = _without_trailing_commas(raw)
            if fixed is None:
                result.skipped.append(_line_issue(bad.fault, line))
                continue
            raw, value = fixed
        if not isinstance(value, dict):
            result.skipped.append(
                ConversionIssue(line, 1, f"a JSON {json_type(value)}, not an object; skipped")
            )
            continue
        yield line, 1, value, raw


def _without_trailing_commas(raw: bytes) -> tuple[bytes, Any] | None:
    """The line and its value once trailing commas are blanked (and one at its end dropped)."""
    if b"," not in raw:
        return None
    buf = bytearray(raw)
    blank_trailing_commas(buf)
    cleaned = bytes(buf).rstrip().removesuffix(b",")
    try:
        return cleaned, load(cleaned)
    except JsonFaultError:
        return None


def _line_issue(fault: JsonFault, line: int) -> ConversionIssue:
    if fault.code == "invalid_utf8":
        return ConversionIssue(line, (fault.byte_offset or 0) + 1, f"{fault.reason}; skipped")
    column = fault.offset + 1 if fault.offset is not None else 1
    return ConversionIssue(line, column, f"not valid JSON: {fault.reason}; skipped")


# -- writing ----------------------------------------------------------------------------------


def _write_examples(examples: Iterator[Positioned], result: ConversionResult) -> Writer:
    """The writer for `write_atomically`: each example as one line; True if any was written."""

    def write(out: BinaryIO) -> bool:
        dumps = orjson.dumps
        for line, column, obj, raw in examples:
            try:
                data = dumps(obj, option=orjson.OPT_APPEND_NEWLINE)
            except orjson.JSONEncodeError:  # nested over the 255 levels orjson writes
                data = compact_json(obj) + b"\n"
            key = repeated_key(raw, data)
            if key is not None:
                issue = ConversionIssue(line, column, f"{duplicate_key_reason(key)}; skipped")
                result.skipped.append(issue)
                continue
            out.write(data)
            result.examples_written += 1
        return result.examples_written > 0

    return write
