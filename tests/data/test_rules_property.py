"""Properties: check_example never raises, problems always have lines, merging is order-free."""

from __future__ import annotations

import itertools

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from tuner.data.rules import file as file_rules
from tuner.data.rules.check import check_example
from tuner.data.rules.file import FileFacts
from tuner.data.rules.problems import Problem

json_scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=8)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)
roles = st.sampled_from(["system", "user", "assistant", "tool", "function", "developer", "x", 1])
keys = st.sampled_from(
    ["role", "content", "name", "weight", "tool_calls", "function_call", "tool_call_id", "zz"]
)
messages = st.dictionaries(keys, json_values | roles, max_size=5)
shaped = st.one_of(
    st.builds(lambda m: {"messages": m}, st.lists(messages | json_values, max_size=5)),
    st.builds(
        lambda m, t: {"messages": m, "tools": t, "functions": t},
        st.lists(messages, max_size=3),
        json_values,
    ),
    st.builds(
        lambda i, p, n: {"input": i, "preferred_output": p, "non_preferred_output": n},
        st.builds(lambda m: {"messages": m}, st.lists(messages, max_size=3)) | json_values,
        st.lists(messages, max_size=2) | json_values,
        st.lists(messages, max_size=2) | json_values,
    ),
    json_values,
)


def assert_well_formed(problems: list[Problem], line: int) -> None:
    for p in problems:
        assert isinstance(p, Problem)
        assert p.line == line
        assert p.code and p.message
        assert p.code != "internal_error", p.message


@settings(max_examples=300)
@given(raw=st.binary(max_size=200), line=st.integers(1, 10**7))
def test_random_bytes_never_raise(raw: bytes, line: int) -> None:
    assert_well_formed(check_example(raw, line).problems, line)


@settings(max_examples=300)
@given(obj=shaped, line=st.integers(1, 10**6))
def test_random_json_never_raises(obj: object, line: int) -> None:
    result = check_example(orjson.dumps(obj), line)
    assert_well_formed(result.problems, line)
    assert result.obj == obj


@settings(max_examples=300)
@given(obj=shaped, cut=st.integers(0, 400), line=st.integers(1, 1000))
def test_truncated_lines_never_raise(obj: object, cut: int, line: int) -> None:
    raw = orjson.dumps(obj)
    assert_well_formed(check_example(raw[:cut], line).problems, line)


@settings(max_examples=100)
@given(
    hashes=st.lists(st.integers(0, 5), min_size=1, max_size=40),
    chunks=st.lists(st.integers(1, 40), max_size=5),
    data=st.data(),
)
def test_merge_is_order_independent(hashes: list[int], chunks: list[int], data) -> None:
    lines = list(enumerate(hashes, start=1))
    whole = FileFacts()
    for line, digest in lines:
        whole.add_hash(digest, line)

    bounds = sorted({0, len(lines), *(c for c in chunks if c < len(lines))})
    parts = []
    for start, end in itertools.pairwise(bounds):
        facts = FileFacts()
        for line, digest in lines[start:end]:
            facts.add_hash(digest, line)
        parts.append(facts)
    order = data.draw(st.permutations(parts))
    merged = FileFacts()
    for part in order:
        merged.merge(part)
    assert merged.duplicates() == whole.duplicates()
    assert dict(merged.first_lines.items()) == dict(whole.first_lines.items())
    assert merged.duplicate_count == whole.duplicate_count


@given(
    hashes=st.lists(st.integers(0, 5), min_size=1, max_size=60),
    chunks=st.lists(st.integers(1, 60), max_size=5),
    data=st.data(),
)
def test_a_bounded_duplicate_list_keeps_the_first_and_counts_all(
    hashes: list[int], chunks: list[int], data
) -> None:
    """With room for 3 duplicates, any merge order keeps the same first 3 and counts every
    repeat, as an unbounded pass finds them."""
    lines = list(enumerate(hashes, start=1))
    seen: dict[int, int] = {}
    expected = []
    for line, digest in lines:
        if digest in seen:
            expected.append((line, seen[digest]))
        else:
            seen[digest] = line
    kept = file_rules.DUPLICATES_KEPT
    file_rules.DUPLICATES_KEPT = 3
    try:
        bounds = sorted({0, len(lines), *(c for c in chunks if c < len(lines))})
        parts = []
        for start, end in itertools.pairwise(bounds):
            facts = FileFacts()
            for line, digest in lines[start:end]:
                facts.add_hash(digest, line)
            parts.append(facts)
        merged = FileFacts()
        for part in data.draw(st.permutations(parts)):
            merged.merge(part)
        assert merged.duplicates() == expected[:3]
        assert merged.duplicate_count == len(expected)
    finally:
        file_rules.DUPLICATES_KEPT = kept


parts = st.lists(
    st.dictionaries(
        st.sampled_from(["type", "text", "image_url"]),
        st.sampled_from(["text", "image_url", "audio"]) | json_values,
        max_size=3,
    )
    | json_values,
    max_size=3,
)
together_messages = st.dictionaries(keys, json_values | roles | parts, max_size=5)
together_shaped = st.one_of(
    shaped,
    st.builds(
        lambda m, t: {"messages": m, "tools": t},
        st.lists(together_messages | json_values, max_size=5),
        json_values,
    ),
    st.builds(lambda p, c: {"prompt": p, "completion": c}, json_values | parts, json_values),
    st.builds(lambda t, m: {"text": t, "messages": m}, json_values | parts, json_values),
    st.builds(lambda t: {"text": t}, json_values | parts),
)


@settings(max_examples=300)
@given(obj=together_shaped, line=st.integers(1, 10**6))
def test_random_json_never_raises_under_together_rules(obj: object, line: int) -> None:
    result = check_example(orjson.dumps(obj), line, "together")
    assert_well_formed(result.problems, line)
    assert result.obj == obj


@settings(max_examples=200)
@given(raw=st.binary(max_size=200), line=st.integers(1, 10**7))
def test_random_bytes_never_raise_under_together_rules(raw: bytes, line: int) -> None:
    assert_well_formed(check_example(raw, line, "together").problems, line)
