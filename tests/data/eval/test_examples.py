"""An eval file read as prompts, references and keys; golden files; overlap with training data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tuner.data.eval.examples import (
    BadLine,
    EvalFileError,
    match_references,
    prompt_key,
    read_eval_file,
    split_turns,
    training_overlap,
)


def chat(
    user: str, reply: str | None = None, system: str = "Sen yardımsever bir asistansın."
) -> dict:
    messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    if reply is not None:
        messages.append({"role": "assistant", "content": reply})
    return {"messages": messages}


def write(path: Path, *lines: object) -> Path:
    text = "".join(
        (line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)) + "\n"
        for line in lines
    )
    path.write_text(text, encoding="utf-8")
    return path


def test_the_prompt_is_everything_before_the_last_assistant_turn(tmp_path: Path) -> None:
    example = {
        "messages": [
            {"role": "system", "content": "Kısa yaz."},
            {"role": "user", "content": "Merhaba"},
            {"role": "assistant", "content": "Selam!", "weight": 0},
            {"role": "user", "content": "Nasılsın?"},
            {"role": "assistant", "content": "İyiyim, teşekkürler.", "weight": 1},
        ]
    }
    eval_file = read_eval_file(write(tmp_path / "e.jsonl", example))
    (read,) = eval_file.examples
    assert read.line == 1
    assert read.reference == "İyiyim, teşekkürler."
    assert [m["role"] for m in read.prompt] == ["system", "user", "assistant", "user"]
    assert all("weight" not in m for m in read.prompt)  # a chat request does not take it
    assert eval_file.bad_lines == ()


def test_a_prompt_without_an_assistant_turn_has_no_reference(tmp_path: Path) -> None:
    (read,) = read_eval_file(write(tmp_path / "e.jsonl", chat("Soru?"))).examples
    assert read.reference is None and len(read.prompt) == 2


def test_text_parts_make_the_reference_and_tool_calls_make_none(tmp_path: Path) -> None:
    parts = chat("Soru?")
    parts["messages"].append(
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "Bir "}, {"type": "text", "text": "iki"}],
        }
    )
    tools = {
        "messages": [
            {"role": "user", "content": "Hava?"},
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "hava", "arguments": "{}"},
                    }
                ],
            },
        ],
        "tools": [{"type": "function", "function": {"name": "hava", "parameters": {}}}],
    }
    first, second = read_eval_file(write(tmp_path / "e.jsonl", parts, tools)).examples
    assert first.reference == "Bir iki"
    assert second.reference is None
    assert second.tools is not None and second.tools[0]["function"]["name"] == "hava"


def test_bad_lines_are_reported_with_file_and_line_and_the_rest_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path / "e.jsonl",
        chat("Bir", "1"),
        "",
        '{"messages": [}',
        {"prompt": "eski", "completion": "biçim"},
        [1, 2],
        {"messages": [{"role": "assistant", "content": "yalnız cevap"}]},
        chat("İki", "2"),
    )
    eval_file = read_eval_file(path)
    assert [e.line for e in eval_file.examples] == [1, 7]
    assert [b.line for b in eval_file.bad_lines] == [3, 4, 5, 6]
    for bad in eval_file.bad_lines:
        assert isinstance(bad, BadLine)
        assert bad.located().startswith(f"{path}:{bad.line}: ")
    assert "not valid JSON" in eval_file.bad_lines[0].message
    assert "nothing before the assistant turn" in eval_file.bad_lines[3].message


def test_a_file_that_is_not_jsonl_is_refused_whole(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    path.write_text(json.dumps([chat("a", "b"), chat("c", "d")], indent=2), encoding="utf-8")
    with pytest.raises(EvalFileError, match=str(path)):
        read_eval_file(path)
    utf16 = tmp_path / "u.jsonl"
    utf16.write_bytes(json.dumps(chat("a", "b")).encode("utf-16"))
    with pytest.raises(EvalFileError, match="UTF-16"):
        read_eval_file(utf16)


def test_keys_ignore_whitespace_weights_key_order_and_text_part_lists() -> None:
    plain = [
        {"role": "system", "content": "Kısa  yaz.\n"},
        {"role": "user", "content": "Merhaba dünya"},
    ]
    spaced = [
        {"content": " Kısa yaz.", "role": "system", "weight": 1},
        {"role": "user", "content": [{"type": "text", "text": "Merhaba\tdünya"}]},
    ]
    assert prompt_key(plain) == prompt_key(spaced)
    assert prompt_key(plain) != prompt_key([plain[1]])
    assert prompt_key(plain) != prompt_key([plain[0], {"role": "user", "content": "Merhaba Dünya"}])


def test_repeated_prompts_share_a_key_and_count_occurrences(tmp_path: Path) -> None:
    path = write(tmp_path / "e.jsonl", chat("Aynı", "1"), chat("Başka", "2"), chat(" Aynı ", "3"))
    first, other, again = read_eval_file(path).examples
    assert first.key == again.key != other.key
    assert (first.occurrence, again.occurrence) == (1, 2)
    assert first.ident == first.key and again.ident == f"{again.key}#2"


def test_split_turns() -> None:
    assert split_turns([]) == ([], None)
    assert split_turns([{"role": "user"}]) == ([{"role": "user"}], None)


def test_a_golden_file_gives_references_by_prompt(tmp_path: Path) -> None:
    examples = read_eval_file(
        write(tmp_path / "e.jsonl", chat("Bir"), chat("İki", "eski"), chat("Üç"), chat("Bir"))
    ).examples
    golden = read_eval_file(
        write(
            tmp_path / "golden.jsonl",
            chat("İki", "altın iki"),
            chat("Bir  ", "altın bir"),
            chat("Bir", "altın bir, ikinci"),
        )
    )
    matched = match_references(examples, golden)
    assert [e.reference for e in matched.examples] == [
        "altın bir",
        "altın iki",
        None,
        "altın bir, ikinci",
    ]
    assert matched.missing == (3,)


def test_training_overlap_counts_eval_prompts_seen_in_training(tmp_path: Path) -> None:
    examples = read_eval_file(
        write(tmp_path / "e.jsonl", chat("Bir", "1"), chat("İki", "2"), chat("Üç", "3"))
    ).examples
    training = write(
        tmp_path / "train.jsonl",
        chat("Bir", "başka cevap"),
        chat("Üç ", "3"),
        chat("Dört", "4"),
        "not json",
    )
    overlap = training_overlap(examples, training)
    assert overlap.count == 2 and overlap.lines == (1, 3)
    assert overlap.training_examples == 3
