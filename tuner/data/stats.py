"""The distribution of tokens per example: summary figures, percentiles and a histogram.

Percentiles are real ones, by linear interpolation between closest ranks (numpy's default
"linear" method; for p on n sorted values: position p/100 x (n - 1)). The cookbook prints
`np.quantile(values, 0.1)` and `0.9` under the label "p5 / p95"; tuner does not copy that.
No numpy: 200,000 counts are a sorted `array('I')` of under a megabyte.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field


def _percentile(ordered: array, p: float) -> float:
    if not ordered:
        return 0.0
    position = (len(ordered) - 1) * p / 100
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    fraction = position - lower
    return ordered[lower] + (ordered[upper] - ordered[lower]) * fraction


@dataclass(frozen=True, slots=True)
class TokenStats:
    """Summary of per-example token counts. All figures are 0 when there are no examples."""

    n: int
    total: int
    min: int
    max: int
    mean: float
    p5: float
    p50: float
    p95: float
    _sorted: array = field(repr=False, compare=False)

    @classmethod
    def from_counts(cls, counts: Iterable[int]) -> TokenStats:
        """Summarise `counts` (any iterable of non-negative ints, e.g. a list or `array`)."""
        ordered = array("I", sorted(counts))
        n = len(ordered)
        if n == 0:
            return cls(0, 0, 0, 0, 0.0, 0.0, 0.0, 0.0, ordered)
        total = sum(ordered)
        return cls(
            n=n,
            total=total,
            min=ordered[0],
            max=ordered[-1],
            mean=total / n,
            p5=_percentile(ordered, 5),
            p50=_percentile(ordered, 50),
            p95=_percentile(ordered, 95),
            _sorted=ordered,
        )

    def percentile(self, p: float) -> float:
        """Any percentile 0-100, same method as p5/p50/p95."""
        if not 0 <= p <= 100:
            raise ValueError(f"percentile must be within 0-100, not {p}")
        return _percentile(self._sorted, p)

    def over_limit(self, limit: int) -> int:
        """How many examples have more than `limit` tokens (they are truncated and capped)."""
        return len(self._sorted) - bisect_right(self._sorted, limit)

    def histogram(self, bins: int) -> list[tuple[int, int, int]]:
        """At most `bins` equal-width bins from min to max as (lo, hi, count).

        Bounds are whole tokens, `lo` inclusive and `hi` exclusive; the last bin ends at max + 1
        (so it may be narrower) and every example is in exactly one bin. Empty stats give [].
        """
        if bins < 1:
            raise ValueError(f"bins must be at least 1, not {bins}")
        if not self._sorted:
            return []
        span = self.max - self.min + 1
        width = -(-span // bins)  # ceil
        result = []
        lo = self.min
        while lo <= self.max:
            hi = min(lo + width, self.max + 1)
            count = bisect_left(self._sorted, hi) - bisect_left(self._sorted, lo)
            result.append((lo, hi, count))
            lo = hi
        return result
