"""Token distribution: real percentiles, a histogram that loses nothing, over-limit counts."""

from __future__ import annotations

import statistics
from array import array
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuner.data.stats import TokenStats


def test_summary() -> None:
    stats = TokenStats.from_counts([5, 1, 3, 2, 4])
    assert (stats.n, stats.total, stats.min, stats.max, stats.mean) == (5, 15, 1, 5, 3.0)
    assert (stats.p5, stats.p50, stats.p95) == (pytest.approx(1.2), 3.0, pytest.approx(4.8))


def test_empty() -> None:
    stats = TokenStats.from_counts([])
    assert (stats.n, stats.total, stats.min, stats.max, stats.mean) == (0, 0, 0, 0, 0.0)
    assert stats.histogram(10) == []
    assert stats.over_limit(0) == 0


def test_single_value() -> None:
    stats = TokenStats.from_counts(array("I", [7]))
    assert (stats.p5, stats.p50, stats.p95) == (7, 7, 7)
    assert stats.histogram(5) == [(7, 8, 1)]


@given(st.lists(st.integers(min_value=0, max_value=200_000), min_size=2, max_size=300))
def test_percentiles_are_linear_interpolation(counts: list[int]) -> None:
    stats = TokenStats.from_counts(counts)
    # statistics' "inclusive" method is the same linear interpolation (numpy's default).
    cuts = statistics.quantiles(counts, n=100, method="inclusive")
    assert stats.p5 == pytest.approx(cuts[4])
    assert stats.p50 == pytest.approx(cuts[49])
    assert stats.p95 == pytest.approx(cuts[94])
    assert stats.percentile(0) == min(counts) and stats.percentile(100) == max(counts)


@given(
    st.lists(st.integers(min_value=0, max_value=100_000), max_size=300),
    st.integers(min_value=1, max_value=60),
)
def test_histogram_puts_every_example_in_one_bin(counts: list[int], bins: int) -> None:
    histogram = TokenStats.from_counts(counts).histogram(bins)
    assert len(histogram) <= bins
    assert sum(count for _, _, count in histogram) == len(counts)
    for lo, hi, count in histogram:
        assert lo < hi
        assert count == sum(lo <= c < hi for c in counts)
    if counts:
        assert histogram[0][0] == min(counts) and histogram[-1][1] == max(counts) + 1
        assert all(a[1] == b[0] for a, b in pairwise(histogram))


def test_histogram_example() -> None:
    stats = TokenStats.from_counts([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    assert stats.histogram(5) == [(0, 2, 2), (2, 4, 2), (4, 6, 2), (6, 8, 2), (8, 10, 2)]
    assert stats.histogram(3) == [(0, 4, 4), (4, 8, 4), (8, 10, 2)]
    with pytest.raises(ValueError):
        stats.histogram(0)


def test_over_limit() -> None:
    stats = TokenStats.from_counts([100, 4096, 4097, 20_000])
    assert stats.over_limit(4096) == 2
    assert stats.over_limit(0) == 4
    assert stats.over_limit(20_000) == 0


def test_large_input_is_compact() -> None:
    stats = TokenStats.from_counts(range(200_000))
    assert stats.n == 200_000 and stats.p50 == pytest.approx(99_999.5)


def test_what_is_kept_grows_with_the_distinct_counts_not_the_examples() -> None:
    """Two million examples of three sizes keep three entries, and every figure is the one
    the full sorted list gives."""
    stats = TokenStats.from_frequencies({10: 1_000_000, 500: 999_999, 70_000: 1})
    assert stats.distinct == 3 and stats.n == 2_000_000
    assert (stats.min, stats.max, stats.p50, stats.p95) == (10, 70_000, 255.0, 500.0)
    assert stats.over_limit(499) == 1_000_000
    assert stats.billed(65_536) == 10 * 1_000_000 + 500 * 999_999 + 65_536


@given(
    st.lists(st.integers(min_value=0, max_value=5_000), max_size=300),
    st.integers(min_value=0, max_value=6_000),
)
def test_billed_is_the_capped_sum(counts: list[int], limit: int) -> None:
    stats = TokenStats.from_counts(counts)
    assert stats.billed(limit) == sum(min(limit, c) for c in counts)
    assert stats.billed(None) == sum(counts)
    assert stats.over_limit(limit) == sum(c > limit for c in counts)
