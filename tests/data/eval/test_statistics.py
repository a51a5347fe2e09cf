"""Means with bootstrap intervals, pass rates, paired differences, latency and flips."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuner.data.eval.statistics import (
    Flip,
    bootstrap_mean,
    find_flips,
    latency_percentiles,
    paired_difference,
    pass_rate,
)

scores = st.lists(st.floats(min_value=0, max_value=1, allow_nan=False), min_size=1, max_size=60)


@settings(max_examples=60, deadline=None)
@given(scores)
def test_the_interval_holds_the_mean_and_stays_in_range(values: list[float]) -> None:
    estimate = bootstrap_mean(values, resamples=200)
    assert estimate is not None
    assert estimate.n == len(values)
    assert math.isclose(estimate.mean, sum(values) / len(values), abs_tol=1e-9)
    assert 0 <= estimate.low <= estimate.mean <= estimate.high <= 1


def test_the_interval_is_reproducible_and_depends_on_the_seed() -> None:
    values = [0.1, 0.9, 0.4, 0.5, 0.7, 0.2, 1.0, 0.0, 0.3, 0.8]
    one = bootstrap_mean(values)
    assert one == bootstrap_mean(values)
    assert one != bootstrap_mean(values, seed=1)


def test_the_interval_narrows_with_more_examples() -> None:
    few = bootstrap_mean([0.0, 1.0] * 5)
    many = bootstrap_mean([0.0, 1.0] * 500)
    assert few is not None and many is not None
    assert many.high - many.low < (few.high - few.low) / 5
    assert many.low < 0.5 < many.high


def test_no_values_have_no_mean() -> None:
    assert bootstrap_mean([]) is None
    assert paired_difference([], []) is None
    assert pass_rate(0, 0) is None
    assert latency_percentiles([]) is None


def test_a_big_run_is_resampled_in_bounded_chunks() -> None:
    values = [i % 7 / 6 for i in range(20_000)]
    estimate = bootstrap_mean(values, resamples=300)
    assert estimate is not None and estimate.low < estimate.mean < estimate.high


def test_a_constant_score_has_a_point_interval() -> None:
    estimate = bootstrap_mean([0.5] * 8)
    assert estimate is not None and estimate.low == estimate.mean == estimate.high == 0.5


def test_the_wilson_interval_matches_the_textbook_figures() -> None:
    # 8 of 10 at 95%: Wilson gives [0.490, 0.943].
    rate = pass_rate(8, 10)
    assert rate is not None
    assert rate.rate == 0.8
    assert rate.low == pytest.approx(0.4902, abs=1e-3)
    assert rate.high == pytest.approx(0.9433, abs=1e-3)


@pytest.mark.parametrize("passed", [0, 10])
def test_the_wilson_interval_has_width_at_0_and_100_percent(passed: int) -> None:
    rate = pass_rate(passed, 10)
    assert rate is not None
    assert 0 <= rate.low <= rate.rate <= rate.high <= 1
    assert rate.high - rate.low > 0.2


def test_an_impossible_pass_count_is_refused() -> None:
    with pytest.raises(ValueError):
        pass_rate(11, 10)


def test_a_consistent_improvement_is_significant() -> None:
    first = [0.2, 0.5, 0.3, 0.6, 0.4, 0.1, 0.5, 0.3, 0.2, 0.4] * 3
    other = [value + 0.2 for value in first]
    difference = paired_difference(first, other)
    assert difference is not None
    assert difference.mean == pytest.approx(0.2)
    assert difference.significant


def test_noise_around_zero_is_not_significant() -> None:
    first = [0.5, 0.6, 0.4, 0.7, 0.3, 0.5, 0.6, 0.4]
    other = [0.6, 0.5, 0.5, 0.6, 0.4, 0.4, 0.5, 0.5]
    difference = paired_difference(first, other)
    assert difference is not None
    assert difference.low <= 0 <= difference.high
    assert not difference.significant


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=40))
def test_the_paired_interval_holds_its_mean(pairs: list[tuple[float, float]]) -> None:
    first, other = [a for a, _ in pairs], [b for _, b in pairs]
    difference = paired_difference(first, other, resamples=200)
    assert difference is not None
    assert -1 <= difference.low <= difference.mean <= difference.high <= 1


def test_paired_scores_must_pair() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        paired_difference([0.1], [0.1, 0.2])


def test_latency_percentiles_interpolate() -> None:
    latency = latency_percentiles([float(s) for s in range(1, 101)])
    assert latency is not None
    assert latency.p50 == pytest.approx(50.5)
    assert latency.p95 == pytest.approx(95.05)


def test_flips_are_the_examples_whose_outcome_changed() -> None:
    first = {"a": True, "b": False, "c": True, "d": True}
    other = {"a": False, "b": True, "c": True}  # d was not graded for the other model
    lines = {"a": 3, "b": 1, "c": 2, "d": 4}
    assert find_flips(first, other, lines) == (Flip("b", 1, False), Flip("a", 3, True))


def test_a_difference_on_too_few_examples_is_never_significant() -> None:
    difference = paired_difference([0.9] * 4, [0.1] * 4)
    assert difference is not None and difference.high < 0
    assert not difference.significant
    assert paired_difference([0.9] * 5, [0.1] * 5).significant
