"""Rules for one message of an example: its role, its keys, its content and content parts.

A supervised example's `messages` and a preference example's `input.messages` and outputs are
all lists of these messages, so the rules live here once and both example shapes call them.
The accepted keys and part types per role come from the official OpenAPI description
(`FineTuneChatRequestInput` and its message schemas).
"""

from __future__ import annotations

import difflib
from typing import Any

from tuner.data.jsonl.json_values import json_type, short_json
from tuner.data.rules.problems import Problem, error, warning
from tuner.data.rules.tools import check_function_call, check_tool_calls

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

# Content part types accepted per role (text everywhere; images only from the user).
_PART_TYPES: dict[str, tuple[str, ...]] = {
    "system": ("text",),
    "user": ("text", "image_url"),
    "assistant": ("text", "refusal"),
    "tool": ("text",),
    "function": ("text",),
}


def check_messages(
    messages: list[Any], line: int, problems: list[Problem], where: str = "message"
) -> list[str | None]:
    """Check each message; return the list of roles (None where unusable)."""
    roles: list[str | None] = []
    for index, message in enumerate(messages):
        roles.append(check_message(message, index, line, problems, where))
    return roles


def check_message(
    message: Any, index: int, line: int, problems: list[Problem], where: str
) -> str | None:
    label = f"{where} {index}"
    if not isinstance(message, dict):
        problems.append(not_a_message(message, label, line, index))
        return None
    role = message.get("role")
    if role is None:
        problems.append(no_role(label, _ROLE_LIST, line, index))
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


def not_a_message(message: Any, label: str, line: int, index: int) -> Problem:
    """A message that is no JSON object: said the same way for every service's rules."""
    return error(
        "message_missing_key",
        f"{label} is a JSON {json_type(message)}, not an object with 'role' and 'content'",
        line,
        index,
    )


def no_role(label: str, roles: str, line: int, index: int) -> Problem:
    """A message object without a `role`; `roles` lists those the service takes."""
    return error("message_missing_key", f"{label} has no 'role'; add one of {roles}", line, index)


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
    return error("unrecognized_role", f"{label} has role {short_json(role)}; {detail}", line, index)


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
        f"{label} has an unrecognized key {short_json(key)}{hint}; messages may only have role, "
        "content, name, weight, tool_calls, function_call, tool_call_id, refusal",
        line,
        index,
    )


def _check_assistant(
    message: dict[str, Any], label: str, line: int, index: int, problems: list[Problem]
) -> None:
    has_calls = False
    if "tool_calls" in message:
        has_calls = check_tool_calls(message["tool_calls"], label, line, index, problems)
    if "function_call" in message:
        has_calls = check_function_call(message["function_call"], label, line, index, problems)
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
                    f"{label} has weight {short_json(weight)}; it must be 0 (do not train) or 1",
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
        return f"unknown type {short_json(kind)}; expected one of {', '.join(allowed)}"
    if kind == "text":
        if not isinstance(part.get("text"), str):
            return "a 'text' part needs a string 'text'"
    elif kind == "image_url":
        image = part.get("image_url")
        if not isinstance(image, dict) or not isinstance(image.get("url"), str):
            return "an 'image_url' part needs 'image_url': {'url': '...'}"
        detail = image.get("detail")
        if detail is not None and detail not in ("auto", "low", "high"):
            return f"image detail {short_json(detail)} must be auto, low or high"
    elif kind == "refusal" and not isinstance(part.get("refusal"), str):
        return "a 'refusal' part needs a string 'refusal'"
    return None
