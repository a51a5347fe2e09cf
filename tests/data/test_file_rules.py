"""File-level rules over FileFacts, and sniffing JSON that is not JSONL."""

from __future__ import annotations

import pickle
from pathlib import Path

import orjson
import pytest

from tuner.data.jsonl.lines import iter_lines, split_ranges
from tuner.data.rules.check import check_example
from tuner.data.rules.file import (
    FileFacts,
    check_file,
    example_hash,
    foreign_encoding,
    preflight,
    sniff_json_container,
)
from tuner.data.rules.problems import Severity

E, W = Severity.ERROR, Severity.WARNING


def example(i: int) -> bytes:
    return orjson.dumps(
        {
            "messages": [
                {"role": "system", "content": "s"},
                {"role": "user", "content": f"question {i}"},
                {"role": "assistant", "content": f"answer {i}"},
            ]
        }
    )


def facts_for(lines: list[bytes]) -> FileFacts:
    facts = FileFacts()
    for number, raw in enumerate(lines, start=1):
        facts.add(check_example(raw, number), number)
    return facts


def by_code(problems: list, code: str) -> list:
    return [p for p in problems if p.code == code]


def test_empty_file() -> None:
    (p,) = check_file(FileFacts(), "train.jsonl")
    assert (p.code, p.severity, p.line) == ("empty_file", E, None)


def test_only_blank_lines_is_empty() -> None:
    (p,) = check_file(facts_for([b"", b"  "]), "train.jsonl")
    assert p.code == "empty_file" and "2 blank lines" in p.message


def test_too_few_examples() -> None:
    problems = check_file(facts_for([example(i) for i in range(9)]), "train.jsonl")
    (p,) = by_code(problems, "too_few_examples")
    assert p.severity is E and p.line is None and "9 examples" in p.message
    assert not by_code(problems, "few_examples")


def test_few_examples() -> None:
    problems = check_file(facts_for([example(i) for i in range(10)]), "train.jsonl")
    assert [p.code for p in problems] == ["few_examples"]
    assert problems[0].severity is W


def test_enough_examples() -> None:
    assert check_file(facts_for([example(i) for i in range(50)]), "train.jsonl") == []


def test_blank_lines_are_not_examples() -> None:
    facts = facts_for([example(1), b"", example(2)])
    assert (facts.examples, facts.blank_lines) == (2, 1)


def test_broken_lines_count_as_examples() -> None:
    assert facts_for([b"{", example(1)]).examples == 2


def test_duplicates_ignore_whitespace_and_key_order() -> None:
    a = b'{"messages": [{"role": "user", "content": "x"}]}'
    b = b'{"messages":[{"content":"x","role":"user"}]}'
    lines = [example(i) for i in range(60)]
    lines[10] = a
    lines[20] = b
    lines[30] = example(3)
    problems = by_code(check_file(facts_for(lines), "t.jsonl"), "duplicate_example")
    assert [(p.line, p.severity) for p in problems] == [(21, W), (31, W)]
    assert "line 21 duplicates line 11" in problems[0].message
    assert "line 31 duplicates line 4" in problems[1].message


def test_mixed_formats() -> None:
    pref = orjson.dumps(
        {
            "input": {"messages": [{"role": "user", "content": "q"}]},
            "preferred_output": [{"role": "assistant", "content": "a"}],
            "non_preferred_output": [{"role": "assistant", "content": "b"}],
        }
    )
    lines = [example(i) for i in range(60)]
    lines[41] = pref
    (p,) = by_code(check_file(facts_for(lines), "t.jsonl"), "mixed_formats")
    assert (p.severity, p.line) == (E, 42)
    assert "59 chat" in p.message and "1 preference" in p.message


def test_merge_of_worker_facts_finds_cross_chunk_duplicates(tmp_path: Path) -> None:
    lines = [example(i % 7) for i in range(40)]
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    parts = []
    for start, end, first in split_ranges(path, 5):
        facts = FileFacts()
        for number, raw in iter_lines(path, start, end, first):
            assert number is not None
            facts.add(check_example(raw, number), number)
        parts.append(pickle.loads(pickle.dumps(facts)))
    merged = FileFacts()
    for part in reversed(parts):
        merged.merge(part)
    whole = facts_for(lines)
    assert merged.examples == whole.examples == 40
    assert merged.duplicates() == whole.duplicates()
    assert merged.duplicates()[0] == (8, 1)
    assert len(merged.duplicates()) == 33


def test_example_hash_is_canonical() -> None:
    assert example_hash({"a": 1, "b": [1, 2]}) == example_hash({"b": [1, 2], "a": 1})
    assert example_hash({"a": 1}) != example_hash({"a": 2})


# -- sniffing -------------------------------------------------------------------------------


def sniff(tmp_path: Path, data: bytes, name: str = "data.json"):
    path = tmp_path / name
    path.write_bytes(data)
    return sniff_json_container(path)


def test_json_array_is_not_jsonl(tmp_path: Path) -> None:
    p = sniff(tmp_path, b'[\n  {"messages": []},\n  {"messages": []}\n]\n')
    assert p is not None
    assert (p.code, p.severity, p.line) == ("not_jsonl", E, None)
    assert "JSON array" in p.message and "tuner convert" in p.message
    assert "data.jsonl" in p.message


def test_one_line_json_array_is_not_jsonl(tmp_path: Path) -> None:
    p = sniff(tmp_path, b'[{"messages": []}, {"messages": []}]')
    assert p is not None and p.code == "not_jsonl"


def test_pretty_printed_objects_are_not_jsonl(tmp_path: Path) -> None:
    data = b'{\n  "messages": [\n    {"role": "user", "content": "x"},\n  ]\n},\n{\n}\n'
    p = sniff(tmp_path, data, "train.jsonl")
    assert p is not None and p.code == "not_jsonl"
    assert "pretty-printed" in p.message and "train.clean.jsonl" in p.message


def test_object_opening_on_first_line_is_not_jsonl(tmp_path: Path) -> None:
    p = sniff(tmp_path, b'{"messages": [\n  {"role": "user", "content": "x"}\n]}\n')
    assert p is not None and p.code == "not_jsonl"


@pytest.mark.parametrize(
    "data",
    [
        b'{"messages": []}\n{"messages": []}\n',
        b'\xef\xbb\xbf{"messages": []}\r\n',
        b"",
        b"[1, 2]\n[3]\n",
        b'{"messages": [\n{"messages": []}\n',  # a broken JSONL line, then a good one
    ],
)
def test_jsonl_is_fine_even_named_json(tmp_path: Path, data: bytes) -> None:
    assert sniff(tmp_path, data) is None


@pytest.mark.parametrize(
    ("data", "name"),
    [
        ('{"a": 1}\n'.encode("utf-16"), "UTF-16 (little-endian)"),
        (b"\xfe\xff" + '{"a": 1}\n'.encode("utf-16-be"), "UTF-16 (big-endian)"),
        ('{"a": 1}\n'.encode("utf-32"), "UTF-32 (little-endian)"),
        ('{"a": 1}\n'.encode("utf-16-le"), "UTF-16 (little-endian, no byte-order mark)"),
        ('[{"a": 1}]'.encode("utf-32-be"), "UTF-32 (big-endian, no byte-order mark)"),
        (b'{"a": 1}\n', None),
        (b"\xef\xbb\xbf{}", None),
    ],
)
def test_foreign_encoding(data: bytes, name: str | None) -> None:
    assert foreign_encoding(data) == name


def test_preflight_names_the_encoding_once(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes("[1]\n".encode("utf-16"))
    problem = preflight(path)
    assert problem is not None and problem.code == "wrong_encoding" and problem.line is None


@pytest.mark.parametrize("first", [b'{"a":' * 3000 + b"1" + b"}" * 3000, b"[" * 3000 + b"]" * 3000])
def test_a_deep_first_line_is_not_taken_for_a_container(tmp_path: Path, first: bytes) -> None:
    """It is one JSONL line that is too deep, reported per line; sniffing must not crash on it."""
    assert sniff(tmp_path, first + b"\n" + example(1) + b"\n") is None


def test_a_copy_is_sniffed_under_the_name_given(tmp_path: Path) -> None:
    path = tmp_path / "validate-1.jsonl"
    path.write_bytes(b'[\n  {"messages": []}\n]\n')
    problem = sniff_json_container(path, shown="stdin")
    assert problem is not None and problem.message.startswith("stdin is a JSON array")
    assert "validate-1" not in problem.message


# -- Together's file rules ---------------------------------------------------------------------


def together_facts(lines: list[bytes]) -> FileFacts:
    facts = FileFacts()
    for number, raw in enumerate(lines, start=1):
        facts.add(check_example(raw, number, "together"), number)
    return facts


def test_together_takes_a_file_of_one_example() -> None:
    facts = together_facts([example(1)])
    assert check_file(facts, "train.jsonl", "together") == []
    assert by_code(check_file(facts, "train.jsonl"), "too_few_examples")  # OpenAI: 10 at least
    assert check_file(together_facts([]), "t.jsonl", "together")[0].code == "empty_file"


def test_together_needs_one_format_per_file() -> None:
    lines = [example(1), orjson.dumps({"prompt": "a", "completion": "b"}), example(2)]
    (problem,) = by_code(check_file(together_facts(lines), "t.jsonl", "together"), "mixed_formats")
    assert problem.severity is E and problem.line == 2
    assert "2 chat (first at line 1), 1 instruction (first at line 2)" in problem.message
    assert "Together needs every example in one format" in problem.message
