"""Parse one JSON document the way the service would, and say in plain words why it cannot be.

orjson is the validator's hot loop and stays so; this module adds what orjson leaves out:

- Duplicate keys. Every JSON parser the service may use keeps the last value of a repeated key
  silently, so `{"messages": [...], "messages": []}` loses the first list without a word. A
  cheap count (`repeated_key`) proves most lines free of repeats; only a line that might hold
  one is parsed a second time, by `json` with a hook that sees every key.
- Messages for people. orjson names the parser's view ("unexpected character", "depth limit
  exceeded", "number is infinity when parsed as double"); `JsonFault.reason` names the likely
  cause instead: curly or single quotes, a missing or trailing comma, nesting too deep, a number
  with too many digits.

Everything here is iterative: a document nested thousands of levels deep is reported, never a
RecursionError.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import orjson

# orjson refuses documents nested deeper than this (and says "depth limit exceeded").
MAX_DEPTH = 1024

_CURLY_DOUBLE = "“”„‟″"
_CURLY_SINGLE = "‘’‚‛′"
# The escapes that could hide a colon from a byte count (\u003a, \u003A).
_ESCAPED_COLON = b"\\u003"


@dataclass(frozen=True, slots=True)
class JsonFault:
    """Why a document cannot be used as it is.

    `code` is the validator's stable code (`invalid_json`, `invalid_utf8`, `duplicate_key`);
    `reason` is one clause for people, without a location; `offset` is the 0-based character
    offset in the document where the fault is (None when it is about the whole document), and
    `byte_offset` the byte offset, for faults found in the bytes (not UTF-8).
    """

    code: str
    reason: str
    offset: int | None = None
    byte_offset: int | None = None


class JsonFaultError(ValueError):
    """Raised by `parse_document`; `fault` says what is wrong."""

    def __init__(self, fault: JsonFault) -> None:
        super().__init__(fault.reason)
        self.fault = fault


@dataclass(frozen=True, slots=True)
class Parsed:
    """A parsed document.

    `canonical` is its compact JSON with sorted keys (None when orjson cannot write it, e.g.
    nested over 255 levels): equal examples have equal canonical bytes. `duplicate` is the
    `duplicate_key` fault when a key repeats inside one object (`value` then holds the last
    value of that key, as the service would read it).
    """

    value: Any
    canonical: bytes | None
    duplicate: JsonFault | None = None


def parse_document(raw: bytes | bytearray | memoryview, *, check_duplicates: bool = True) -> Parsed:
    """Parse `raw` (one complete JSON document) or raise `JsonFaultError` naming the cause.

    With `check_duplicates`, a key repeated inside one object is reported in `duplicate`.
    """
    value = load(raw)
    canonical = canonical_json(value)
    duplicate = None
    if check_duplicates and isinstance(value, dict | list):
        key = repeated_key(raw, canonical)
        if key is not None:
            duplicate = JsonFault("duplicate_key", duplicate_key_reason(key))
    return Parsed(value, canonical, duplicate)


def load(raw: bytes | bytearray | memoryview) -> Any:
    """`orjson.loads`, raising `JsonFaultError` with the cause named instead of orjson's error."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise JsonFaultError(describe_decode_error(raw, exc)) from None


def duplicate_key_reason(key: str) -> str:
    """The message for a key that repeats inside one object."""
    return (
        f"the key {_quoted(key)} appears twice in one object; the service would keep only the last"
    )


def canonical_json(value: Any) -> bytes | None:
    """Compact JSON with sorted keys (equal for equal values), or None past 255 levels."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:  # nested over orjson's 255 levels for writing
        return None


# -- duplicate keys ---------------------------------------------------------------------------


def repeated_key(raw: bytes | bytearray | memoryview, canonical: bytes | None) -> str | None:
    """The first key that appears twice in one object of the document `raw`, or None.

    `canonical` is the parsed document written back by orjson. In JSON a colon is either the
    one after a key or a character inside a string, and orjson writes every string's colons as
    they are. So unless `raw` spells a colon as a \\u escape, `raw` has as many colons as
    `canonical` exactly when no key was dropped: two byte counts (about a microsecond for a
    2 KB line) prove most lines free of repeats, and only the rest are parsed a second time.
    """
    data = bytes(raw) if not isinstance(raw, bytes) else raw
    if (
        canonical is not None
        and data.count(b":") == canonical.count(b":")
        and not (b"\\" in data and _ESCAPED_COLON in data)
    ):
        return None
    return _first_repeated_key(data)


class _Repeated(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Repeated(key)
            seen.add(key)
    return result


def _first_repeated_key(data: bytes) -> str | None:
    try:
        json.loads(data, object_pairs_hook=_no_repeats)
    except _Repeated as found:
        return found.key
    except (ValueError, RecursionError):  # orjson accepted it; json's own limits are not ours
        return None
    return None


# -- decode errors ----------------------------------------------------------------------------


def describe_decode_error(
    raw: bytes | bytearray | memoryview, exc: orjson.JSONDecodeError
) -> JsonFault:
    """The fault behind an orjson decode error, with the likely cause named."""
    data = bytes(raw) if not isinstance(raw, bytes) else raw
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as bad:
        return JsonFault("invalid_utf8", f"not UTF-8 ({bad.reason})", None, bad.start)
    doc = exc.doc if isinstance(exc.doc, str) else data.decode("utf-8")
    pos = exc.pos if isinstance(exc.pos, int) and 0 <= exc.pos <= len(doc) else None
    message = exc.msg or str(exc).split(":", 1)[0]
    return JsonFault("invalid_json", _reason(message, doc, pos), pos)


def _reason(message: str, doc: str, pos: int | None) -> str:
    if message == "depth limit exceeded":
        return f"nested too deeply (more than {MAX_DEPTH:,} levels of objects and arrays)"
    if message.startswith("number is infinity"):
        return _number_reason(doc, pos)
    if message.startswith("unexpected end of data"):
        return 'the text ends before the JSON value does (a missing } or ] or ")'
    if message.startswith("unexpected content after document"):
        rest = doc[pos:].strip() if pos is not None else ""
        if rest == ",":
            return "a comma after the end of the object; remove it"
        return "more text after the end of the JSON value (two values on one line?)"
    if message.startswith("trailing comma"):
        return "a trailing comma before a closing } or ]; remove it"
    cause = _cause_at(message, doc, pos)
    return f"{message}; {cause}" if cause else message


def _cause_at(message: str, doc: str, pos: int | None) -> str | None:
    """The likely mistake at `doc[pos]`, the character orjson stopped at."""
    if pos is None or pos >= len(doc):
        return None
    char = doc[pos]
    if char in _CURLY_DOUBLE or char in _CURLY_SINGLE:
        return f'{char} is a curly quote; JSON strings need straight double quotes "'
    if char == "'":
        return 'single quotes are not JSON quotes; use straight double quotes "'
    if "expected ','" in message:
        if char in '"{[-0123456789' or doc.startswith(("true", "false", "null"), pos):
            return "a comma is missing before it"
        if char.isalpha() and doc[:pos].rstrip().endswith('"'):
            return 'a " inside a string must be written \\"'
    if char in "}]" and ("expected a string key" in message or "expected a JSON value" in message):
        return "a trailing comma before it; remove the comma"
    return None


def _number_reason(doc: str, pos: int | None) -> str:
    if pos is None:
        return "a number too large to store"
    end = pos
    while end < len(doc) and doc[end] in "+-0123456789.eE":
        end += 1
    token = doc[pos:end]
    digits = sum(c.isdigit() for c in token.split("e")[0].split("E")[0])
    if "e" not in token.lower() and digits > 20:
        return f"a number with too many digits ({digits:,})"
    return f"a number too large to store ({_clip(token, 24)})"


# -- writing values ---------------------------------------------------------------------------


def compact_json(value: Any) -> bytes:
    """`value` as compact UTF-8 JSON, like orjson writes it, at any depth (orjson stops at 255
    levels; this goes on without recursion)."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return _json_without_recursion(value).encode("utf-8", "surrogatepass")


class _Raw(str):
    """Text to emit as it is, on `_json_without_recursion`'s stack."""


_COMMA, _CLOSE_OBJECT, _CLOSE_ARRAY = _Raw(","), _Raw("}"), _Raw("]")


def _json_without_recursion(value: object) -> str:
    out: list[str] = []
    stack: list[object] = [value]
    while stack:
        item = stack.pop()
        if type(item) is _Raw:
            out.append(item)
        elif isinstance(item, dict):
            out.append("{")
            stack.append(_CLOSE_OBJECT)
            pairs = list(item.items())
            for index in range(len(pairs) - 1, -1, -1):
                key, member = pairs[index]
                stack.append(member)
                stack.append(_Raw(json.dumps(str(key), ensure_ascii=False) + ":"))
                if index:
                    stack.append(_COMMA)
        elif isinstance(item, list):
            out.append("[")
            stack.append(_CLOSE_ARRAY)
            for index in range(len(item) - 1, -1, -1):
                stack.append(item[index])
                if index:
                    stack.append(_COMMA)
        else:
            out.append(json.dumps(item, ensure_ascii=False))
    return "".join(out)


# -- naming values in messages ----------------------------------------------------------------


def json_type(value: object) -> str:
    """The JSON name of a parsed value's type, for messages ("a JSON array, not an object")."""
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def short_json(value: object, limit: int = 40) -> str:
    """`value` as a short text for a message: a string's repr, anything else as compact JSON."""
    text = repr(value) if isinstance(value, str) else _json_text(value)
    return _clip(text, limit)


def _json_text(value: object) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # JSONEncodeError is a TypeError: too deep for orjson, or not JSON
        return f"a JSON {json_type(value)}" if isinstance(value, dict | list) else repr(value)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quoted(key: str) -> str:
    return json.dumps(_clip(key, 60), ensure_ascii=False)
