"""`tuner.data.jsonl.convert`: JSON arrays and pretty-printed objects to JSONL, streamed, safely."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import orjson
import pytest

from tuner.data.jsonl.convert import ConversionError, convert_file, detect_input_kind

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


def test_pretty_printed_files_joined_with_their_byte_order_marks(tmp_path: Path) -> None:
    """`cat a.json b.json` of two pretty-printed files saved with a mark each: the second mark
    is passed over with a warning naming its place, and both objects are written."""
    src, dst = tmp_path / "joined.json", tmp_path / "joined.jsonl"
    src.write_bytes(b'\xef\xbb\xbf{\n  "a": 1\n}\n\xef\xbb\xbf{\n  "b": 2\n}\n')
    result = convert_file(src, dst)
    assert result.skipped == []
    assert [(w.line, w.column) for w in result.warnings] == [(4, 1)]
    assert read_jsonl(dst) == [{"a": 1}, {"b": 2}]


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
    assert "a comma is missing" in issue.message
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

    monkeypatch.setattr("tuner.data.jsonl.convert.orjson.dumps", failing_dumps)
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


def test_detect_input_kind(tmp_path: Path) -> None:
    path = tmp_path / "x"
    for data, kind in [
        (b'{"a": 1}\n', "jsonl"),
        (b"[\n", "json"),
        (b"{\n", "json"),
        (b"", "jsonl"),
        (b'  {"a": 1},\n{"b": 2}', "json"),
        (b'\xef\xbb\xbf{"a": 1}\n', "jsonl"),
        (b'\xef\xbb\xbf\n\n  \n  {"a": 1}\n', "jsonl"),
        (b"\n\n  [\n", "json"),
        (b"\n \n", "jsonl"),
    ]:
        path.write_bytes(data)
        assert detect_input_kind(path) == kind, data


# -- resynchronising after a broken object ----------------------------------------------------


def pretty_examples(n: int) -> list[str]:
    return [
        json.dumps(
            {
                "messages": [
                    {"role": "system", "content": "You are a helpful assistant."},
                    {"role": "user", "content": f"Question {i}"},
                    {"role": "assistant", "content": f"Answer {i}"},
                ]
            },
            indent=2,
        )
        for i in range(n)
    ]


def test_curly_quotes_skip_one_object_reported_once(tmp_path: Path) -> None:
    objects = pretty_examples(14)
    objects[5] = objects[5].replace('"You are a helpful assistant."', "“You are a helpful…”")
    src, dst = tmp_path / "in.json", tmp_path / "out.jsonl"
    text = ",\n".join(objects) + "\n"
    src.write_text(text, encoding="utf-8")
    result = convert_file(src, dst)
    rows = read_jsonl(dst)
    assert result.examples_written == 13 and len(rows) == 13
    assert all("messages" in row for row in rows)  # never an inner message object
    (issue,) = result.skipped
    bad_line = text.splitlines().index('      "content": “You are a helpful…”') + 1
    assert (issue.line, issue.column) == (bad_line, 18)
    assert "curly quote" in issue.message and "starting at line" in issue.message


def test_an_object_left_open_resumes_at_the_next_one(tmp_path: Path) -> None:
    objects = pretty_examples(6)
    objects[2] = objects[2].rstrip().removesuffix("}")  # its closing brace is missing
    src, dst = tmp_path / "in.json", tmp_path / "out.jsonl"
    src.write_text("\n".join(objects) + "\n", encoding="utf-8")
    result = convert_file(src, dst)
    assert [r["messages"][1]["content"] for r in read_jsonl(dst)] == [
        f"Question {i}" for i in (0, 1, 3, 4, 5)
    ]
    (issue,) = result.skipped
    assert "not closed" in issue.message or "missing }" in issue.message


def test_an_unclosed_string_is_reported_once(tmp_path: Path) -> None:
    objects = pretty_examples(5)
    objects[1] = objects[1].replace('"Question 1"', '"Question 1')
    src, dst = tmp_path / "in.json", tmp_path / "out.jsonl"
    src.write_text("\n".join(objects) + "\n", encoding="utf-8")
    result = convert_file(src, dst)
    assert result.examples_written == 4 and len(result.skipped) == 1
    assert "not closed before the end of its line" in result.skipped[0].message


def test_text_between_objects_is_one_issue(tmp_path: Path) -> None:
    objects = pretty_examples(3)
    src, dst = tmp_path / "in.json", tmp_path / "out.jsonl"
    src.write_text(f"{objects[0]}\nHere are more examples:\n{objects[1]}\n42\n{objects[2]}\n")
    result = convert_file(src, dst)
    assert result.examples_written == 3
    assert [i.message.split(" (")[0].split(",")[0] for i in result.skipped] == [
        "text outside any object",
        "a JSON number",
    ]


# -- what cannot be converted is said plainly ---------------------------------------------------


def test_deep_nesting_on_the_first_line_is_reported_not_a_crash(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    deep = b'{"a":' * 5000 + b"1" + b"}" * 5000
    src.write_bytes(deep + b"\n" + b'{"messages": []}\n')
    result = convert_file(src, dst)
    assert result.examples_written == 1
    (issue,) = result.skipped
    assert issue.line == 1 and "nested too deeply" in issue.message


def test_deep_values_orjson_cannot_write_are_still_written(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(b'{"a":' + b"[" * 600 + b"]" * 600 + b"}\n")
    assert convert_file(src, dst).examples_written == 1
    assert dst.read_bytes().count(b"[") == 600


def test_a_repeated_key_is_reported_not_silently_dropped(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(
        b'{"messages": [{"role": "user", "content": "hi"}], "messages": []}\n{"messages": [1]}\n'
    )
    result = convert_file(src, dst)
    assert result.examples_written == 1
    (issue,) = result.skipped
    assert issue.line == 1 and 'the key "messages" appears twice' in issue.message


def test_a_number_with_too_many_digits_is_named(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.json", tmp_path / "out.jsonl"
    src.write_text('{\n  "a": ' + "9" * 5000 + "\n}\n", encoding="utf-8")
    (issue,) = convert_file(src, dst).skipped
    assert (issue.line, issue.column) == (2, 8)
    assert "a number with too many digits" in issue.message
    assert "set_int_max_str_digits" not in issue.message


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_are_one_clear_error(tmp_path: Path, codec: str) -> None:
    src = tmp_path / "in.json"
    data = '[{"messages": []}]'.encode(codec)
    src.write_bytes(data if codec != "utf-16-be" else b"\xfe\xff" + data)
    with pytest.raises(ConversionError, match=r"encoded as UTF-(16|32).*save it as UTF-8"):
        convert_file(src, tmp_path / "out.jsonl")
    assert not (tmp_path / "out.jsonl").exists()


def test_a_missing_output_folder_is_named(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"a": 1}\n')
    dst = tmp_path / "missing" / "out.jsonl"
    with pytest.raises(ConversionError) as caught:
        convert_file(src, dst)
    assert str(caught.value) == f"cannot write {dst}: the folder {dst.parent} does not exist"


# -- the output file: permissions and links ---------------------------------------------------


def test_in_place_conversion_keeps_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text('[{"a": 1}, {"b": 2}]', encoding="utf-8")
    path.chmod(0o644)
    assert convert_file(path, path, force=True).written
    assert read_jsonl(path) == [{"a": 1}, {"b": 2}]
    assert os.stat(path).st_mode & 0o777 == 0o644


def test_a_new_output_honours_the_umask(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(b'{"a": 1}\n')
    previous = os.umask(0o022)
    try:
        convert_file(src, dst)
    finally:
        os.umask(previous)
    assert os.stat(dst).st_mode & 0o777 == 0o644


def test_force_onto_a_link_writes_through_and_a_dangling_link_needs_force(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"a": 1}\n')
    target, link = tmp_path / "real.jsonl", tmp_path / "link.jsonl"
    link.symlink_to(target)  # dangling for now
    with pytest.raises(FileExistsError):
        convert_file(src, link)
    assert link.is_symlink() and not target.exists()
    convert_file(src, link, force=True)
    assert link.is_symlink() and read_jsonl(target) == [{"a": 1}]


# -- memory: a small multiple of the largest example ------------------------------------------

_PEAK_MEMORY = """
import resource, subprocess, sys
limit = 1 << 31  # a runaway parse fails fast instead of eating the machine
child = subprocess.run(
    [sys.executable, "-c", "import sys; from tuner.cli import main; sys.exit(main(sys.argv[1:]))",
     "convert", sys.argv[1], sys.argv[2]],
    preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit)),
    capture_output=True, text=True,
)
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(child.returncode, peak_kb, child.stderr.strip()[-300:])
"""


def big_example(chars: int) -> dict:
    """An example whose user turn is one string of about `chars` characters."""
    words = "the model learns from each example, so write answers şöyle: ".split()
    text = " ".join(words[k % len(words)] for k in range(chars // 6))
    return {
        "messages": [
            {"role": "system", "content": "Kısa cevap ver."},
            {"role": "user", "content": text},
            {"role": "assistant", "content": "Tamam."},
        ]
    }


def peak_rss_mb(src: Path, dst: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_PEAK_MEMORY), str(src), str(dst)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.split(maxsplit=2)
    assert out[0] == "0", out
    return int(out[1]) / 1024


@pytest.mark.parametrize("layout", ["one line", "pretty-printed"])
def test_a_huge_first_object_converts_in_bounded_memory(tmp_path: Path, layout: str) -> None:
    """A 30 MB object as the first line was read whole and regex-scanned: ~120 bytes per
    character of a long string. Streaming keeps the peak a small multiple of the object."""
    example = big_example(30_000_000)
    text = json.dumps(example, ensure_ascii=False, indent=None if layout == "one line" else 2)
    src, dst = tmp_path / "big.json", tmp_path / "big.jsonl"
    src.write_text(text + "\n" + json.dumps({"messages": []}) + "\n", encoding="utf-8")
    size_mb = src.stat().st_size / 1e6
    assert size_mb > 25
    peak = peak_rss_mb(src, dst)
    assert peak < 8 * size_mb + 60, f"{peak:.0f} MB peak for a {size_mb:.0f} MB object"
    first = orjson.loads(dst.read_bytes().split(b"\n", 1)[0])
    assert first == example


MISTAKES = {
    "curly quote": lambda t, i: t[:i] + "“" + t[i + 1 :],
    "missing quote": lambda t, i: t[:i] + t[i + 1 :],
    "stray quote": lambda t, i: t[:i] + '"' + t[i:],
}


@pytest.mark.parametrize("indent", [None, 2], ids=["one per line", "pretty"])
@pytest.mark.parametrize("layout", ["objects", "array"])
def test_one_mistake_costs_one_example_and_one_issue(
    tmp_path: Path, indent: int | None, layout: str
) -> None:
    """Whatever single slip a hand makes (a curly or missing quote, a missing comma or bracket),
    the other examples are written, the slip is reported once, and no inner object ever comes
    out as an example."""
    examples = [
        {
            "messages": [
                {"role": "system", "content": "Be brief, please."},
                {"role": "user", "content": f"q{i}: a [b] {{c}}"},
                {"role": "assistant", "content": "a"},
            ]
        }
        for i in range(6)
    ]
    text = ",\n".join(json.dumps(e, indent=indent) for e in examples)
    if layout == "array":
        text = f"[\n{text}\n]"
    rng = random.Random(f"{indent}{layout}")
    src, dst = tmp_path / "in.json", tmp_path / "out.jsonl"
    for _ in range(60):
        kind = rng.choice(["curly quote", "missing quote", "stray quote", "comma", "bracket"])
        if kind in MISTAKES:
            quotes = [i for i, c in enumerate(text) if c == '"']
            broken = MISTAKES[kind](text, rng.choice(quotes))
        else:
            spots = [i for i, c in enumerate(text) if c in (",}]" if kind == "comma" else "}]")]
            at = rng.choice(spots)
            broken = text[:at] + text[at + 1 :]
        src.write_text(broken, encoding="utf-8")
        result = convert_file(src, dst, force=True)
        rows = read_jsonl(dst) if result.written else []
        assert all(set(row) == {"messages"} for row in rows), (kind, broken)
        assert (len(rows), len(result.skipped)) in ((6, 0), (5, 1)), (kind, broken, result)


def test_columns_count_characters_and_ignore_the_bom(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.json", tmp_path / "out.jsonl"
    src.write_bytes('\ufeff[{"ş": 1}, {"ğ": ‘x’}]'.encode())
    (issue,) = convert_file(src, dst).skipped
    assert (issue.line, issue.column) == (1, 18)  # ‘ is the 18th character after the BOM
