"""One-line summaries of training examples, for a list that shows thousands of them.

The dataset screen draws one row per line of the file and summarises only the rows on screen:
the roles in order (`S U A U A`), the first words of the first user turn, and whether the line
could be read at all. Summaries never raise: a bad line is a summary that says what is wrong.

Together AI also takes instruction (`prompt`/`completion`, shown `P → C` and the prompt's first
words) and plain-text (`text`, shown `T`) examples; for another service they are bad lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tuner.data.durations import format_size
from tuner.data.service_kinds import OPENAI, RulesFamily, facts_for

if TYPE_CHECKING:
    from tuner.data.jsonl.line_index import LineIndex
from tuner.data.jsonl.json_values import JsonFaultError, json_type, load

BOM = b"\xef\xbb\xbf"

# A line longer than this is not parsed for the list: a 100 MB line would freeze the row.
MAX_SUMMARY_BYTES = 4 * 1024 * 1024

ROLE_LETTERS = {
    "system": "S",
    "developer": "D",
    "user": "U",
    "assistant": "A",
    "tool": "T",
    "function": "F",
}


@dataclass(frozen=True, slots=True)
class ExampleSummary:
    """What a list row shows for one line.

    `roles` is the role letters separated by spaces (`S U A`; `?` for an unknown role, and for a
    preference example the input's roles then `→ A|A`), `text` the first user words (or what is
    wrong with the line), `bad` True when the line is not a usable example, `blank` for an empty
    line.
    """

    roles: str
    text: str
    bad: bool = False
    blank: bool = False


def _content_text(content: Any) -> str:
    """The readable text of a message's content: a string, or a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        pieces = []
        for part in content:
            if isinstance(part, dict):
                if isinstance(part.get("text"), str):
                    pieces.append(part["text"])
                elif part.get("type") == "image_url":
                    pieces.append("[image]")
            elif isinstance(part, str):
                pieces.append(part)
        return " ".join(pieces)
    return ""


def _roles(messages: Any) -> tuple[list[str], str]:
    letters: list[str] = []
    first_user = ""
    if not isinstance(messages, list):
        return letters, first_user
    for message in messages:
        if not isinstance(message, dict):
            letters.append("?")
            continue
        role = message.get("role")
        letters.append(ROLE_LETTERS.get(role, "?") if isinstance(role, str) else "?")
        if role == "user" and not first_user:
            first_user = _content_text(message.get("content"))
    return letters, first_user


def _one_line(text: str, limit: int = 200) -> str:
    """Whitespace collapsed to single spaces, control characters dropped, cut to `limit`."""
    words = " ".join(text[: limit * 2].split())[:limit]
    return words if words.isprintable() else "".join(c for c in words if c.isprintable())


def _fault_label(reason: str) -> str:
    """A few words for a row: what is wrong when it is not a plain syntax error."""
    if reason.startswith("nested too deeply"):
        return "not valid JSON: nested too deeply"
    if reason.startswith("a number"):
        return "not valid JSON: a number too long"
    return "not valid JSON"


def summarise_line(raw: bytes, service: str = OPENAI) -> ExampleSummary:
    """Summarise one raw JSONL line (bytes without the line ending) as an example for
    `service`; never raises."""
    if raw.startswith(BOM):
        raw = raw[3:]
    if not raw or raw.isspace():
        return ExampleSummary("", "(blank line)", bad=True, blank=True)
    if len(raw) > MAX_SUMMARY_BYTES:
        return ExampleSummary("", f"(line of {format_size(len(raw))}, not summarised)", bad=True)
    try:
        obj = load(raw)
    except JsonFaultError as bad:
        if bad.fault.code == "invalid_utf8":
            return ExampleSummary("", "(not UTF-8)", bad=True)
        label = _fault_label(bad.fault.reason)
        snippet = _one_line(raw[:400].decode("utf-8", "replace"))
        return ExampleSummary("", f"({label}) {snippet}", bad=True)
    if not isinstance(obj, dict):
        return ExampleSummary("", f"(a JSON {json_type(obj)}, not an object)", bad=True)
    if "messages" in obj:
        letters, first_user = _roles(obj["messages"])
        bad = not letters
        text = first_user or ("(no messages)" if bad else "")
        return ExampleSummary(" ".join(letters), _one_line(text), bad=bad)
    if "input" in obj or "preferred_output" in obj:
        source = obj.get("input")
        letters, first_user = _roles(source.get("messages") if isinstance(source, dict) else None)
        return ExampleSummary(" ".join([*letters, "→", "A|A"]), _one_line(first_user))
    if facts_for(service).rules is RulesFamily.TOGETHER:
        if "prompt" in obj or "completion" in obj:
            return ExampleSummary("P → C", _one_line(_content_text(obj.get("prompt"))))
        if "text" in obj:
            return ExampleSummary("T", _one_line(_content_text(obj.get("text"))))
    keys = ", ".join(str(k) for k in list(obj)[:3]) or "no keys"
    return ExampleSummary("", f"(no messages: {keys})", bad=True)


def summarise_indexed(index: LineIndex | None, line: int, service: str = OPENAI) -> ExampleSummary:
    """The list row of `line` of an indexed file, as an example for `service`; never raises (an
    unreadable line says so).

    Called for the rows on screen only; a line too long to parse says how long it is instead.
    """
    if index is None:
        return ExampleSummary("", "", bad=True)
    try:
        start, end = index.line_span(line)
        if end - start > MAX_SUMMARY_BYTES:
            size = format_size(end - start)
            return ExampleSummary("", f"(line of {size}, too long to summarise)", bad=True)
        return summarise_line(index.line_bytes(line), service)
    except (OSError, IndexError) as exc:
        reason = exc.strerror.lower() if isinstance(exc, OSError) and exc.strerror else str(exc)
        return ExampleSummary("", f"(cannot read: {reason})", bad=True)
