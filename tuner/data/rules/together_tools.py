"""Together AI's rules for function calling: an example's `tools`, an assistant's `tool_calls`.

From Together's "Function calling" fine-tuning page (assistant messages carry `tool_calls` in
place of content, results come back in `tool` messages, `tools` lists the functions, inside
`input` for preference data) and its SDK's checker (together-py `lib/utils/files.py`,
`_validate_tools` and `_validate_tool_calls`): `tools` is a non-empty list of
`{"type": "function", "function": {"name": ...}}`; a call has a `type`, a function call names
its function, which must be one of the example's tools when it lists them, and gives its
`arguments` as a string of JSON holding an object. Unlike OpenAI, a call needs no `id`.
"""

from __future__ import annotations

from typing import Any

import orjson

from tuner.data.jsonl.json_values import json_type, short_json
from tuner.data.rules.problems import Problem, error


def check_tools(tools: Any, line: int, problems: list[Problem], where: str = "") -> set[str] | None:
    """Check an example's `tools`; return the names of its functions (None when unusable)."""
    if not isinstance(tools, list):
        problems.append(
            error(
                "invalid_tools",
                f"'{where}tools' is a JSON {json_type(tools)}; it must be a list of tools",
                line,
            )
        )
        return None
    if not tools:
        problems.append(
            error(
                "invalid_tools",
                f"'{where}tools' is an empty list; Together refuses it: list the functions or "
                "leave 'tools' out",
                line,
            )
        )
        return None
    names: set[str] = set()
    for tool_index, tool in enumerate(tools):
        issue = _tool_issue(tool)
        if issue is not None:
            problems.append(error("invalid_tools", f"tool {tool_index}: {issue}", line))
        else:
            names.add(tool["function"]["name"])
    return names


def _tool_issue(tool: Any) -> str | None:
    if not isinstance(tool, dict):
        return f"is a JSON {json_type(tool)}, not an object"
    if tool.get("type") != "function":
        return f"'type' is {short_json(tool.get('type'))}; it must be 'function'"
    function = tool.get("function")
    if not isinstance(function, dict):
        return "needs 'function': {'name': ..., 'parameters': {...}}"
    if not isinstance(function.get("name"), str):
        return "needs a string 'function.name'"
    return None


def check_tool_calls(
    calls: Any,
    tool_names: set[str] | None,
    label: str,
    line: int,
    index: int,
    problems: list[Problem],
) -> bool:
    """Check an assistant's `tool_calls`; True when it holds at least one call (the message may
    then have no content)."""
    if not isinstance(calls, list):
        problems.append(
            error(
                "invalid_tool_calls",
                f"{label} has 'tool_calls' that is a JSON {json_type(calls)}; it must be a list",
                line,
                index,
            )
        )
        return False
    for call_index, call in enumerate(calls):
        issue = _call_issue(call, tool_names)
        if issue is not None:
            problems.append(
                error("invalid_tool_calls", f"{label} tool call {call_index}: {issue}", line, index)
            )
    return bool(calls)


def _call_issue(call: Any, tool_names: set[str] | None) -> str | None:
    if not isinstance(call, dict):
        return f"is a JSON {json_type(call)}, not an object"
    if "type" not in call:
        return "needs a 'type' ('function')"
    if call["type"] != "function":
        return None  # Together's checker looks only into function calls
    function = call.get("function")
    if not isinstance(function, dict):
        return "needs 'function': {'name': ..., 'arguments': '...'}"
    name = function.get("name")
    if not isinstance(name, str):
        return "needs a string 'function.name'"
    if tool_names is not None and name not in tool_names:
        known = ", ".join(sorted(tool_names))
        return f"calls {name!r}, which is not one of the example's tools ({known})"
    if "arguments" not in function:
        return None
    arguments = function["arguments"]
    if not isinstance(arguments, str):
        return "'function.arguments' must be a string of JSON (serialize the arguments object)"
    try:
        parsed = orjson.loads(arguments)
    except orjson.JSONDecodeError:
        return f"'function.arguments' {short_json(arguments)} is not valid JSON"
    if not isinstance(parsed, dict):
        return f"'function.arguments' holds a JSON {json_type(parsed)}; it must hold an object"
    return None
