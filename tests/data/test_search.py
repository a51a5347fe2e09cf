"""Searching a file: line numbers, case in every script, JSON escapes, chunk boundaries, cancel,
and the spans that highlight a match in the original text."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tuner.data.jsonl.search import find_spans, fold, needles, search_file


def all_lines(path: Path, query: str, **kwargs) -> list[int]:
    batches = list(search_file(path, query, **kwargs))
    assert batches[-1].done
    return [n for b in batches for n in b.lines]


def test_finds_matching_lines_once_each(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text("apple apple\nbanana\nApple pie\n\nAPPLE\n", encoding="utf-8")
    assert all_lines(path, "apple") == [1, 3, 5]


def test_ascii_case_insensitive_and_simple_non_ascii_case(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text("Çay saati\nçay\nkahve\n", encoding="utf-8")
    assert all_lines(path, "çay") == [1, 2]
    assert all_lines(path, "KAHVE") == [3]


def test_finds_text_stored_as_json_escapes(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    lines = [json.dumps({"t": "Teşekkürler"}), json.dumps({"t": 'say "hi"'}), "{}"]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    assert "\\u015f" in path.read_text()  # json.dumps escaped the ş
    assert all_lines(path, "teşekkür") == [1]
    assert all_lines(path, 'say "hi"') == [2]


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64])
def test_matches_across_chunk_boundaries(tmp_path: Path, chunk: int) -> None:
    path = tmp_path / "a.jsonl"
    text = "xx needle\nno\nneedle\nneedleneedle\nnope\nxneedle"
    path.write_text(text, encoding="utf-8")
    assert all_lines(path, "needle", chunk_bytes=chunk) == [1, 3, 4, 6]


def test_no_match_and_empty_query(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text("a\nb\n", encoding="utf-8")
    assert all_lines(path, "zzz") == []
    assert list(search_file(path, "")) == []


def test_progress_and_cancel(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b"hit\n" * 1000)
    cancel = threading.Event()
    seen = []
    for batch in search_file(path, "hit", chunk_bytes=400, cancel=cancel):
        seen.append(batch)
        cancel.set()
    assert len(seen) == 1 and not seen[0].done
    assert seen[0].lines == list(range(1, 101))
    assert seen[0].bytes_scanned == 400 and seen[0].total_bytes == 4000


def test_missing_file_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        list(search_file(tmp_path / "gone.jsonl", "x"))


def test_needles_are_folded_and_unique() -> None:
    assert needles("Ab") == ["ab"]
    assert needles('say "Hi"') == ['say \\"hi\\"', 'say "hi"']


# -- case in every script ------------------------------------------------------------------


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("indirim", "Büyük İndirim başladı"),  # Turkish dotted capital İ
        ("İNDİRİM", "büyük indirim"),
        ("ırmak", "IRMAK kenarı"),  # dotless ı and its capital I
        ("IRMAK", "ırmak kenarı"),
        ("ürün", "Yeni Ürün"),
        ("çiğ", "Çiğ köfte"),
        ("ÇİĞ KÖFTE", "çiğ köfte"),
        ("strasse", "Hauptstraße 5"),  # German ß folds to ss
        ("STRASSE", "Hauptstraße 5"),
        ("straße", "HAUPTSTRASSE"),
        ("ẞ", "Fuß"),  # the capital sharp s
        ("σοφία", "ΣΟΦΊΑ"),  # Greek sigma, final sigma
        ("λόγος", "ΛΌΓΟΣ"),
        ("ΛΌΓΟΣ", "ο λόγος μας"),
        ("ΟΔΟΣ", "οδος"),
        ("straße", "STRAẞE"),
        ("привет", "ПРИВЕТ мир"),  # Cyrillic
    ],
)
def test_finds_across_case_in_every_script(tmp_path: Path, query: str, text: str) -> None:
    path = write_lines(
        tmp_path / "a.jsonl", ["nothing here", json.dumps({"t": text}, ensure_ascii=False)]
    )
    assert all_lines(path, query) == [2]
    escaped = write_lines(tmp_path / "b.jsonl", ["nothing here", json.dumps({"t": text})])
    assert all_lines(escaped, query) == [2]  # the same text written as \\uXXXX escapes


def test_turkish_i_forms_all_match_each_other() -> None:
    assert len({fold(c) for c in "iİıI"}) == 1
    assert fold("İstanbul") == fold("istanbul") == fold("ISTANBUL")


def test_a_query_does_not_match_a_different_word() -> None:
    assert fold("ürün") not in fold("urun")
    assert fold("çiğ") not in fold("cig")


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 64])
def test_multibyte_characters_cut_by_chunks(tmp_path: Path, chunk: int) -> None:
    path = write_lines(tmp_path / "a.jsonl", ["Çiğ köfte", "ürün", "İndirim ÜRÜN", "\\u0130ndirim"])
    assert all_lines(path, "ürün", chunk_bytes=chunk) == [2, 3]
    assert all_lines(path, "indirim", chunk_bytes=chunk) == [3, 4]


def test_an_escaped_backslash_is_not_an_escape(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "a.jsonl", [json.dumps({"t": "\\u0130x"}), json.dumps({"t": "İx"})]
    )
    assert all_lines(path, "ix") == [2]


_TEXT = st.text(alphabet='iİıIsSßẞΣσςüÜaA "\\u013😀', max_size=12)


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(_TEXT, max_size=6), query=_TEXT, chunk=st.integers(1, 9))
@example(lines=["Ü"], query="\\", chunk=1)  # `\u00dc` cut by the chunk: not a backslash
@example(lines=["Σ", ""], query="A", chunk=1)  # nor is the `a` of `\u03a3` an "a"
@example(lines=["\\ΣÜ\\"], query="A", chunk=1)  # `\\` then `\u03a3`: the pair comes first
@example(lines=["😀1Ü\\"], query="0", chunk=1)  # a surrogate pair's escapes kept together
@example(lines=["😀ÜÜÜ"], query="0", chunk=1)
def test_search_file_agrees_with_folding_each_line(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str], query: str, chunk: int
) -> None:
    path = tmp_path_factory.mktemp("s") / "a.jsonl"
    rows = [json.dumps({"t": line}, ensure_ascii=n % 2 == 0) for n, line in enumerate(lines)]
    path.write_text("".join(row + "\n" for row in rows), encoding="utf-8")
    forms = needles(query)
    expected = [
        n
        for n, line in enumerate(lines, 1)
        if any(form in fold(json.dumps({"t": line}, ensure_ascii=False)) for form in forms)
    ]
    found = [n for b in search_file(path, query, chunk_bytes=chunk) for n in b.lines]
    assert found == expected


# -- spans for highlighting --------------------------------------------------------------------


def marked(text: str, query: str) -> str:
    """`text` with every span `find_spans` gives in brackets."""
    out, at = [], 0
    for start, end in find_spans(text, query):
        out += [text[at:start], "[", text[start:end], "]"]
        at = end
    return "".join([*out, text[at:]])


@pytest.mark.parametrize(
    ("text", "query", "expected"),
    [
        ("Büyük İndirim! indirim", "indirim", "Büyük [İndirim]! [indirim]"),
        ("Yeni Ürün, ürün", "ÜRÜN", "Yeni [Ürün], [ürün]"),
        ("Çiğ köfte", "çiğ", "[Çiğ] köfte"),
        ("Die Straße ist lang", "strasse", "Die [Straße] ist lang"),
        ("Die STRASSE und die Straße", "straße", "Die [STRASSE] und die [Straße]"),
        ("Fußball", "ss", "Fu[ß]ball"),  # half of ß's folding still marks the whole ß
        ("ß after Maß", "sa", "ß after Maß"),  # "ss after mass" holds no "sa"
        ("ΛΌΓΟΣ και λόγος", "λόγοσ", "[ΛΌΓΟΣ] και [λόγος]"),
        ("ordinary ASCII text", "ASCII", "ordinary [ASCII] text"),
        ("no match", "zz", "no match"),
    ],
)
def test_spans_map_back_to_the_original_text(text: str, query: str, expected: str) -> None:
    assert marked(text, query) == expected


def test_spans_after_a_length_changing_fold_land_on_the_right_characters() -> None:
    text = "ßßß İstanbul ßß istanbul"
    spans = find_spans(text, "İSTANBUL")
    assert [text[a:b] for a, b in spans] == ["İstanbul", "istanbul"]
