"""Rules for preference (DPO) examples: `input` with its messages, and exactly one assistant
message in each of `preferred_output` and `non_preferred_output`.

The shape is `FineTunePreferenceRequestInput` in the official OpenAPI description. Messages
themselves are checked by `message_rules`, the same way as in supervised examples.
"""

from __future__ import annotations

from typing import Any

from tuner.data.jsonl.json_values import json_type, short_json
from tuner.data.rules.messages import check_message, check_messages
from tuner.data.rules.problems import Problem, error, warning
from tuner.data.rules.shape import PREFERENCE_INPUT_KEYS, PREFERENCE_KEYS, extra_key
from tuner.data.rules.tools import check_top_level_tools


def check_preference(obj: dict[str, Any], line: int, problems: list[Problem]) -> None:
    for key in obj:
        if key not in PREFERENCE_KEYS:
            problems.append(extra_key(key, PREFERENCE_KEYS, obj, line))
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
                problems.append(extra_key(key, PREFERENCE_INPUT_KEYS, inp, line, "input."))
        check_top_level_tools(inp, line, problems, allow_functions=False)
        messages = inp["messages"]
        if not messages:
            problems.append(
                error("missing_messages_list", "'input.messages' is an empty list", line)
            )
        else:
            roles = check_messages(messages, line, problems)
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
                f"'{key}' holds a {short_json(role) if role else 'non-message'} message; it must "
                "be an assistant message",
                line,
            )
        )
        return
    sub: list[Problem] = []
    check_message(message, 0, line, sub, key)
    problems.extend(
        Problem(p.code, p.severity, p.message, p.line, None) for p in sub
    )  # message_index refers to `messages`, so outputs report the line only
