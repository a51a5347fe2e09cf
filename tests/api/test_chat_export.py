"""Exports with the user's corrections; the transcript on disk is left as the model wrote it."""

from __future__ import annotations

import json
from pathlib import Path

from tuner.api.chat.export import corrected, default_export_path, export_chats
from tuner.api.chat.transcripts import TranscriptWriter, load_transcript
from tuner.data.analysis.analyse import analyse_file


def chat(n: int) -> Path:
    writer = TranscriptWriter.start("ft:gpt-4o-mini-2024-07-18:o:s:1", "Be brief.")
    for i in range(n):
        writer.append("user", f"q{i}")
        writer.append("assistant", f"a{i}", finish_reason="stop")
    return writer.path


def test_corrections_apply_to_a_copy(tmp_path: Path) -> None:
    transcript = load_transcript(chat(2))
    fixed = corrected(transcript, {1: "better answer"})
    assert fixed.turns[1].content == "better answer"
    assert transcript.turns[1].content == "a0"
    assert corrected(transcript, {}) is transcript
    assert default_export_path(tmp_path, transcript) == tmp_path / f"{transcript.header.id}.jsonl"


def test_exchange_export_of_selected_corrected_turns_is_valid(tmp_path: Path) -> None:
    path = chat(12)
    transcript = load_transcript(path)
    out = tmp_path / "out" / "train.jsonl"
    written = export_chats(
        [transcript],
        out,
        edits={path: {1: "A better first answer."}},
        exchanges=set(range(11)),
        mode="exchange",
    )
    assert written == 11
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows[0]["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "q0"},
        {"role": "assistant", "content": "A better first answer."},
    ]
    assert analyse_file(out, None).valid
    assert "a0" in path.read_text()  # the record of what the model said is untouched
