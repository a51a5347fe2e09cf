"""The emulator's training-file check is tuner's validator, worded as the service words it."""

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
    few = default_training_file_checker(chat_rows(9)) or ""
    assert few.startswith("Invalid file format.") and "at least 10" in few
    assert "training.jsonl" not in few
    bad_json = default_training_file_checker(chat_rows(12) + b"{oops\n") or ""
    assert bad_json.startswith("Invalid file format. Line 13: ")
    assert "JSON" in bad_json
    assert "Line 1: " in (default_training_file_checker(b"[1]\n" + chat_rows(12)) or "")
    assert "messages" in (default_training_file_checker(b'{"prompt": "x"}\n' + chat_rows(12)) or "")
    assert "UTF-8" in (default_training_file_checker(chat_rows(12) + b"\xff\xfe\n") or "")
