"""How sure a score is: means with bootstrap intervals, pass rates, paired differences, flips.

A mean over 50 examples is a guess; its 95% interval says how good a guess. Means and paired
differences use the percentile bootstrap: resample the examples with replacement
`DEFAULT_RESAMPLES` times, take the mean of each resample, and report the 2.5th and 97.5th
percentiles of those means. It assumes nothing about the shape of the scores (many are 0 or 1,
others bunch near the top), which is why it is used instead of a normal interval.

Every interval is reproducible: the resampling draws from numpy's PCG64 generator seeded with
`DEFAULT_SEED` (or the seed given), so the same scores give the same report on every run with the
same numpy. The seed and the number of resamples are written into `summary.json`.

Pass rates use the Wilson score interval, the one that stays inside 0..1 and behaves at 0% and
100% (where the textbook normal interval collapses to a width of zero).

A paired difference compares two models on the same examples: the mean of (other - first) per
example, bootstrapped over examples. Pairing removes the examples' own difficulty from the
comparison, so a real difference shows with far fewer examples than two separate means would
need. It is "significant" when its interval excludes 0 (and it rests on 5 examples at least).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

DEFAULT_RESAMPLES = 2000
DEFAULT_SEED = 20270114  # any fixed number; this one is the day the old models stop answering
CONFIDENCE = 0.95
# Fewer paired examples than this are never called a significant difference.
MIN_PAIRS_FOR_SIGNIFICANCE = 5
# Resamples drawn at once: 100 x 10,000 examples is 8 MB of indices, whatever the run's size.
_CHUNK_BYTES = 8 << 20


@dataclass(frozen=True, slots=True)
class MeanEstimate:
    """The mean of `n` values and its interval [`low`, `high`] (which always holds the mean)."""

    n: int
    mean: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class PassRate:
    """`passed` of `n` passed: the `rate` (0..1) and its Wilson interval [`low`, `high`]."""

    n: int
    passed: int
    rate: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class PairedDifference:
    """The mean of (other - first) over `n` examples scored for both, with its interval.

    Positive means the other model scored higher. `significant` is True when the interval
    excludes 0 (both ends above, or both below) over at least `MIN_PAIRS_FOR_SIGNIFICANCE`
    examples: resampling one or two examples gives an interval that only looks certain.
    """

    n: int
    mean: float
    low: float
    high: float

    @property
    def significant(self) -> bool:
        return self.n >= MIN_PAIRS_FOR_SIGNIFICANCE and (self.low > 0 or self.high < 0)


@dataclass(frozen=True, slots=True)
class Latency:
    """Latency percentiles in seconds over `n` replies (linear interpolation, as numpy does)."""

    n: int
    p50: float
    p95: float


@dataclass(frozen=True, slots=True)
class Flip:
    """An example that passes for one model and fails for the other.

    `first_passed` is the first (baseline) model's outcome; the other model had the opposite.
    """

    example: str
    line: int
    first_passed: bool


def bootstrap_mean(
    values: Sequence[float],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    confidence: float = CONFIDENCE,
) -> MeanEstimate | None:
    """The mean of `values` with its percentile-bootstrap interval; None for no values.

    A percentile bootstrap can, by a resampling accident on a handful of values, put both ends
    on one side of the mean; the interval is widened to hold the mean in that case, so a report
    never shows a mean outside its own interval.
    """
    data = np.asarray(values, dtype=np.float64)
    if data.size == 0:
        return None
    mean = float(data.mean())
    means = _resampled_means(data, resamples, seed)
    low, high = _percentiles(means, confidence)
    return MeanEstimate(int(data.size), mean, min(low, mean), max(high, mean))


def paired_difference(
    first: Sequence[float],
    other: Sequence[float],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    confidence: float = CONFIDENCE,
) -> PairedDifference | None:
    """The paired difference (other - first) of two equally long score lists, where position i
    of both is the same example; None when they are empty.

    The caller keeps only the examples both models were scored on.
    """
    if len(first) != len(other):
        raise ValueError(f"paired scores differ in length: {len(first)} and {len(other)}")
    estimate = bootstrap_mean(
        [b - a for a, b in zip(first, other, strict=True)],
        resamples=resamples,
        seed=seed,
        confidence=confidence,
    )
    if estimate is None:
        return None
    return PairedDifference(estimate.n, estimate.mean, estimate.low, estimate.high)


def pass_rate(passed: int, n: int, *, confidence: float = CONFIDENCE) -> PassRate | None:
    """The share of `n` that passed with its Wilson score interval; None when `n` is 0."""
    if n <= 0:
        return None
    if not 0 <= passed <= n:
        raise ValueError(f"{passed} passed of {n} is impossible")
    z = _z(confidence)
    rate = passed / n
    denominator = 1 + z * z / n
    centre = (rate + z * z / (2 * n)) / denominator
    half = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / denominator
    # Rounding can put an end a hair past the rate at 0% or 100%; the interval holds the rate.
    low = min(rate, max(0.0, centre - half))
    high = max(rate, min(1.0, centre + half))
    return PassRate(n, passed, rate, low, high)


def latency_percentiles(seconds: Sequence[float]) -> Latency | None:
    """The median and 95th percentile of reply latencies; None for none."""
    data = np.asarray(seconds, dtype=np.float64)
    if data.size == 0:
        return None
    p50, p95 = np.percentile(data, [50, 95])
    return Latency(int(data.size), float(p50), float(p95))


def find_flips(
    first: Mapping[str, bool], other: Mapping[str, bool], lines: Mapping[str, int]
) -> tuple[Flip, ...]:
    """The examples (by id) that pass for one model and fail for the other, in line order.

    `first` and `other` map example ids to pass (True) or fail (False); an example missing from
    either (not graded there) is not a flip. `lines` gives each example's line for the report.
    """
    flips = [
        Flip(example, lines.get(example, 0), passed)
        for example, passed in first.items()
        if example in other and other[example] != passed
    ]
    flips.sort(key=lambda flip: (flip.line, flip.example))
    return tuple(flips)


def _resampled_means(data: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    """`resamples` means of resamples of `data` (with replacement), drawn in chunks so memory
    stays bounded for large runs."""
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, not {resamples}")
    rng = np.random.default_rng(seed)
    n = data.size
    per_chunk = max(1, _CHUNK_BYTES // (8 * n))
    means = np.empty(resamples, dtype=np.float64)
    done = 0
    while done < resamples:
        count = min(per_chunk, resamples - done)
        picks = rng.integers(0, n, size=(count, n))
        means[done : done + count] = data[picks].mean(axis=1)
        done += count
    return means


def _percentiles(means: np.ndarray, confidence: float) -> tuple[float, float]:
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def _z(confidence: float) -> float:
    """The two-sided normal quantile for `confidence` (1.96 for 95%)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)
