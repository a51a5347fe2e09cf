"""Transcripts written turn by turn, read back (even torn), and exported as training data."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tuner.api.chat.export import complete_exchanges, export_training_examples
from tuner.api.chat.transcripts import (
    CompareSide,
    TranscriptError,
    TranscriptWriter,
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
    from tuner.data.analysis.analyse import analyse_file

    writers = [conversation() for _ in range(12)]
    out = tmp_path / "out.jsonl"
    export_training_examples([w.path for w in writers], out)
    report = analyse_file(out)
    assert report.valid, report.errors
    assert report.examples == 12


# ------------------------------------------------------------------ comparisons


SIDES = (
    CompareSide("ft:gpt-4o-mini:org:x:1", "old"),
    CompareSide("Qwen/Qwen2.5-7B-Instruct", "new"),
)


def comparison(directory: Path | None = None) -> TranscriptWriter:
    """Two models on two profiles: line 1 both answer, line 2 only the second, line 3 both."""
    writer = TranscriptWriter.start(
        SIDES[0].model, "Be brief.", {"temperature": 0.3}, directory=directory, compare=SIDES
    )
    writer.append("user", "one?")
    writer.append("assistant", "a1", side=0, model=SIDES[0].model, prompt_tokens=4)
    writer.append("assistant", "b1", side=1, model=SIDES[1].model, completion_tokens=2)
    writer.append("user", "two?")
    writer.append("assistant", "b2", side=1, model=SIDES[1].model)
    writer.append("user", "three?")
    writer.append("assistant", "b3", side=1, model=SIDES[1].model)
    writer.append("assistant", "a3", side=0, model=SIDES[0].model)
    return writer


def test_a_comparison_is_one_file_with_every_side_named() -> None:
    writer = comparison()
    header, *turns = read_jsonl(writer.path)
    assert header["compare"] == [
        {"model": "ft:gpt-4o-mini:org:x:1", "profile": "old"},
        {"model": "Qwen/Qwen2.5-7B-Instruct", "profile": "new"},
    ]
    assert header["model"] == SIDES[0].model and header["version"] == 1
    assert "profile" not in header  # the profiles are the sides'
    replies = [t for t in turns if t["role"] == "assistant"]
    assert [(t["side"], t["profile"], t["model"]) for t in replies][:2] == [
        (0, "old", SIDES[0].model),
        (1, "new", SIDES[1].model),
    ]
    assert all("side" not in t and "profile" not in t for t in turns if t["role"] == "user")

    transcript = load_transcript(writer.path)
    assert transcript.compared and transcript.header.compare == SIDES
    first, second = transcript.side(0), transcript.side(1)
    assert (first.header.model, first.header.profile, first.header.compare) == (
        SIDES[0].model,
        "old",
        (),
    )
    # Each side is what that model saw: a prompt it never answered is not in its conversation.
    assert first.messages() == [
        {"role": "user", "content": "one?"},
        {"role": "assistant", "content": "a1"},
        {"role": "user", "content": "three?"},
        {"role": "assistant", "content": "a3"},
    ]
    assert [m["content"] for m in second.messages()] == ["one?", "b1", "two?", "b2", "three?", "b3"]
    assert transcript.messages() == first.messages()  # the first model unless told
    assert [t.index for t in first.turns] == [0, 1, 5, 7]  # original indexes kept
    assert [e.assistant.content for e in complete_exchanges(transcript, 1)] == ["b1", "b2", "b3"]
    with pytest.raises(IndexError):
        transcript.side(2)


def test_a_comparison_is_listed_once_as_both_models(tmp_path: Path) -> None:
    comparison(tmp_path)
    (info,) = list_transcripts(tmp_path)
    assert info.model == "ft:gpt-4o-mini:org:x:1 vs Qwen/Qwen2.5-7B-Instruct"
    assert info.turns == 3 and info.compare == SIDES


def test_a_comparison_exports_one_side(tmp_path: Path) -> None:
    transcript = load_transcript(comparison().path)
    out = tmp_path / "out.jsonl"
    assert export_training_examples(transcript, out, mode="exchange") == 2  # the first model
    assert [e["messages"][-1]["content"] for e in read_jsonl(out)] == ["a1", "a3"]
    assert export_training_examples(transcript.path, out, mode="exchange", side=1) == 3
    assert [e["messages"][-1]["content"] for e in read_jsonl(out)] == ["b1", "b2", "b3"]
    # An ordinary transcript next to it is exported whole, whatever the side.
    both = [transcript, load_transcript(conversation().path)]
    assert export_training_examples(both, out, side=1) == 2


def test_a_reply_must_name_a_side_the_header_has() -> None:
    writer = comparison()
    with pytest.raises(ValueError, match="no side 2"):
        writer.append("assistant", "x", side=2)


def test_files_from_before_comparing_load_unchanged(tmp_path: Path) -> None:
    """A transcript as tuner wrote it before comparisons existed, byte for byte."""
    path = tmp_path / "chat-20260501-120000-abcdef.jsonl"
    path.write_text(
        '{"type":"header","version":1,"id":"chat-20260501-120000-abcdef","created_at":1.0,'
        '"model":"gpt-4o-mini","system_prompt":null,"params":{},"title":"replay metin.txt"}\n'
        '{"type":"turn","index":0,"role":"user","content":"hi","created_at":2.0}\n'
        '{"type":"turn","index":1,"role":"assistant","content":"hello","created_at":3.0,'
        '"model":"gpt-4o-mini","finish_reason":"stop","prompt_tokens":3,"completion_tokens":1}\n',
        encoding="utf-8",
    )
    transcript = load_transcript(path)
    assert not transcript.compared and transcript.header.profile is None
    assert transcript.side(0) is transcript
    assert transcript.messages() == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
    ]
    (info,) = list_transcripts(tmp_path)
    assert (info.model, info.turns, info.compare) == ("gpt-4o-mini", 1, ())
    assert export_training_examples(path, tmp_path / "out.jsonl") == 1


def test_an_ordinary_header_is_written_as_before() -> None:
    writer = TranscriptWriter.start("m", "sys", {"temperature": 0.5})
    (header,) = read_jsonl(writer.path)
    assert list(header) == [
        "type",
        "version",
        "id",
        "created_at",
        "model",
        "system_prompt",
        "params",
        "title",
    ]
    named = TranscriptWriter.start("m", profile="work")
    assert read_jsonl(named.path)[0]["profile"] == "work"
    assert load_transcript(named.path).header.profile == "work"


@pytest.mark.parametrize(
    "compare",
    [
        '"two models"',
        '[{"profile": "p"}]',
        '[{"model": 3}]',
        '[["m", "p"]]',
        '[{"model": "m", "profile": "p"}]',
    ],
)
def test_a_broken_compare_header_is_refused(tmp_path: Path, compare: str) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text(
        f'{{"type":"header","version":1,"id":"x","model":"m","compare":{compare}}}\n',
        encoding="utf-8",
    )
    with pytest.raises(TranscriptError, match=":1: not a transcript header"):
        load_transcript(path)
