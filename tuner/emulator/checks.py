"""The built-in training-file check the emulated service runs while validating files.

Deliberately minimal: it refuses what the real service certainly refuses (lines that are
not JSON objects, rows of neither the chat nor the preference shape, fewer than 10
examples). tuner's own validator can replace it through `training_file_checker`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

MIN_EXAMPLES = 10

TrainingFileChecker = Callable[[bytes], "str | None"]


def _is_chat(row: dict[str, object]) -> bool:
    return isinstance(row.get("messages"), list)


def _is_preference(row: dict[str, object]) -> bool:
    inp = row.get("input")
    return (
        isinstance(inp, dict)
        and isinstance(inp.get("messages"), list)
        and isinstance(row.get("preferred_output"), list)
        and isinstance(row.get("non_preferred_output"), list)
    )


def default_training_file_checker(content: bytes) -> str | None:
    """None when the file is acceptable, else the message the service would fail the job with."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"Invalid file format. The file is not valid UTF-8 (byte {exc.start})."
    examples = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            return f"Invalid file format. Line {number} is not valid JSON."
        if not isinstance(row, dict):
            return f"Invalid file format. Line {number} is not a JSON object."
        if not (_is_chat(row) or _is_preference(row)):
            return (
                f"Invalid file format. Line {number} has neither a 'messages' list nor "
                "the 'input' / 'preferred_output' / 'non_preferred_output' preference shape."
            )
        examples += 1
    if examples < MIN_EXAMPLES:
        return (
            f"Training file has {examples} example(s), but it must have at least "
            f"{MIN_EXAMPLES} examples."
        )
    return None
