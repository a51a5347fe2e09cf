"""Searching a file's bytes: line numbers, case, JSON escapes, chunk boundaries, cancel."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from tuner.data.search import needles, search_file


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


def test_needles_are_lowered_and_unique() -> None:
    found = needles("Ab")
    assert found == [b"ab"]
    assert b"\\u00e7" in needles("ç")
