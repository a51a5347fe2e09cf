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


def _longest_probe(table: FirstLines) -> int:
    """How far the farthest entry sits from the slot its probing starts at."""
    mask, keys = table._mask, table._keys
    longest = 0
    for i, key in enumerate(keys):
        if key:
            home = (((key ^ table._salt) * example_hashes._MIX) & example_hashes._M64) >> (
                table._shift
            )
            longest = max(longest, (i - home) & mask)
    return longest


def test_copying_one_table_into_another_keeps_probes_short(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Merging a worker's table copies its entries in the order it stores them; two tables
    sharing a layout turned that into one ever-longer run of slots (minutes for a million)."""
    monkeypatch.setattr(example_hashes, "DICT_LIMIT", 1000)
    first, second = FirstLines(), FirstLines()
    for i in range(1, 30_001):
        first.get_or_add((i * 0x9E3779B97F4A7C15) % 2**64, i)
        second.get_or_add((i * 0xC2B2AE3D27D4EB4F) % 2**64, 30_000 + i)
    for digest, line in second.items():
        first.get_or_add(digest, line)
    assert len(first) == 60_000
    assert _longest_probe(first) < 200
