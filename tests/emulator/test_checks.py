"""The emulator's training-file check is tuner's validator, worded as the service words it."""

from __future__ import annotations

import json
from pathlib import Path

from tuner.data.analysis.analyse import analyse_file
from tuner.emulator.checks import default_training_file_checker, review_training_file

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


def test_a_review_counts_and_bills_for_the_jobs_model(tmp_path: Path) -> None:
    path = tmp_path / "file-abc"  # stored files are named by id, not by the user's name
    path.write_bytes(chat_rows(12))
    review = review_training_file(path, "gpt-3.5-turbo-1106")
    report = analyse_file(path, "gpt-3.5-turbo-1106")
    assert (review.error, review.examples) == (None, 12)
    assert review.billed_tokens == report.billed_tokens > 0
    path.write_bytes(chat_rows(9))
    refused = review_training_file(path, "gpt-4o-mini-2024-07-18")
    assert refused.error is not None and refused.error.startswith("Invalid file format.")
    assert "file-abc" not in refused.error and "The training file" in refused.error
