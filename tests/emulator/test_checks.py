"""The built-in training-file check."""

from __future__ import annotations

import json

from tuner.emulator.checks import default_training_file_checker

from .conftest import chat_rows


def test_accepts_chat_and_preference_rows() -> None:
    assert default_training_file_checker(chat_rows(10)) is None
    row = {
        "input": {"messages": [{"role": "user", "content": "hi"}]},
        "preferred_output": [{"role": "assistant", "content": "Hello!"}],
        "non_preferred_output": [{"role": "assistant", "content": "What."}],
    }
    assert default_training_file_checker(("\n" + json.dumps(row)).encode() * 10) is None


def test_refusals_name_the_problem() -> None:
    assert "at least 10" in (default_training_file_checker(chat_rows(9)) or "")
    assert "Line 2 is not valid JSON" in (
        default_training_file_checker(b'{"messages": []}\n{oops\n') or ""
    )
    assert "not a JSON object" in (default_training_file_checker(b"[1]\n") or "")
    assert "'messages'" in (default_training_file_checker(b'{"prompt": "x"}\n') or "")
    assert "UTF-8" in (default_training_file_checker(b"\xff\xfe") or "")
