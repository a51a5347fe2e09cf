"""The first line of each distinct example: a dict while small, two arrays past that."""

from __future__ import annotations

import pickle

import pytest

from tuner.data import example_hashes
from tuner.data.example_hashes import FirstLines


@pytest.mark.parametrize("dict_limit", [4, example_hashes.DICT_LIMIT])
def test_first_lines_are_remembered_across_the_move_to_arrays(
    dict_limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(example_hashes, "DICT_LIMIT", dict_limit)
    table = FirstLines()
    digests = [(i * 0x9E3779B97F4A7C15) % 2**64 for i in range(5000)]  # 0 first, then others
    for line, digest in enumerate(digests, start=1):
        assert table.get_or_add(digest, line) is None
    for line, digest in enumerate(digests, start=1):
        assert table.get_or_add(digest, 99_999) == line
        assert table.get(digest) == line
    table.replace(digests[10], 3)
    again = pickle.loads(pickle.dumps(table))
    assert len(again) == len(digests) and again.get(digests[10]) == 3
    assert dict(again.items()) == {d: 3 if i == 10 else i + 1 for i, d in enumerate(digests)}


def test_past_its_limit_new_examples_are_counted_not_recorded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(example_hashes, "DICT_LIMIT", 8)
    table = FirstLines(limit=20)
    for line in range(1, 31):
        table.get_or_add(line * 7919, line)
    assert len(table) == 20 and table.untracked == 10
    assert table.get(20 * 7919) == 20 and table.get(21 * 7919) is None
    assert table.get_or_add(5 * 7919, 40) == 5  # known ones are still found
