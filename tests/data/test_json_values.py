"""Parsing one JSON document: faults named by their likely cause, repeated keys, deep values."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuner.data.jsonl.json_values import (
    JsonFaultError,
    compact_json,
    json_type,
    load,
    parse_document,
    repeated_key,
    short_json,
)


def fault(raw: bytes):
    with pytest.raises(JsonFaultError) as caught:
        load(raw)
    return caught.value.fault


@pytest.mark.parametrize(
    ("raw", "cause", "offset"),
    [
        ('{"content": “You are…”}'.encode(), "“ is a curly quote", 12),
        ('{“role”: "user"}'.encode(), "“ is a curly quote", 1),
        (b"{'role': 'user'}", "single quotes are not JSON quotes", 1),
        (b'{"a": 1 "b": 2}', "a comma is missing before it", 8),
        (b'{"a": [1, 2] "b": true}', "a comma is missing before it", 13),
        (b'{"a": "say "hi" now"}', 'a " inside a string must be written \\"', 12),
        (b'{"a": 1,}', "a trailing comma", None),
        (b'{"a": 1},', "a comma after the end of the object", None),
        (b'{"a": [1, 2', "the text ends before the JSON value does", None),
    ],
)
def test_faults_name_the_likely_cause(raw: bytes, cause: str, offset: int | None) -> None:
    found = fault(raw)
    assert found.code == "invalid_json"
    assert cause in found.reason
    if offset is not None:
        assert found.offset == offset


def test_nesting_too_deep_is_a_fault_not_a_crash() -> None:
    found = fault(b'{"a":' * 5000 + b"1" + b"}" * 5000)
    assert found.code == "invalid_json"
    assert found.reason.startswith("nested too deeply")
    assert fault(b"[" * 3000 + b"]" * 3000).reason.startswith("nested too deeply")


def test_a_number_with_too_many_digits_says_so() -> None:
    found = fault(b'{"n": ' + b"7" * 5000 + b"}")
    assert found.reason == "a number with too many digits (5,000)"
    assert "set_int_max_str_digits" not in found.reason
    assert "too large" in fault(b'{"n": 1e999}').reason


def test_not_utf8_gives_the_byte_offset() -> None:
    found = fault(b'{"a": "\xff"}')
    assert found.code == "invalid_utf8" and found.byte_offset == 7


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        (b'{"messages": [1], "messages": []}', "messages"),
        (b'{"a" : 1, "a"  :2}', "a"),
        (b'{"m": [{"role": "user", "role": "assistant"}]}', "role"),
        (b'{"a:b": 1, "a:b": 2}', "a:b"),
        (b'{"x": "\\u003a", "a": 1, "a": 2}', "a"),  # an escaped colon cannot hide a repeat
        (b'{"a\\u003a": 1, "a:": 2}', "a:"),
    ],
)
def test_repeated_keys_are_found(raw: bytes, key: str) -> None:
    parsed = parse_document(raw)
    assert parsed.duplicate is not None
    assert f'the key "{key}" appears twice in one object' in parsed.duplicate.reason


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": "t: 1", "b": {"a": 2}, "c": [{"a": 3}, {"a": 4}]}',
        b'{"x": "\\u003a", "y": "a\\":b"}',
        b'{"k" : "v", "l":"w"}',
    ],
)
def test_the_same_key_in_different_objects_is_fine(raw: bytes) -> None:
    assert parse_document(raw).duplicate is None


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=8),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_the_fast_check_agrees_with_a_full_parse(value: object) -> None:
    """No repeats in what json writes; and writing a key twice is always caught."""
    raw = json.dumps(value).encode()
    assert repeated_key(raw, compact_json(value)) is None
    doubled = b'{"dup": 1, "v": ' + raw + b', "dup": 2}'
    assert repeated_key(doubled, compact_json(json.loads(doubled))) == "dup"


def test_compact_json_writes_any_depth_like_orjson() -> None:
    shallow = {"a": [1, "ş", None, True, 2.5, {"b": {}}]}
    assert compact_json(shallow) == json.dumps(shallow, separators=(",", ":")).encode().replace(
        b"\\u015f", "ş".encode()
    )
    deep: object = 1
    for _ in range(600):
        deep = {"a": [deep]}
    text = compact_json(deep)
    assert text.startswith(b'{"a":[{"a":[') and text.count(b"{") == 600


def test_names_of_values() -> None:
    assert [json_type(v) for v in ({}, [], "", True, None, 1.5)] == [
        "object",
        "array",
        "string",
        "boolean",
        "null",
        "number",
    ]
    assert short_json("x" * 100).endswith("…") and len(short_json("x" * 100)) == 40
    deep: object = []
    for _ in range(400):
        deep = [deep]
    assert short_json(deep) == "a JSON array"
