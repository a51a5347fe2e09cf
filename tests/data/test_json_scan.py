"""Finding where JSON values end without parsing them: strings, nesting, breaks, trailing commas."""

from __future__ import annotations

import json

from tuner.data.jsonl.json_scan import BracketScanner, Scan, blank_trailing_commas, value_end


def test_value_end_skips_brackets_inside_strings() -> None:
    data = b'  {"a": [1, {"b": "x}]\\"{"}]} tail'
    end = value_end(data)
    assert end is not None and data[:end].endswith(b"]}")
    assert json.loads(data[:end]) == {"a": [1, {"b": 'x}]"{'}]}


def test_value_end_of_something_else_or_unfinished_is_none() -> None:
    assert value_end(b'"just a string"') is None
    assert value_end(b'{"a": [1, 2') is None


def test_deep_nesting_needs_no_recursion() -> None:
    data = b"[" * 100_000 + b"]" * 100_000
    assert value_end(data) == len(data)


def test_breaks_are_found_where_they_are() -> None:
    newline_in_string = b'{"a": "unterminated\n, "b": 1}'
    assert _scan(newline_in_string) == (Scan.BROKEN, newline_in_string.index(b"\n"))
    wrong_closer = b'{"a": [1, 2}'
    assert _scan(wrong_closer) == (Scan.BROKEN, len(wrong_closer) - 1)
    not_closed = b'{\n  "a": 1\n{\n  "b": 2\n}'  # the first object lacks its }
    assert _scan(not_closed) == (Scan.BROKEN, not_closed.index(b"\n{") + 1)
    assert _scan(b'{"a": [1, {"b": 2}]') == (Scan.BROKEN, 19)  # the end of the data


def test_more_data_is_asked_for_and_resumed() -> None:
    buf = bytearray(b'{"a": "long str')
    scanner = BracketScanner(0)
    assert scanner.advance(buf, at_eof=False) == (Scan.MORE, 0)
    buf += b'ing \\"q\\" }", "b": [1,'
    assert scanner.advance(buf, at_eof=False) == (Scan.MORE, 0)
    buf += b" 2,]}, next"
    status, end = scanner.advance(buf, at_eof=False)
    assert status is Scan.END
    assert json.loads(bytes(buf[:end])) == {"a": 'long string "q" }', "b": [1, 2]}


def test_trailing_commas_are_blanked_in_place_outside_strings() -> None:
    buf = bytearray(b'{"a": ",]", "b": "\\",}", "c": [1, 2 ,\n ] ,}')
    size = len(buf)
    blank_trailing_commas(buf)
    assert len(buf) == size
    assert json.loads(bytes(buf)) == {"a": ",]", "b": '",}', "c": [1, 2]}


def _scan(data: bytes) -> tuple[Scan, int]:
    return BracketScanner(0).advance(bytearray(data), at_eof=True)
