"""Rules for tools and function calling: `tools` and `functions` definitions on an example, and
the `tool_calls` / `function_call` an assistant message makes.

They follow `FineTuneChatRequestInput` in the official OpenAPI description: a tool is
`{"type": "function", "function": {"name", "parameters"?, "description"?}}`, a call carries its
arguments as a string of JSON, and a function name is 1-64 characters of a-z, A-Z, 0-9, _ and -.
"""

from __future__ import annotations

import re
from typing import Any

from tuner.data.jsonl.json_values import json_type, short_json
from tuner.data.rules.problems import Problem, error

_FUNCTION_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def check_tool_calls(
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
        return f"'type' is {short_json(call.get('type'))}; it must be 'function'"
    function = call.get("function")
    if not isinstance(function, dict):
        return "needs 'function': {'name': ..., 'arguments': '...'}"
    if not isinstance(function.get("name"), str):
        return "needs a string 'function.name'"
    if not isinstance(function.get("arguments"), str):
        return "'function.arguments' must be a string of JSON (serialize the arguments object)"
    return None


def check_function_call(
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


def check_top_level_tools(
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
        return f"'type' is {short_json(tool.get('type'))}; it must be 'function'"
    if not isinstance(tool.get("function"), dict):
        return "needs 'function': {'name': ..., 'parameters': {...}}"
    return _function_definition_issue(tool["function"])


def _function_definition_issue(fn: Any) -> str | None:
    if not isinstance(fn, dict):
        return "is not an object"
    name = fn.get("name")
    if not isinstance(name, str) or not _FUNCTION_NAME_RE.fullmatch(name):
        return (
            f"name {short_json(name)} must be 1-64 characters of a-z, A-Z, 0-9, underscores "
            "and dashes"
        )
    if "parameters" in fn and not isinstance(fn["parameters"], dict):
        return "'parameters' must be a JSON Schema object"
    if "description" in fn and not isinstance(fn["description"], str):
        return "'description' must be a string"
    return None
