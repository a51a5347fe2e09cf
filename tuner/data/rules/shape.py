"""Which keys an example may carry at its top level, and what a missing `messages` list means.

Both example shapes (supervised chat, preference) share the same reasoning about keys: a key
that is a typo of an allowed one that is missing (`mesages`) is an error, since the example is
then unusable; any other extra key is a warning, since the service may ignore or refuse it.
"""

from __future__ import annotations

import difflib
import functools
from typing import Any

from tuner.data.rules.problems import Problem, error, warning

CHAT_KEYS = frozenset({"messages", "tools", "functions", "parallel_tool_calls"})
PREFERENCE_KEYS = frozenset({"input", "preferred_output", "non_preferred_output"})
PREFERENCE_INPUT_KEYS = frozenset({"messages", "tools", "parallel_tool_calls"})
_KNOWN_TOP_KEYS = sorted(CHAT_KEYS | PREFERENCE_KEYS)


# Fuzzy matches of keys up to this long are remembered: the same stray key on every line of a
# big file must not cost a fuzzy match each time (longer keys are rare, and not kept).
_REMEMBERED_KEY_CHARS = 64


def _closest_known_key(key: str) -> str | None:
    """The allowed top-level key `key` is likely a typo of, or None."""
    if len(key) <= _REMEMBERED_KEY_CHARS:
        return _remembered_closest_key(key)
    close = difflib.get_close_matches(key, _KNOWN_TOP_KEYS, n=1, cutoff=0.75)
    return close[0] if close else None


@functools.lru_cache(maxsize=4096)
def _remembered_closest_key(key: str) -> str | None:
    close = difflib.get_close_matches(key, _KNOWN_TOP_KEYS, n=1, cutoff=0.75)
    return close[0] if close else None


def _close_to_messages(key: str) -> bool:
    if len(key) <= _REMEMBERED_KEY_CHARS:
        return _remembered_close_to_messages(key)
    return bool(difflib.get_close_matches(key, ("messages",), n=1, cutoff=0.75))


@functools.lru_cache(maxsize=4096)
def _remembered_close_to_messages(key: str) -> bool:
    return bool(difflib.get_close_matches(key, ("messages",), n=1, cutoff=0.75))


def extra_key(
    key: object, allowed: frozenset[str], present: dict[str, Any], line: int, prefix: str = ""
) -> Problem:
    """A typo of a missing allowed key is an error; any other extra key is a warning."""
    closest = _closest_known_key(str(key))
    close = [closest] if closest is not None else []
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
        if isinstance(key, str) and _close_to_messages(key):
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
