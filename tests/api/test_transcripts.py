"""Transcripts written turn by turn, read back (even torn), and exported as training data."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tuner.api.transcripts import (
    TranscriptError,
    TranscriptWriter,
    complete_exchanges,
    export_training_examples,
    list_transcripts,
    load_transcript,
)


def conversation() -> TranscriptWriter:
    writer = TranscriptWriter.start(
        "ft:gpt-4o-mini:org:x:1", "Be brief.", {"temperature": 0.3, "api_key": "test-key"}
    )
    writer.append("user", "one?")
    writer.append("assistant", "1", finish_reason="stop", prompt_tokens=5, completion_tokens=1)
    writer.append("user", "two?")
    writer.append("assistant", "tw", partial=True)  # interrupted
    writer.append("user", "three?")
    writer.append("assistant", "3", finish_reason="stop")
    writer.append("user", "unanswered")
    return writer


def test_written_in_the_data_dir_and_read_back() -> None:
    writer = conversation()
    assert writer.path.parent == Path(os.environ["TUNER_DATA_DIR"]) / "transcripts"
    transcript = load_transcript(writer.path)
    assert transcript.header.model == "ft:gpt-4o-mini:org:x:1"
    assert transcript.header.system_prompt == "Be brief."
    assert transcript.header.params == {"temperature": 0.3}  # nothing unknown rides along
    assert [t.role for t in transcript.turns] == ["user", "assistant"] * 3 + ["user"]
    assert transcript.turns[1].prompt_tokens == 5
    assert transcript.turns[3].partial
    assert "test-key" not in writer.path.read_text()
    assert [e.user.content for e in complete_exchanges(transcript)] == ["one?", "three?"]


def test_a_torn_last_line_is_ignored_but_bad_middle_lines_are_errors() -> None:
    writer = conversation()
    with writer.path.open("a") as handle:
        handle.write('{"type": "turn", "index": 7, "role": "assis')
    assert len(load_transcript(writer.path).turns) == 7
    lines = writer.path.read_text().splitlines()
    lines.insert(2, "garbage")
    writer.path.write_text("\n".join(lines) + "\n")
    with pytest.raises(TranscriptError, match=":3:"):
        load_transcript(writer.path)


def test_reopen_continues_numbering() -> None:
    writer = conversation()
    again = TranscriptWriter.reopen(load_transcript(writer.path))
    assert again.append("assistant", "late").index == 7


def test_list_newest_first(tmp_path: Path) -> None:
    first = TranscriptWriter.start("m1", directory=tmp_path)
    second = TranscriptWriter.start("m2", directory=tmp_path)
    second.append("user", "hi")
    second.append("assistant", "hello")
    second.append("user", "and?")
    (tmp_path / "junk.jsonl").write_text("not json\n")
    infos = list_transcripts(tmp_path)
    assert [i.path for i in infos] == sorted(
        [first.path, second.path], key=lambda p: load_transcript(p).header.created_at, reverse=True
    )
    # A turn is a prompt and its reply, as the chat header counts (not every message).
    assert {i.model: i.turns for i in infos} == {"m1": 0, "m2": 1}


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_export_whole_conversation(tmp_path: Path) -> None:
    writer = conversation()
    out = tmp_path / "out.jsonl"
    assert export_training_examples(writer.path, out) == 1
    [example] = read_jsonl(out)
    assert example == {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "one?"},
            {"role": "assistant", "content": "1"},
            {"role": "user", "content": "three?"},
            {"role": "assistant", "content": "3"},
        ]
    }


def test_export_selected_replies_weights_the_rest(tmp_path: Path) -> None:
    transcript = load_transcript(conversation().path)
    out = tmp_path / "out.jsonl"
    export_training_examples(transcript, out, exchanges={1}, include_system=False)
    [example] = read_jsonl(out)
    assert example["messages"][1] == {"role": "assistant", "content": "1", "weight": 0}
    assert example["messages"][-1] == {"role": "assistant", "content": "3"}
    assert example["messages"][0]["role"] == "user"

    export_training_examples(transcript, out, exchanges={0})
    [example] = read_jsonl(out)
    assert [m["content"] for m in example["messages"]] == ["Be brief.", "one?", "1"]


def test_export_one_example_per_exchange_from_several(tmp_path: Path) -> None:
    a, b = conversation(), conversation()
    out = tmp_path / "out.jsonl"
    assert export_training_examples([a.path, b.path], out, mode="exchange") == 4
    examples = read_jsonl(out)
    assert all(len(e["messages"]) == 3 for e in examples)
    assert examples[1]["messages"][1:] == [
        {"role": "user", "content": "three?"},
        {"role": "assistant", "content": "3"},
    ]


def test_exported_file_passes_the_validator(tmp_path: Path) -> None:
    from tuner.data.analysis import analyse_file

    writers = [conversation() for _ in range(12)]
    out = tmp_path / "out.jsonl"
    export_training_examples([w.path for w in writers], out)
    report = analyse_file(out)
    assert report.valid, report.errors
    assert report.examples == 12
