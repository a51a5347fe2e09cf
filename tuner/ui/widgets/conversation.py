"""The preview of one example: its turns as a conversation, or the line's JSON, never a traceback.

`build_preview` turns a line's bytes into a Rich renderable: role-coloured turns (the system
prompt set apart), tool calls and tool results as their own blocks, weight-0 assistant turns
marked as not trained, images as placeholders, preference (DPO) examples as input, preferred
and non-preferred outputs. Long turns wrap; only pathological sizes are cut, and the cut says
how much was left out. `ConversationView` shows it in a scrollable pane.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import orjson
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tuner.data.durations import format_size
from tuner.data.jsonl.json_values import load
from tuner.data.jsonl.search import find_spans
from tuner.data.visible_text import visible, visible_line
from tuner.ui.outside import outside

if TYPE_CHECKING:
    from tuner.data.rules.problems import Problem

# The raw view pretty-prints at most this much; more is cut with a note saying how much.
RAW_LIMIT = 64 * 1024
# One turn shows at most this many characters (a base64 blob is not worth wrapping).
TURN_LIMIT = 50_000
# Lines longer than this are not parsed for the preview: their start is shown raw.
PARSE_LIMIT = 4 * 1024 * 1024

ROLE_STYLES = {
    "system": "bold magenta",
    "developer": "bold magenta",
    "user": "bold cyan",
    "assistant": "bold green",
    "tool": "bold yellow",
    "function": "bold yellow",
}
ROLE_LABEL_WIDTH = 10
# Where the text of an active search shows in a turn.
MATCH_STYLE = "bold black on yellow"


def _cut(text: str, limit: int) -> tuple[str, str | None]:
    if len(text) <= limit:
        return text, None
    return text[:limit], f"… ({len(text) - limit:,} more characters)"


def _image_placeholder(part: dict[str, Any]) -> str:
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, dict) else image
    if isinstance(url, str) and url.startswith("data:"):
        return f"[image: inline data, {format_size(len(url))}]"
    if isinstance(url, str):
        shown = url if len(url) <= 80 else url[:77] + "…"
        return f"[image: {visible_line(shown)}]"
    return "[image]"


def _content(content: Any) -> Text:
    """A message's content as wrapped text: string, list of parts, or anything else as JSON."""
    text = Text()
    if content is None:
        return text
    if isinstance(content, str):
        body, note = _cut(content, TURN_LIMIT)
        text.append(visible(body))
        if note:
            text.append("\n" + note, style="dim")
        return text
    if isinstance(content, list):
        for i, part in enumerate(content):
            if i:
                text.append("\n")
            if isinstance(part, dict) and part.get("type") == "image_url":
                text.append(_image_placeholder(part), style="italic dim")
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                text.append_text(_content(part["text"]))
            elif isinstance(part, dict) and isinstance(part.get("refusal"), str):
                text.append("refusal: ", style="italic")
                text.append(visible(part["refusal"]))
            else:
                text.append(_compact(part), style="dim")
        return text
    return Text(_compact(content), style="dim")


def _compact(value: Any) -> str:
    try:
        shown = orjson.dumps(value).decode("utf-8")
    except (TypeError, ValueError):  # orjson.JSONEncodeError, also for values nested too deep
        shown = "(a value nested too deeply to show)"
    # JSON escapes C0 controls but not C1 ones (orjson writes them as they are).
    return visible(_cut(shown, TURN_LIMIT)[0])


def _call_text(name: Any, arguments: Any) -> Text:
    args = arguments if isinstance(arguments, str) else _compact(arguments)
    text = Text("→ ", style="yellow")
    text.append(visible_line(str(name)) if name is not None else "?", style="bold yellow")
    text.append("(")
    text.append(visible(_cut(args, TURN_LIMIT)[0]))
    text.append(")")
    return text


def mark_matches(text: Text, find: str | None) -> Text:
    """`text` with every occurrence of `find` (ignoring case in every script, as the search
    does) styled as a match; the spans are the original text's, whatever folding did."""
    if find:
        for start, end in find_spans(text.plain, find):
            text.stylize(MATCH_STYLE, start, end)
    return text


def _turns(table: Table, messages: Any, label_suffix: str = "", find: str | None = None) -> None:
    if not isinstance(messages, list):
        table.add_row(Text("?", style="bold red"), Text("(no message list)", style="dim"))
        return
    for message in messages:
        if not isinstance(message, dict):
            table.add_row(Text("?", style="bold red"), Text(_compact(message), style="dim"))
            continue
        role = message.get("role")
        role_name = role if isinstance(role, str) else "?"
        style = ROLE_STYLES.get(role_name, "bold red")
        label = outside(role_name.upper() + label_suffix, style)
        body = _content(message.get("content"))
        if role_name == "system":
            body.stylize("italic")
        untrained = role_name == "assistant" and message.get("weight", 1) == 0
        if untrained:
            body.stylize("dim")
            body = Text.assemble(("weight 0 · not trained\n", "italic dim"), body)
        if message.get("name"):
            name = visible_line(str(message["name"]))
            body = Text.assemble((f"name: {name}\n", "dim"), body)
        if role_name == "tool" and message.get("tool_call_id"):
            call_id = visible_line(str(message["tool_call_id"]))
            body = Text.assemble((f"result of {call_id}\n", "dim"), body)
        if isinstance(message.get("refusal"), str):
            refusal = visible(message["refusal"])
            body.append(("\n" if body else "") + "refusal: " + refusal, style="italic")
        calls = message.get("tool_calls")
        if isinstance(calls, list):
            for call in calls:
                function = call.get("function") if isinstance(call, dict) else None
                if isinstance(function, dict):
                    call_line = _call_text(function.get("name"), function.get("arguments"))
                else:
                    call_line = Text(_compact(call), style="yellow")
                if isinstance(call, dict) and call.get("id"):
                    call_line.append(f"  [{visible_line(str(call['id']))}]", style="dim")
                body.append("\n" if body else "")
                body.append_text(call_line)
        function_call = message.get("function_call")
        if isinstance(function_call, dict):
            body.append("\n" if body else "")
            body.append_text(_call_text(function_call.get("name"), function_call.get("arguments")))
        if not body:
            body = Text("(empty)", style="dim")
        table.add_row(label, mark_matches(body, find))


def _grid() -> Table:
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(no_wrap=True, width=ROLE_LABEL_WIDTH)
    table.add_column(ratio=1, overflow="fold")
    return table


def _section(title: str, style: str) -> Text:
    return Text(title, style=style)


def problem_lines(problems: Iterable[Problem]) -> list[Text]:
    out = []
    for p in problems:
        mark, style = ("✗", "bold red") if p.is_error else ("!", "bold yellow")
        where = f" (message {p.message_index})" if p.message_index is not None else ""
        line = Text.assemble((f"{mark} {p.code}", style), outside(f"{where}: {p.message}"))
        out.append(line)
    return out


def _decode(raw: bytes) -> tuple[str, bool]:
    """Text for display; the flag is False when bytes were not UTF-8 (shown replaced)."""
    try:
        return raw.decode("utf-8"), True
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace"), False


def _raw_block(
    raw: bytes, total: int, pretty: bool, find: str | None = None
) -> list[RenderableType]:
    """The line as text: pretty JSON when it parses and is small, else the bytes as they are."""
    parts: list[RenderableType] = []
    shown = raw[:RAW_LIMIT]
    if pretty and total <= RAW_LIMIT:
        try:
            text = orjson.dumps(load(raw.removeprefix(b"\xef\xbb\xbf")), option=orjson.OPT_INDENT_2)
        except (ValueError, TypeError, RecursionError):  # not JSON, or too deep to indent
            pass
        else:
            parts.append(mark_matches(Text(visible(text.decode("utf-8")), overflow="fold"), find))
            return parts
    decoded, ok = _decode(shown)
    if not ok:
        parts.append(Text("(bytes that are not UTF-8 are shown as �)", style="italic dim"))
    parts.append(mark_matches(Text(visible(decoded), overflow="fold"), find))
    if total > len(shown):
        parts.append(Text(f"… ({format_size(total - len(shown))} more)", style="bold dim"))
    return parts


def build_preview(
    line: int,
    raw: bytes,
    total: int,
    problems: Sequence[Problem] = (),
    tokens: int | None = None,
    *,
    show_raw: bool = False,
    find: str | None = None,
) -> RenderableType:
    """The preview of line `line`, whose first bytes are `raw` out of `total`.

    Problems of the line come first. `show_raw` shows the line's JSON (pretty-printed when
    small enough) instead of the conversation. `find` is the active search's text: where it
    occurs, it is marked. Never raises on any input.
    """
    head = Text.assemble((f"line {line:,}", "bold"))
    parts: list[RenderableType] = [*problem_lines(problems)]
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    if total > PARSE_LIMIT or show_raw:
        head.append(f" · {format_size(total)}", style="dim")
        if show_raw:
            head.append(" · raw JSON (r: conversation)", style="dim")
        return Group(head, *parts, *_raw_block(body, total, pretty=show_raw, find=find))
    if not body.strip():
        head.append(" · blank line", style="dim")
        return Group(head, *parts, Text("(nothing on this line)", style="dim"))
    try:
        body.decode("utf-8")
        obj = load(body)
    except UnicodeDecodeError:
        head.append(" · not UTF-8", style="dim")
        if not problems:
            parts.append(Text("This line holds bytes that are not UTF-8.", style="bold red"))
        return Group(head, *parts, *_raw_block(body, total, pretty=False, find=find))
    except ValueError:
        head.append(" · not an example", style="dim")
        if not problems:
            parts.append(Text("This line is not valid JSON.", style="bold red"))
        return Group(head, *parts, *_raw_block(body, total, pretty=False, find=find))
    if tokens is not None:
        head.append(f" · {tokens:,} tokens", style="dim")
    if not isinstance(obj, dict):
        head.append(" · not an example", style="dim")
        return Group(head, *parts, *_raw_block(body, total, pretty=True, find=find))
    table = _grid()
    if "messages" in obj:
        messages = obj.get("messages")
        count = len(messages) if isinstance(messages, list) else 0
        head.append(f" · chat · {count} message{'s' if count != 1 else ''}", style="dim")
        _tools_row(table, obj)
        _turns(table, messages, find=find)
    elif "input" in obj or "preferred_output" in obj or "non_preferred_output" in obj:
        head.append(" · preference (DPO)", style="dim")
        source = obj.get("input")
        table.add_row(_section("INPUT", "bold"), Text(""))
        if isinstance(source, dict):
            _tools_row(table, source)
            _turns(table, source.get("messages"), find=find)
        else:
            table.add_row(Text("?", style="bold red"), Text(_compact(source), style="dim"))
        table.add_row(_section("PREFERRED", "bold green"), Text("✓ the output to learn"))
        _turns(table, obj.get("preferred_output"), find=find)
        table.add_row(_section("REJECTED", "bold red"), Text("✗ the output to avoid"))
        _turns(table, obj.get("non_preferred_output"), "", find=find)
    else:
        head.append(" · not an example", style="dim")
        return Group(head, *parts, *_raw_block(body, total, pretty=True, find=find))
    head.append(" · r: raw JSON", style="dim")
    return Group(head, *parts, table)


def _tools_row(table: Table, obj: dict[str, Any]) -> None:
    names = []
    for key in ("tools", "functions"):
        items = obj.get(key)
        if isinstance(items, list):
            for item in items:
                function = item.get("function", item) if isinstance(item, dict) else None
                name = function.get("name") if isinstance(function, dict) else None
                names.append(str(name) if name else "?")
    if names:
        table.add_row(Text("TOOLS", style="bold yellow"), outside(", ".join(names), "yellow"))


class ConversationView(VerticalScroll):
    """A scrollable pane showing `build_preview`'s result."""

    DEFAULT_CSS = """
    ConversationView {
        height: 1fr;
        padding: 0 1;
    }
    ConversationView > #conversation-body {
        width: 1fr;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="conversation-body")

    def show(self, renderable: RenderableType) -> None:
        self.query_one("#conversation-body", Static).update(renderable)
        self.scroll_home(animate=False)

    @property
    def body(self) -> Static:
        return self.query_one("#conversation-body", Static)
