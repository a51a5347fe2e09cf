"""Per-example checks for Together AI: which of its formats a line is, and that format's rules.

Together takes four JSONL formats, each known by its keys (the SDK's
`JSONL_REQUIRED_COLUMNS_MAP` in `together/lib/constants.py`, and the "Data preparation" page):
conversational (`messages`, optionally `tools`), instruction (`prompt` and `completion`), plain
text (`text`, the SDK's "general") and preference (`input`, `preferred_output`,
`non_preferred_output`, the same shape as OpenAI's DPO files). "If the same file has two
possible formats (for example both text and messages), the server rejects it": a line holding
the keys of two formats is an error, and so is a file mixing formats (`file_rules`). Other keys
"will be ignored during training" (docs) while Together's older clients refused the file for
them (together-python's "Found extra column"), so they are warned about.

The conversation rules are in `together_messages`, content and images in `together_content`,
tools in `together_tools`. The preference rules follow together-py's
`validate_preference_openai`: the input's last message is not the assistant's, and each output is
a list of exactly one assistant message with content.
"""

from __future__ import annotations

import difflib
from typing import Any

from tuner.data.jsonl.json_values import json_type, short_json
from tuner.data.rules.problems import DatasetFormat, Problem, error, warning
from tuner.data.rules.together_content import check_content
from tuner.data.rules.together_messages import check_conversation
from tuner.data.rules.together_tools import check_tools

FORMAT_KEYS: dict[DatasetFormat, tuple[str, ...]] = {
    DatasetFormat.CHAT: ("messages",),
    DatasetFormat.INSTRUCTION: ("prompt", "completion"),
    DatasetFormat.TEXT: ("text",),
    DatasetFormat.PREFERENCE: ("input", "preferred_output", "non_preferred_output"),
}
EXTRA_KEYS: dict[DatasetFormat, tuple[str, ...]] = {DatasetFormat.CHAT: ("tools",)}
FORMAT_NAMES: dict[DatasetFormat, str] = {
    DatasetFormat.CHAT: "conversational ('messages')",
    DatasetFormat.INSTRUCTION: "instruction ('prompt' and 'completion')",
    DatasetFormat.TEXT: "plain text ('text')",
    DatasetFormat.PREFERENCE: "preference ('input', 'preferred_output', 'non_preferred_output')",
}
_ALL_KEYS = sorted({key for keys in FORMAT_KEYS.values() for key in keys} | {"tools"})
_INPUT_KEYS = ("messages", "tools")
_IGNORED_TOP = {
    "functions": "OpenAI's legacy list of functions; Together ignores it: give them as 'tools'",
    "parallel_tool_calls": "Together ignores it",
}


def check_together_example(
    obj: dict[str, Any], line: int, problems: list[Problem]
) -> DatasetFormat | None:
    """Check one parsed example against Together's rules; return its format (None when it is
    none of them, or two at once)."""
    complete = [fmt for fmt, keys in FORMAT_KEYS.items() if all(key in obj for key in keys)]
    if len(complete) > 1:
        names = " and ".join(FORMAT_NAMES[fmt] for fmt in complete)
        problems.append(
            error(
                "ambiguous_format",
                f"the example has the keys of two Together formats, {names}; Together refuses "
                "a file whose examples could be read either way: keep one",
                line,
            )
        )
        return None
    fmt = complete[0] if complete else _partial_format(obj)
    if fmt is None:
        _no_format(obj, line, problems)
        return None
    allowed = FORMAT_KEYS[fmt] + EXTRA_KEYS.get(fmt, ())
    for key in obj:
        if key not in allowed:
            problems.append(_extra_key(key, fmt, allowed, obj, line))
    if fmt is DatasetFormat.CHAT:
        tool_names = check_tools(obj["tools"], line, problems) if "tools" in obj else None
        check_conversation(obj["messages"], line, problems, tool_names=tool_names)
    elif fmt is DatasetFormat.PREFERENCE:
        _check_preference(obj, line, problems)
    elif fmt is DatasetFormat.INSTRUCTION:
        _check_instruction(obj, line, problems)
    else:
        _check_text_field(obj, "text", "user", line, problems)
    return fmt


def _partial_format(obj: dict[str, Any]) -> DatasetFormat | None:
    """The format a line with only some of a format's keys was meant to be (its checks then
    name what is missing): preference, else instruction."""
    for fmt in (DatasetFormat.PREFERENCE, DatasetFormat.INSTRUCTION):
        if any(key in obj for key in FORMAT_KEYS[fmt]):
            return fmt
    return None


def _no_format(obj: dict[str, Any], line: int, problems: list[Problem]) -> None:
    for key in obj:
        if isinstance(key, str):
            match = difflib.get_close_matches(key, _ALL_KEYS, n=1, cutoff=0.75)
            if match:
                problems.append(
                    error(
                        "unexpected_key",
                        f"unknown key '{key}' and no Together format; did you mean '{match[0]}'?",
                        line,
                    )
                )
                return
    keys = ", ".join(repr(k) for k in list(obj)[:5]) or "none"
    problems.append(
        error(
            "unknown_format",
            "the example is in none of Together's formats: it needs 'messages', 'prompt' and "
            "'completion', 'text', or 'input' with 'preferred_output' and "
            f"'non_preferred_output' (keys found: {keys})",
            line,
        )
    )


def _extra_key(
    key: object, fmt: DatasetFormat, allowed: tuple[str, ...], obj: dict[str, Any], line: int
) -> Problem:
    """A typo of an allowed key that is missing is an error; any other key is ignored by
    Together (and refused by its older clients), so it is a warning."""
    close = difflib.get_close_matches(str(key), _ALL_KEYS, n=1, cutoff=0.75)
    if close and close[0] in allowed and close[0] not in obj:
        return error(
            "unexpected_key", f"unknown key {short_json(key)}; did you mean '{close[0]}'?", line
        )
    why = _IGNORED_TOP.get(str(key))
    if why is None:
        why = (
            f"a {FORMAT_NAMES[fmt].split(' (')[0]} example has only {', '.join(allowed)}; "
            "Together ignores other keys and its older clients refuse the file: remove it"
        )
    return warning("extra_key", f"unexpected key {short_json(key)}: {why}", line)


def _check_text_field(
    obj: dict[str, Any], key: str, role: str, line: int, problems: list[Problem]
) -> None:
    """`prompt`, `completion` or `text`: a string (or a list of parts with images, for the parts
    a user writes)."""
    if key not in obj:
        problems.append(
            error(
                "message_missing_key",
                f"no '{key}'; an instruction example needs both 'prompt' and 'completion'",
                line,
            )
        )
        return
    value = obj[key]
    if value is None:
        problems.append(error("missing_content", f"'{key}' is null; give it text", line))
        return
    check_content(value, role=role, label=f"'{key}'", line=line, index=None, problems=problems)


def _check_instruction(obj: dict[str, Any], line: int, problems: list[Problem]) -> None:
    _check_text_field(obj, "prompt", "user", line, problems)
    _check_text_field(obj, "completion", "assistant", line, problems)


def _check_preference(obj: dict[str, Any], line: int, problems: list[Problem]) -> None:
    given = obj.get("input")
    if not isinstance(given, dict) or "messages" not in given:
        if given is None:
            detail = 'no \'input\'; add "input": {"messages": [...]}'
        elif isinstance(given, list):
            detail = '\'input\' is a list; wrap it as "input": {"messages": [...]}'
        else:
            detail = "'input' needs a 'messages' list"
        problems.append(error("missing_messages_list", f"preference example: {detail}", line))
    else:
        for key in given:
            if key not in _INPUT_KEYS:
                problems.append(
                    warning(
                        "extra_key",
                        f"unexpected key 'input.{key}': Together reads only input.messages "
                        "and input.tools",
                        line,
                    )
                )
        tool_names = (
            check_tools(given["tools"], line, problems, "input.") if "tools" in given else None
        )
        conversation = check_conversation(
            given["messages"],
            line,
            problems,
            tool_names=tool_names,
            require_assistant=False,
            where="'input.messages'",
        )
        if conversation.roles and conversation.roles[-1] == "assistant":
            problems.append(
                error(
                    "input_ends_with_assistant",
                    "'input.messages' ends with an assistant message; Together refuses it: the "
                    "preferred and non-preferred outputs are the next assistant turn, so the "
                    "input must end with the user's turn",
                    line,
                    len(conversation.roles) - 1,
                )
            )
    for key in ("preferred_output", "non_preferred_output"):
        _check_output(obj, key, line, problems)


def _check_output(obj: dict[str, Any], key: str, line: int, problems: list[Problem]) -> None:
    def fail(detail: str) -> None:
        problems.append(error("invalid_preference_output", detail, line))

    if key not in obj:
        fail(f"no '{key}'; add a list with one assistant message")
        return
    output = obj[key]
    if not isinstance(output, list) or len(output) != 1:
        count = (
            f"{len(output)} items" if isinstance(output, list) else f"a JSON {json_type(output)}"
        )
        fail(f"'{key}' is {count}; it must be a list of exactly one assistant message")
        return
    message = output[0]
    if not isinstance(message, dict) or message.get("role") != "assistant":
        role = message.get("role") if isinstance(message, dict) else None
        what = f"a {short_json(role)}" if role is not None else "a non-message"
        fail(f"'{key}' holds {what} message; it must be an assistant message")
        return
    if message.get("content") is None:
        fail(f"the '{key}' message has no 'content'; give it the reply's text")
        return
    check_content(
        message["content"],
        role="assistant",
        label=f"the '{key}' message",
        line=line,
        index=None,
        problems=problems,
    )
