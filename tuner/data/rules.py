"""Per-example checks: what OpenAI's fine-tuning endpoint and its data-preparation guide reject.

`check_example(raw, line)` parses one JSONL line and returns every finding for it. It is the
hot loop of validation (hundreds of thousands of lines), so it does plain dict and list work,
no regular expressions per message, and only walks strings for special tokens when the raw
bytes could contain one.

The accepted shapes come from the official OpenAPI description (`FineTuneChatRequestInput`,
`FineTunePreferenceRequestInput`, `FineTuneChatCompletionRequestAssistantMessage`) and the
cookbook "Data preparation and analysis for chat model fine-tuning".
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from tuner.data.problems import DatasetFormat, Problem, error, warning

BOM = b"\xef\xbb\xbf"

# Supervised and DPO files accept these roles (`developer` is only for reinforcement
# fine-tuning, whose input schema is different).
ROLES = ("system", "user", "assistant", "tool", "function")
_ROLE_LIST = "system, user, assistant, tool"

# Keys a message may carry, by role (FineTuneChatRequestInput's message schemas).
_ROLE_KEYS: dict[str, frozenset[str]] = {
    "system": frozenset({"role", "content", "name"}),
    "user": frozenset({"role", "content", "name"}),
    "assistant": frozenset(
        {"role", "content", "name", "weight", "tool_calls", "function_call", "refusal"}
    ),
    "tool": frozenset({"role", "content", "tool_call_id"}),
    "function": frozenset({"role", "content", "name"}),
}
_ANY_MESSAGE_KEYS = frozenset().union(*_ROLE_KEYS.values())

CHAT_KEYS = frozenset({"messages", "tools", "functions", "parallel_tool_calls"})
PREFERENCE_KEYS = frozenset({"input", "preferred_output", "non_preferred_output"})
PREFERENCE_INPUT_KEYS = frozenset({"messages", "tools", "parallel_tool_calls"})
_KNOWN_TOP_KEYS = sorted(CHAT_KEYS | PREFERENCE_KEYS)

# Content part types accepted per role (text everywhere; images only from the user).
_PART_TYPES: dict[str, tuple[str, ...]] = {
    "system": ("text",),
    "user": ("text", "image_url"),
    "assistant": ("text", "refusal"),
    "tool": ("text",),
    "function": ("text",),
}

# Special-token strings of OpenAI's tokenizers (cl100k_base, o200k_base, o200k_harmony) and
# of the ChatML markup. In training text they are encoded as ordinary characters.
SPECIAL_TOKENS: tuple[str, ...] = (
    "<|endoftext|>",
    "<|startoftext|>",
    "<|endofprompt|>",
    "<|fim_prefix|>",
    "<|fim_middle|>",
    "<|fim_suffix|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|im_sep|>",
    "<|start|>",
    "<|end|>",
    "<|message|>",
    "<|channel|>",
    "<|constrain|>",
    "<|return|>",
    "<|call|>",
)
_SPECIAL_RE = re.compile("|".join(re.escape(t) for t in SPECIAL_TOKENS))

_FUNCTION_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(slots=True)
class ExampleCheck:
    """What one line holds and what is wrong with it.

    `obj` is the parsed JSON (None when it did not parse), `format` the dataset shape it was
    recognised as (None when it is neither), `is_blank` marks an empty or whitespace line
    (not an example: callers should not count it).
    """

    obj: Any = None
    format: DatasetFormat | None = None
    problems: list[Problem] = field(default_factory=list)
    is_blank: bool = False

    @property
    def has_errors(self) -> bool:
        return any(p.is_error for p in self.problems)


def check_example(raw: bytes, line: int) -> ExampleCheck:
    """Parse and check one JSONL line (1-based `line`); never raises.

    Returns an `ExampleCheck` whose problems carry `line` and, where a single message is at
    fault, its 0-based `message_index`.
    """
    try:
        return _check_example(raw, line)
    except Exception as exc:  # a bug in a rule must not stop a whole file's validation
        result = ExampleCheck()
        result.problems.append(
            error("internal_error", f"tuner could not check this line ({exc!r})", line)
        )
        return result


def _check_example(raw: bytes, line: int) -> ExampleCheck:
    result = ExampleCheck()
    problems = result.problems
    if raw.startswith(BOM):
        raw = raw[3:]
    if not raw or raw.isspace():
        result.is_blank = True
        problems.append(
            warning(
                "blank_line",
                "blank line: it is not an example and the service may refuse the file; "
                "delete it (`tuner convert` writes a clean copy)",
                line,
            )
        )
        return result
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        problems.append(_decode_problem(raw, exc, line))
        return result
    result.obj = obj
    if not isinstance(obj, dict):
        problems.append(
            error(
                "data_type",
                f"the line is a JSON {json_type(obj)}, not an object; each line must be one "
                'example like {"messages": [...]}',
                line,
            )
        )
        return result

    if "messages" in obj:
        result.format = DatasetFormat.CHAT
        _check_chat(obj, line, problems)
    elif "input" in obj or "preferred_output" in obj or "non_preferred_output" in obj:
        result.format = DatasetFormat.PREFERENCE
        _check_preference(obj, line, problems)
    else:
        _check_no_messages(obj, line, problems)
        return result

    # Every special token contains "|": written plainly, or escaped as \u007c. Single-byte
    # searches are memchr-fast, so clean lines cost almost nothing here.
    if b"|" in raw or (b"\\" in raw and b"\\u007" in raw):
        _check_special_tokens(obj, result.format, line, problems)
    return result


# -- parse failures ---------------------------------------------------------------------------


def _decode_problem(raw: bytes, exc: orjson.JSONDecodeError, line: int) -> Problem:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        return error(
            "invalid_utf8",
            f"bytes at column {bad.start + 1} are not UTF-8 ({bad.reason}); save the file as UTF-8",
            line,
        )
    msg = exc.msg or str(exc).split(":", 1)[0]
    column = _column(exc)
    where = f" at column {column}" if column else ""
    hint = ""
    if msg.startswith("unexpected end") and raw.lstrip()[:1] in (b"{", b"["):
        hint = (
            "; if the example continues on the next lines, the file is not JSONL: "
            "`tuner convert` puts each example on one line"
        )
    elif raw.rstrip().endswith(b","):
        hint = "; remove the comma at the end of the line"
    return error("invalid_json", f"not valid JSON{where}: {msg}{hint}", line)


def _column(exc: orjson.JSONDecodeError) -> int | None:
    colno = getattr(exc, "colno", None)
    return colno if isinstance(colno, int) and colno > 0 else None


def json_type(value: object) -> str:
    """The JSON name of a parsed value's type, for messages ("a JSON array, not an object")."""
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _check_no_messages(obj: dict[str, Any], line: int, problems: list[Problem]) -> None:
    for key in obj:
        if isinstance(key, str):
            match = difflib.get_close_matches(key, ("messages",), n=1, cutoff=0.75)
            if match:
                problems.append(
                    error(
                        "unexpected_key",
                        f"unknown key '{key}' and no 'messages'; did you mean 'messages'?",
                        line,
                    )
                )
                return
    if "prompt" in obj or "completion" in obj:
        detail = (
            "this is the legacy prompt/completion format; chat models need "
            '{"messages": [{"role": "user", ...}, {"role": "assistant", ...}]}'
        )
    else:
        keys = ", ".join(repr(k) for k in list(obj)[:5]) or "none"
        detail = f'expected {{"messages": [...]}} (keys found: {keys})'
    problems.append(error("missing_messages_list", f"no 'messages' list: {detail}", line))


# -- chat (supervised) ------------------------------------------------------------------------


def _check_chat(obj: dict[str, Any], line: int, problems: list[Problem]) -> None:
    for key in obj:
        if key not in CHAT_KEYS:
            problems.append(_extra_key(key, CHAT_KEYS, obj, line))
    _check_top_level_tools(obj, line, problems, allow_functions=True)
    messages = obj["messages"]
    if not isinstance(messages, list) or not messages:
        what = "empty" if isinstance(messages, list) else f"a {json_type(messages)}"
        problems.append(
            error(
                "missing_messages_list",
                f"'messages' is {what}; it must be a non-empty list of messages",
                line,
            )
        )
        return
    roles = _check_messages(messages, line, problems)
    if "assistant" not in roles:
        problems.append(
            error(
                "example_missing_assistant_message",
                "no assistant message: add the reply the model should learn",
                line,
            )
        )
    else:
        trained = False
        for message, role in zip(messages, roles, strict=True):
            if role == "assistant" and message.get("weight", 1) != 0:
                trained = True
                break
        if not trained:
            problems.append(
                warning(
                    "no_trained_assistant",
                    "every assistant message has weight 0, so nothing in this example is "
                    "trained; set weight 1 on at least one",
                    line,
                )
            )
    if "system" not in roles:
        problems.append(
            warning(
                "missing_system_message",
                "no system message; train with the system prompt you will use in production",
                line,
            )
        )
    if "user" not in roles:
        problems.append(
            warning(
                "missing_user_message",
                "no user message; the model learns replies without seeing what they answer",
                line,
            )
        )


def _check_messages(
    messages: list[Any], line: int, problems: list[Problem], where: str = "message"
) -> list[str | None]:
    """Check each message; return the list of roles (None where unusable)."""
    roles: list[str | None] = []
    for index, message in enumerate(messages):
        roles.append(_check_message(message, index, line, problems, where))
    return roles


def _check_message(
    message: Any, index: int, line: int, problems: list[Problem], where: str
) -> str | None:
    label = f"{where} {index}"
    if not isinstance(message, dict):
        problems.append(
            error(
                "message_missing_key",
                f"{label} is a JSON {json_type(message)}, not an object with 'role' and 'content'",
                line,
                index,
            )
        )
        return None
    role = message.get("role")
    if role is None:
        problems.append(
            error(
                "message_missing_key",
                f"{label} has no 'role'; add one of {_ROLE_LIST}",
                line,
                index,
            )
        )
        allowed = _ANY_MESSAGE_KEYS
        role_ok: str | None = None
    elif not isinstance(role, str) or role not in _ROLE_KEYS:
        problems.append(_unrecognized_role(role, label, line, index))
        allowed = _ANY_MESSAGE_KEYS
        role_ok = None
    else:
        allowed = _ROLE_KEYS[role]
        role_ok = role

    for key in message:
        if key not in allowed:
            problems.append(_misplaced_key(key, role_ok, label, line, index))

    if role_ok is None:
        return None
    if role_ok == "assistant":
        _check_assistant(message, label, line, index, problems)
    else:
        _check_content(
            message, role_ok, label, line, index, problems, required=role_ok != "function"
        )
        if role_ok == "tool" and not isinstance(message.get("tool_call_id"), str):
            problems.append(
                error(
                    "message_missing_key",
                    f"{label} (tool) has no string 'tool_call_id'; set it to the id of the "
                    "assistant tool call it answers",
                    line,
                    index,
                )
            )
        if role_ok == "function" and not isinstance(message.get("name"), str):
            problems.append(
                error(
                    "message_missing_key",
                    f"{label} (function) has no string 'name'; set it to the function's name",
                    line,
                    index,
                )
            )
    if "name" in message and not isinstance(message["name"], str) and role_ok != "function":
        problems.append(
            error(
                "message_unrecognized_key",
                f"{label} has a 'name' that is not a string",
                line,
                index,
            )
        )
    return role_ok


def _unrecognized_role(role: object, label: str, line: int, index: int) -> Problem:
    if role == "developer":
        detail = (
            "'developer' is only accepted for reinforcement fine-tuning; use 'system' for "
            "supervised and preference training"
        )
    elif isinstance(role, str):
        close = difflib.get_close_matches(role.lower(), ROLES, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        detail = f"expected one of {_ROLE_LIST}{hint}"
    else:
        detail = f"the role must be a string, one of {_ROLE_LIST}"
    return error("unrecognized_role", f"{label} has role {_short(role)}; {detail}", line, index)


def _misplaced_key(key: object, role: str | None, label: str, line: int, index: int) -> Problem:
    if key == "weight":
        return error(
            "invalid_weight",
            f"{label} is a {role} message with a 'weight'; only assistant messages take a weight",
            line,
            index,
        )
    if key in _ANY_MESSAGE_KEYS and role is not None:
        owners = [r for r, keys in _ROLE_KEYS.items() if key in keys and r != "function"]
        return error(
            "message_unrecognized_key",
            f"{label} ({role}) has '{key}', which only {'/'.join(owners)} messages take",
            line,
            index,
        )
    close = difflib.get_close_matches(str(key), sorted(_ANY_MESSAGE_KEYS), n=1, cutoff=0.75)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return error(
        "message_unrecognized_key",
        f"{label} has an unrecognized key {_short(key)}{hint}; messages may only have role, "
        "content, name, weight, tool_calls, function_call, tool_call_id, refusal",
        line,
        index,
    )


def _check_assistant(
    message: dict[str, Any], label: str, line: int, index: int, problems: list[Problem]
) -> None:
    has_calls = False
    if "tool_calls" in message:
        has_calls = _check_tool_calls(message["tool_calls"], label, line, index, problems)
    if "function_call" in message:
        has_calls = _check_function_call(message["function_call"], label, line, index, problems)
    refusal = message.get("refusal")
    has_refusal = isinstance(refusal, str) and bool(refusal)
    _check_content(
        message,
        "assistant",
        label,
        line,
        index,
        problems,
        required=not (has_calls or has_refusal),
    )
    if "weight" in message:
        weight = message["weight"]
        if type(weight) is not int or weight not in (0, 1):
            problems.append(
                error(
                    "invalid_weight",
                    f"{label} has weight {_short(weight)}; it must be 0 (do not train) or 1",
                    line,
                    index,
                )
            )


def _check_content(
    message: dict[str, Any],
    role: str,
    label: str,
    line: int,
    index: int,
    problems: list[Problem],
    *,
    required: bool,
) -> None:
    content = message.get("content")
    if content is None:
        if required:
            extra = " (or tool_calls)" if role == "assistant" else ""
            verb = "is null" if "content" in message else "has no 'content'"
            problems.append(
                error(
                    "missing_content" if "content" in message else "message_missing_key",
                    f"{label} ({role}) {verb}; give it text content{extra}",
                    line,
                    index,
                )
            )
        return
    if type(content) is str:
        if not content:
            problems.append(
                warning(
                    "empty_content",
                    f"{label} ({role}) has empty content"
                    + ("; the model learns to answer with nothing" if role == "assistant" else ""),
                    line,
                    index,
                )
            )
        return
    if isinstance(content, list):
        if not content:
            problems.append(
                error(
                    "missing_content",
                    f"{label} ({role}) has an empty content list; give it at least one part",
                    line,
                    index,
                )
            )
            return
        for part_index, part in enumerate(content):
            issue = _content_part_issue(part, role)
            if issue:
                problems.append(
                    error(
                        "invalid_content_part",
                        f"{label} ({role}) content part {part_index}: {issue}",
                        line,
                        index,
                    )
                )
        return
    problems.append(
        error(
            "invalid_content_part",
            f"{label} ({role}) has content that is a JSON {json_type(content)}; it must be a "
            "string or a list of content parts",
            line,
            index,
        )
    )


def _content_part_issue(part: Any, role: str) -> str | None:
    if not isinstance(part, dict):
        return f"is a JSON {json_type(part)}, not an object with a 'type'"
    kind = part.get("type")
    allowed = _PART_TYPES[role]
    if kind not in allowed:
        if kind in ("text", "image_url", "refusal"):
            return (
                f"type '{kind}' is not accepted in {role} messages (allowed: {', '.join(allowed)})"
            )
        return f"unknown type {_short(kind)}; expected one of {', '.join(allowed)}"
    if kind == "text":
        if not isinstance(part.get("text"), str):
            return "a 'text' part needs a string 'text'"
    elif kind == "image_url":
        image = part.get("image_url")
        if not isinstance(image, dict) or not isinstance(image.get("url"), str):
            return "an 'image_url' part needs 'image_url': {'url': '...'}"
        detail = image.get("detail")
        if detail is not None and detail not in ("auto", "low", "high"):
            return f"image detail {_short(detail)} must be auto, low or high"
    elif kind == "refusal" and not isinstance(part.get("refusal"), str):
        return "a 'refusal' part needs a string 'refusal'"
    return None


def _check_tool_calls(
    calls: Any, label: str, line: int, index: int, problems: list[Problem]
) -> bool:
    """Return True when there is a list of tool calls (so content may be absent)."""
    if not isinstance(calls, list) or not calls:
        problems.append(
            error(
                "invalid_tool_calls",
                f"{label} has 'tool_calls' that is not a non-empty list",
                line,
                index,
            )
        )
        return False
    for call_index, call in enumerate(calls):
        issue = _tool_call_issue(call)
        if issue:
            problems.append(
                error(
                    "invalid_tool_calls",
                    f"{label} tool call {call_index}: {issue}",
                    line,
                    index,
                )
            )
    return True


def _tool_call_issue(call: Any) -> str | None:
    if not isinstance(call, dict):
        return "is not an object"
    if not isinstance(call.get("id"), str):
        return "needs a string 'id'"
    if call.get("type") != "function":
        return f"'type' is {_short(call.get('type'))}; it must be 'function'"
    function = call.get("function")
    if not isinstance(function, dict):
        return "needs 'function': {'name': ..., 'arguments': '...'}"
    if not isinstance(function.get("name"), str):
        return "needs a string 'function.name'"
    if not isinstance(function.get("arguments"), str):
        return "'function.arguments' must be a string of JSON (serialize the arguments object)"
    return None


def _check_function_call(
    call: Any, label: str, line: int, index: int, problems: list[Problem]
) -> bool:
    issue = None
    if not isinstance(call, dict):
        issue = "is not an object"
    elif not isinstance(call.get("name"), str):
        issue = "needs a string 'name'"
    elif not isinstance(call.get("arguments"), str):
        issue = "'arguments' must be a string of JSON (serialize the arguments object)"
    if issue:
        problems.append(
            error("invalid_function_call", f"{label} 'function_call' {issue}", line, index)
        )
        return False
    return True


def _check_top_level_tools(
    obj: dict[str, Any], line: int, problems: list[Problem], *, allow_functions: bool
) -> None:
    if "tools" in obj:
        tools = obj["tools"]
        if not isinstance(tools, list):
            problems.append(
                error(
                    "invalid_tools",
                    f"'tools' is a {json_type(tools)}; it must be a list",
                    line,
                )
            )
        else:
            for tool_index, tool in enumerate(tools):
                issue = _tool_issue(tool)
                if issue:
                    problems.append(error("invalid_tools", f"tool {tool_index}: {issue}", line))
    if "parallel_tool_calls" in obj and not isinstance(obj["parallel_tool_calls"], bool):
        problems.append(error("invalid_tools", "'parallel_tool_calls' must be true or false", line))
    if allow_functions and "functions" in obj:
        functions = obj["functions"]
        if not isinstance(functions, list) or not 1 <= len(functions) <= 128:
            problems.append(
                error(
                    "invalid_functions",
                    "'functions' must be a list of 1 to 128 function definitions",
                    line,
                )
            )
        else:
            for fn_index, fn in enumerate(functions):
                issue = _function_definition_issue(fn)
                if issue:
                    problems.append(
                        error("invalid_functions", f"function {fn_index}: {issue}", line)
                    )


def _tool_issue(tool: Any) -> str | None:
    if not isinstance(tool, dict):
        return "is not an object"
    if tool.get("type") != "function":
        return f"'type' is {_short(tool.get('type'))}; it must be 'function'"
    if not isinstance(tool.get("function"), dict):
        return "needs 'function': {'name': ..., 'parameters': {...}}"
    return _function_definition_issue(tool["function"])


def _function_definition_issue(fn: Any) -> str | None:
    if not isinstance(fn, dict):
        return "is not an object"
    name = fn.get("name")
    if not isinstance(name, str) or not _FUNCTION_NAME_RE.fullmatch(name):
        return (
            f"name {_short(name)} must be 1-64 characters of a-z, A-Z, 0-9, underscores and dashes"
        )
    if "parameters" in fn and not isinstance(fn["parameters"], dict):
        return "'parameters' must be a JSON Schema object"
    if "description" in fn and not isinstance(fn["description"], str):
        return "'description' must be a string"
    return None


# -- preference (DPO) -------------------------------------------------------------------------


def _check_preference(obj: dict[str, Any], line: int, problems: list[Problem]) -> None:
    for key in obj:
        if key not in PREFERENCE_KEYS:
            problems.append(_extra_key(key, PREFERENCE_KEYS, obj, line))
    inp = obj.get("input")
    if not isinstance(inp, dict) or not isinstance(inp.get("messages"), list):
        if isinstance(inp, list):
            detail = '\'input\' is a list; wrap it as "input": {"messages": [...]}'
        elif inp is None:
            detail = 'no \'input\'; add "input": {"messages": [...]}'
        else:
            detail = "'input' needs a 'messages' list"
        problems.append(error("missing_messages_list", f"preference example: {detail}", line))
    else:
        for key in inp:
            if key not in PREFERENCE_INPUT_KEYS:
                problems.append(_extra_key(key, PREFERENCE_INPUT_KEYS, inp, line, "input."))
        _check_top_level_tools(inp, line, problems, allow_functions=False)
        messages = inp["messages"]
        if not messages:
            problems.append(
                error("missing_messages_list", "'input.messages' is an empty list", line)
            )
        else:
            roles = _check_messages(messages, line, problems)
            if roles[-1] == "assistant":
                problems.append(
                    warning(
                        "input_ends_with_assistant",
                        "'input.messages' ends with an assistant message; the preferred and "
                        "non-preferred outputs are the next assistant turn, so the input "
                        "should end with the user's turn",
                        line,
                        len(messages) - 1,
                    )
                )
            if "user" not in roles:
                problems.append(
                    warning(
                        "missing_user_message",
                        "no user message in 'input.messages'; add the prompt being answered",
                        line,
                    )
                )
    for key in ("preferred_output", "non_preferred_output"):
        _check_preference_output(obj, key, line, problems)


def _check_preference_output(
    obj: dict[str, Any], key: str, line: int, problems: list[Problem]
) -> None:
    output = obj.get(key)
    if key not in obj:
        problems.append(
            error(
                "invalid_preference_output",
                f"no '{key}'; add a list with one assistant message",
                line,
            )
        )
        return
    if isinstance(output, dict):
        problems.append(
            error(
                "invalid_preference_output",
                f'\'{key}\' is an object; wrap it in a list: [{{"role": "assistant", ...}}]',
                line,
            )
        )
        return
    if not isinstance(output, list) or len(output) != 1:
        count = f"{len(output)} items" if isinstance(output, list) else f"a {json_type(output)}"
        problems.append(
            error(
                "invalid_preference_output",
                f"'{key}' is {count}; it must be a list of exactly one assistant message",
                line,
            )
        )
        return
    message = output[0]
    if not isinstance(message, dict) or message.get("role") != "assistant":
        role = message.get("role") if isinstance(message, dict) else None
        problems.append(
            error(
                "invalid_preference_output",
                f"'{key}' holds a {_short(role) if role else 'non-message'} message; it must "
                "be an assistant message",
                line,
            )
        )
        return
    sub: list[Problem] = []
    _check_message(message, 0, line, sub, key)
    problems.extend(
        Problem(p.code, p.severity, p.message, p.line, None) for p in sub
    )  # message_index refers to `messages`, so outputs report the line only


# -- shared -----------------------------------------------------------------------------------


def _extra_key(
    key: object, allowed: frozenset[str], present: dict[str, Any], line: int, prefix: str = ""
) -> Problem:
    """A typo of a missing allowed key is an error; any other extra key is a warning."""
    close = difflib.get_close_matches(str(key), _KNOWN_TOP_KEYS, n=1, cutoff=0.75)
    if close and close[0] in allowed and close[0] not in present:
        return error(
            "unexpected_key",
            f"unknown key '{prefix}{key}'; did you mean '{prefix}{close[0]}'?",
            line,
        )
    return warning(
        "extra_key",
        f"unexpected key '{prefix}{key}' (allowed: {', '.join(sorted(allowed))}); "
        "the service may refuse or ignore it",
        line,
    )


def _check_special_tokens(
    obj: dict[str, Any], fmt: DatasetFormat | None, line: int, problems: list[Problem]
) -> None:
    messages: Any = obj.get("messages")
    if fmt is DatasetFormat.PREFERENCE:
        inp = obj.get("input")
        messages = inp.get("messages") if isinstance(inp, dict) else None
    seen: set[str] = set()
    if isinstance(messages, list):
        for index, message in enumerate(messages):
            found = _special_in(message)
            if found:
                seen.add(found)
                problems.append(_special_problem(found, line, index))
    rest = {k: v for k, v in obj.items() if k not in ("messages", "input")}
    if fmt is DatasetFormat.PREFERENCE and isinstance(obj.get("input"), dict):
        rest["input"] = {k: v for k, v in obj["input"].items() if k != "messages"}
    found = _special_in(rest)
    if found and found not in seen:
        problems.append(_special_problem(found, line, None))


def _special_problem(token: str, line: int, index: int | None) -> Problem:
    where = f"message {index}" if index is not None else "the example"
    return warning(
        "special_token_text",
        f"{where} contains the text '{token}', a special token of OpenAI's tokenizers; it is "
        "trained as plain characters and will not act as a control token",
        line,
        index,
    )


def _special_in(value: Any) -> str | None:
    """The first special-token string inside `value`'s strings (keys included), or None."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "<|" in item:
                match = _SPECIAL_RE.search(item)
                if match:
                    return match.group(0)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _short(value: object, limit: int = 40) -> str:
    text = repr(value) if isinstance(value, str) else _json_text(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json_text(value: object) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return repr(value)
