"""LineIndex (`line_index`), iter_lines and split_ranges (`lines`) over the awkward files people
actually have, each checked against the other."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuner.data.jsonl.line_index import InvalidUtf8Error, LineIndex
from tuner.data.jsonl.lines import iter_lines, split_ranges


def write(tmp_path: Path, data: bytes, name: str = "f.jsonl") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def all_lines(index: LineIndex) -> list[bytes]:
    return [index.line_bytes(n) for n in range(1, len(index) + 1)]


def test_lf_lines_and_offsets(tmp_path: Path) -> None:
    index = LineIndex(write(tmp_path, b'{"a":1}\n{"b":2}\n')).scan()
    assert len(index) == 2
    assert all_lines(index) == [b'{"a":1}', b'{"b":2}']
    assert index.offset(1) == 0
    assert index.offset(2) == 8
    assert index.size == 16
    assert index.path.name == "f.jsonl"


def test_crlf_line_endings_are_stripped(tmp_path: Path) -> None:
    index = LineIndex(write(tmp_path, b"one\r\ntwo\r\n")).scan()
    assert all_lines(index) == [b"one", b"two"]
    assert index.line_text(2) == "two"


def test_missing_final_newline_still_counts_last_line(tmp_path: Path) -> None:
    index = LineIndex(write(tmp_path, b"one\ntwo")).scan()
    assert len(index) == 2
    assert index.line_bytes(2) == b"two"


def test_final_newline_adds_no_empty_line(tmp_path: Path) -> None:
    assert len(LineIndex(write(tmp_path, b"one\n")).scan()) == 1


def test_empty_file(tmp_path: Path) -> None:
    index = LineIndex(write(tmp_path, b"")).scan()
    assert len(index) == 0
    assert index.scanned
    assert list(iter_lines(index.path)) == []
    assert split_ranges(index.path, 4) == []


def test_blank_lines_are_lines(tmp_path: Path) -> None:
    index = LineIndex(write(tmp_path, b"a\n\n  \nb\n\n")).scan()
    assert all_lines(index) == [b"a", b"", b"  ", b"b", b""]


def test_bom_kept_in_bytes_stripped_in_text(tmp_path: Path) -> None:
    index = LineIndex(write(tmp_path, b'\xef\xbb\xbf{"a":"\xc3\xa7"}\n')).scan()
    assert index.line_bytes(1).startswith(b"\xef\xbb\xbf")
    assert index.line_text(1) == '{"a":"ç"}'


def test_invalid_utf8_reports_file_offset(tmp_path: Path) -> None:
    index = LineIndex(write(tmp_path, b"ok\nab\xffcd\n")).scan()
    assert index.line_text(1) == "ok"
    with pytest.raises(InvalidUtf8Error) as info:
        index.line_text(2)
    assert info.value.line == 2
    assert info.value.byte_offset == 5
    assert "byte offset 5" in str(info.value)


def test_out_of_range_line(tmp_path: Path) -> None:
    index = LineIndex(write(tmp_path, b"a\n")).scan()
    with pytest.raises(IndexError):
        index.line_bytes(2)
    with pytest.raises(IndexError):
        index.line_bytes(0)


def test_scan_iter_reports_progress_and_lines_are_readable_early(tmp_path: Path) -> None:
    path = write(tmp_path, b"".join(b"line %d\n" % i for i in range(1, 1001)))
    index = LineIndex(path)
    steps = []
    for progress in index.scan_iter(batch_lines=100):
        steps.append(progress)
        if not progress.done:
            assert index.line_bytes(progress.lines) == b"line %d" % progress.lines
    assert steps[-1].done and steps[-1].lines == 1000
    assert steps[-1].bytes_scanned == steps[-1].total_bytes == path.stat().st_size
    assert len(steps) >= 10
    assert [s.lines for s in steps[:-1]] == sorted(s.lines for s in steps[:-1])


def test_scan_can_be_cancelled_and_resumed(tmp_path: Path) -> None:
    path = write(tmp_path, b"x\n" * 1000)
    index = LineIndex(path)
    cancel = threading.Event()
    for progress in index.scan_iter(batch_lines=100, cancel=cancel):
        if progress.lines >= 200:
            cancel.set()
    assert not index.scanned
    assert 200 <= len(index) < 1000
    index.scan()
    assert index.scanned and len(index) == 1000


def test_a_cancelled_scan_stops_between_reads_inside_one_long_line(tmp_path: Path) -> None:
    """No newline for megabytes: the scan still stops when cancelled (quitting the app while
    it indexes such a file must not wait for the whole read)."""
    path = write(tmp_path, b"x" * (9 << 20) + b"\n")
    index = LineIndex(path)
    cancel = threading.Event()
    cancel.set()
    assert [p for p in index.scan_iter(cancel=cancel) if p.done] == []
    assert not index.scanned and len(index) == 0


def test_a_100mb_single_line(tmp_path: Path) -> None:
    size = 100 * 1024 * 1024 + 7
    path = tmp_path / "huge.jsonl"
    chunk = b"a" * (1 << 20)
    with open(path, "wb") as f:
        f.write(b'{"x":"')
        written = 6
        while written + len(chunk) < size - 2:
            f.write(chunk)
            written += len(chunk)
        f.write(b"a" * (size - 2 - written))
        f.write(b'"}')
        f.write(b"\nnext\n")
    index = LineIndex(path).scan()
    assert len(index) == 2
    assert len(index.line_bytes(1)) == size
    assert index.line_bytes(2) == b"next"
    lines = list(iter_lines(path))
    assert [n for n, _ in lines] == [1, 2]
    assert len(lines[0][1]) == size
    assert lines[1][1] == b"next"


def test_iter_lines_matches_the_index(tmp_path: Path) -> None:
    data = b'\xef\xbb\xbf{"a":1}\r\n\n  \n{"b":\xff}\nlast'
    path = write(tmp_path, data)
    index = LineIndex(path).scan()
    assert list(iter_lines(path)) == [(n, index.line_bytes(n)) for n in range(1, len(index) + 1)]


def test_iter_lines_mid_file_without_first_line_has_no_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, b"aa\nbb\ncc\n")
    assert list(iter_lines(path, 1, 5)) == [(None, b"bb")]
    assert list(iter_lines(path, 3, 6, first_line=2)) == [(2, b"bb")]


def test_split_ranges_counts_first_lines(tmp_path: Path) -> None:
    path = write(tmp_path, b"".join(b"%d\n" % i for i in range(1, 101)))
    ranges = split_ranges(path, 4)
    assert len(ranges) == 4
    assert ranges[0][0] == 0 and ranges[-1][1] == path.stat().st_size
    for (_, end, _), (start, _, _) in itertools.pairwise(ranges):
        assert end == start
    for start, end, first in ranges:
        for number, raw in iter_lines(path, start, end, first):
            assert raw == b"%d" % number


line_content = st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"").replace(b"\r", b""))


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(line_content, max_size=30),
    crlf=st.booleans(),
    final_newline=st.booleans(),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=6),
)
def test_random_byte_ranges_cover_every_line_once(
    tmp_path: Path, lines: list[bytes], crlf: bool, final_newline: bool, cuts: list[int]
) -> None:
    sep = b"\r\n" if crlf else b"\n"
    data = sep.join(lines) + (sep if final_newline and lines else b"")
    path = write(tmp_path, data, "h.jsonl")
    index = LineIndex(path).scan()
    expected = [(n, index.line_bytes(n)) for n in range(1, len(index) + 1)]
    assert list(iter_lines(path)) == expected

    bounds = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    got: list[bytes] = []
    for start, end in itertools.pairwise(bounds):
        got.extend(raw for _, raw in iter_lines(path, start, end))
    assert got == [raw for _, raw in expected]

    numbered: list[tuple[int | None, bytes]] = []
    for start, end, first in split_ranges(path, 1 + len(cuts)):
        numbered.extend(iter_lines(path, start, end, first))
    assert numbered == expected


def test_a_long_line_is_scanned_once_when_the_file_is_cut_into_ranges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every cut that falls inside one long line ends at the same place: scanning the line
    again for each (256 times for a 2 GB line) took minutes."""
    from tuner.data.jsonl import lines

    path = tmp_path / "long.jsonl"
    path.write_bytes(b'{"a": 1}\n' + b"x" * (4 << 20) + b"\n" + b'{"b": 2}\n' * 1000)
    scans: list[int] = []
    real = lines._next_line_start

    def counted(f, pos: int, size: int) -> int:
        scans.append(pos)
        return real(f, pos, size)

    monkeypatch.setattr(lines, "_next_line_start", counted)
    ranges = split_ranges(path, 64)
    assert len(scans) <= 3
    assert [start for start, _, _ in ranges][:2] == [0, (4 << 20) + 10]
    numbered = [n for start, end, first in ranges for n, _ in iter_lines(path, start, end, first)]
    assert numbered == list(range(1, 1003))
