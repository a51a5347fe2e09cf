"""`tuner convert`: the data function and the command line."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import orjson
import pytest

from tuner.commands import convert as convert_command
from tuner.data.convert import (
    ConversionError,
    convert_file,
    detect_input_kind,
    strip_trailing_commas,
)

TURKISH = """{
  "messages": [
    {"role": "system", "content": "Sen yardımcı bir asistansın."},
    {"role": "user", "content": "Merhaba!"},
    {"role": "assistant", "content": "Merhaba, nasıl yardımcı olabilirim?"},
  ]
},
{
  "messages": [
    {"role": "user", "content": "Şu an saat kaç, } ] , \\"tırnak\\"?"},
    {"role": "assistant", "content": "Bilmiyorum, üzgünüm."},
  ],
},
"""


def read_jsonl(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="tuner")
    convert_command.register(parser.add_subparsers())
    args = parser.parse_args(["convert", *argv])
    return args.func(args)


def test_pretty_printed_with_trailing_commas_and_turkish(tmp_path: Path) -> None:
    src, dst = tmp_path / "tr.json", tmp_path / "tr.jsonl"
    src.write_text(TURKISH, encoding="utf-8")
    result = convert_file(src, dst)
    assert result.examples_written == 2
    assert result.skipped == []
    assert result.input_kind == "json"
    raw = dst.read_bytes()
    assert "Sen yardımcı bir asistansın.".encode() in raw
    assert b"\\u" not in raw  # non-ASCII written as UTF-8, not escaped
    assert raw.count(b"\n") == 2 and raw.endswith(b"\n")
    rows = read_jsonl(dst)
    assert rows[1]["messages"][0]["content"] == 'Şu an saat kaç, } ] , "tırnak"?'
    assert [m["role"] for m in rows[0]["messages"]] == ["system", "user", "assistant"]


def test_json_array(tmp_path: Path) -> None:
    src, dst = tmp_path / "a.json", tmp_path / "a.jsonl"
    examples = [{"messages": [{"role": "user", "content": f"q{i}"}]} for i in range(3)]
    src.write_text(json.dumps(examples, indent=2), encoding="utf-8")
    result = convert_file(src, dst)
    assert (result.examples_written, result.skipped) == (3, [])
    assert read_jsonl(dst) == examples


def test_json_array_with_trailing_comma_and_bom(tmp_path: Path) -> None:
    src, dst = tmp_path / "a.json", tmp_path / "a.jsonl"
    src.write_bytes(b'\xef\xbb\xbf[{"a": 1,}, {"b": [1, 2,],},]')
    result = convert_file(src, dst)
    assert result.skipped == []
    assert read_jsonl(dst) == [{"a": 1}, {"b": [1, 2]}]


def test_jsonl_with_blank_lines_and_crlf(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(b'{"a": 1}\r\n\r\n   \n{"b": "\xc3\xa7"}\n\n')
    result = convert_file(src, dst)
    assert result.input_kind == "jsonl"
    assert (result.examples_written, result.skipped) == (2, [])
    assert dst.read_bytes() == '{"a":1}\n{"b":"ç"}\n'.encode()


def test_jsonl_with_broken_lines_reports_line_and_column(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(b'{"a": 1}\n{"b": }\n[1]\n{"c": 3},\n')
    result = convert_file(src, dst)
    assert result.examples_written == 2  # line 4's trailing comma is tolerated
    assert [(i.line, i.column) for i in result.skipped] == [(2, 7), (3, 1)]
    assert read_jsonl(dst) == [{"a": 1}, {"c": 3}]


def test_broken_object_in_the_middle(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.json", tmp_path / "out.jsonl"
    src.write_text(
        "{\n"
        '  "messages": [{"role": "user", "content": "one"}]\n'
        "}\n"
        "{\n"
        '  "messages": [{"role": "user" "content": "two"}]\n'
        "}\n"
        "{\n"
        '  "messages": [{"role": "user", "content": "three"}]\n'
        "}\n",
        encoding="utf-8",
    )
    result = convert_file(src, dst)
    assert result.examples_written == 2
    (issue,) = result.skipped
    assert (issue.line, issue.column) == (5, 32)
    assert "Expecting ',' delimiter" in issue.message
    assert "starting at line 4" in issue.message
    assert [r["messages"][0]["content"] for r in read_jsonl(dst)] == ["one", "three"]


def test_non_object_items_are_skipped(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.json", tmp_path / "out.jsonl"
    src.write_text('[\n  {"a": 1},\n  "text",\n  {"b": 2}\n]', encoding="utf-8")
    result = convert_file(src, dst)
    assert result.examples_written == 2
    assert [(i.line, i.column) for i in result.skipped] == [(3, 3)]


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.json", tmp_path / "out.jsonl"
    src.write_text('[{"a": 1}]', encoding="utf-8")
    dst.write_text("keep me", encoding="utf-8")
    with pytest.raises(FileExistsError):
        convert_file(src, dst)
    assert dst.read_text(encoding="utf-8") == "keep me"
    assert convert_file(src, dst, force=True).examples_written == 1
    assert read_jsonl(dst) == [{"a": 1}]


def test_no_partial_output_when_conversion_fails(tmp_path: Path, monkeypatch) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("\n".join(f'{{"n": {i}}}' for i in range(100)), encoding="utf-8")
    dst.write_text("old", encoding="utf-8")
    calls = {"n": 0}
    real_dumps = orjson.dumps

    def failing_dumps(obj, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 50:
            raise OSError("disk full")
        return real_dumps(obj, *args, **kwargs)

    monkeypatch.setattr("tuner.data.convert.orjson.dumps", failing_dumps)
    with pytest.raises(OSError):
        convert_file(src, dst, force=True)
    assert dst.read_text(encoding="utf-8") == "old"
    assert sorted(os.listdir(tmp_path)) == ["in.jsonl", "out.jsonl"]  # no temp file left


def test_nothing_readable_writes_nothing(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.json", tmp_path / "out.jsonl"
    src.write_text("{\n  broken\n}\n", encoding="utf-8")
    result = convert_file(src, dst)
    assert result.examples_written == 0 and not result.written
    assert len(result.skipped) == 1
    assert not dst.exists()


def test_not_utf8_json_is_a_conversion_error(tmp_path: Path) -> None:
    src = tmp_path / "in.json"
    src.write_bytes(b'[\n{"a": "\xff"}\n]')
    with pytest.raises(ConversionError, match="line 2"):
        convert_file(src, tmp_path / "out.jsonl")


def test_strip_trailing_commas_respects_strings() -> None:
    text = '{"a": ",]", "b": "\\",}", "c": [1, 2 ,\n ] ,}'
    cleaned = strip_trailing_commas(text)
    assert len(cleaned) == len(text)
    assert json.loads(cleaned) == {"a": ",]", "b": '",}', "c": [1, 2]}


def test_detect_input_kind(tmp_path: Path) -> None:
    path = tmp_path / "x"
    for data, kind in [
        (b'{"a": 1}\n', "jsonl"),
        (b"[\n", "json"),
        (b"{\n", "json"),
        (b"", "jsonl"),
        (b'  {"a": 1},\n{"b": 2}', "json"),
    ]:
        path.write_bytes(data)
        assert detect_input_kind(path) == kind, data


# -- command line ---------------------------------------------------------------------------


def test_cli_converts_and_reports(tmp_path: Path, capsys) -> None:
    src, dst = tmp_path / "tr.json", tmp_path / "tr.jsonl"
    src.write_text(TURKISH, encoding="utf-8")
    assert run_cli(str(src), str(dst)) == 0
    out = capsys.readouterr().out
    assert "wrote 2 examples" in out
    assert len(read_jsonl(dst)) == 2


def test_cli_exit_1_when_some_objects_skipped(tmp_path: Path, capsys) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text('{"a": 1}\n{"b": }\n', encoding="utf-8")
    assert run_cli(str(src), str(dst)) == 1
    err = capsys.readouterr().err
    assert f"{src}:2:7:" in err
    assert read_jsonl(dst) == [{"a": 1}]


def test_cli_refuses_overwrite_with_exit_2(tmp_path: Path, capsys) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text('{"a": 1}\n', encoding="utf-8")
    dst.write_text("keep", encoding="utf-8")
    assert run_cli(str(src), str(dst)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--force" in err and "Traceback" not in err
    assert dst.read_text(encoding="utf-8") == "keep"
    assert run_cli(str(src), str(dst), "--force") == 0


def test_cli_missing_input_exit_2(tmp_path: Path, capsys) -> None:
    assert run_cli(str(tmp_path / "nope.json"), str(tmp_path / "out.jsonl")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope.json" in err


def test_cli_json_output(tmp_path: Path, capsys) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text('{"a": 1}\n{"b": }\n', encoding="utf-8")
    assert run_cli(str(src), str(dst), "--json") == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["input"] == str(src)
    assert payload["output"] == str(dst)
    assert payload["examples"] == 1
    assert payload["skipped"] == [
        {"line": 2, "column": 7, "message": payload["skipped"][0]["message"]}
    ]
