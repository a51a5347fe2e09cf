"""Which keys an example may carry at its top level, and what a missing `messages` list means.

Both example shapes (supervised chat, preference) share the same reasoning about keys: a key
that is a typo of an allowed one that is missing (`mesages`) is an error, since the example is
then unusable; any other extra key is a warning, since the service may ignore or refuse it.
"""

from __future__ import annotations

import difflib
from typing import Any

from tuner.data.problems import Problem, error, warning

CHAT_KEYS = frozenset({"messages", "tools", "functions", "parallel_tool_calls"})
PREFERENCE_KEYS = frozenset({"input", "preferred_output", "non_preferred_output"})
PREFERENCE_INPUT_KEYS = frozenset({"messages", "tools", "parallel_tool_calls"})
_KNOWN_TOP_KEYS = sorted(CHAT_KEYS | PREFERENCE_KEYS)


def extra_key(
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


def check_no_messages(obj: dict[str, Any], line: int, problems: list[Problem]) -> None:
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
