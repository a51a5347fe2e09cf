"""The distribution of tokens per example: summary figures, percentiles and a histogram.

Percentiles are real ones, by linear interpolation between closest ranks (numpy's default
"linear" method; for p on n sorted values: position p/100 x (n - 1)). The cookbook prints
`np.quantile(values, 0.1)` and `0.9` under the label "p5 / p95"; tuner does not copy that.

The counts are kept as a table of each distinct count and how many examples have it, not one
entry per example: every figure stays exact (the table is the sorted list, run-length encoded),
and its size is bounded by the counts there can be, not by the file. A count is capped near the
model's per-example limit (`tokens`), and a file whose examples have k different counts holds
at least k²/2 tokens, so a file of a few GB has at most some tens of thousands of them.
No numpy: the table is two `array`s.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


def _frequencies(counts: Iterable[int]) -> dict[int, int]:
    table: dict[int, int] = {}
    get = table.get
    for count in counts:
        table[count] = get(count, 0) + 1
    return table


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
    # Each distinct count, ascending, and how many examples have at most that count.
    _values: array = field(repr=False, compare=False)
    _cumulative: array = field(repr=False, compare=False)

    @classmethod
    def from_counts(cls, counts: Iterable[int]) -> TokenStats:
        """Summarise `counts` (any iterable of non-negative ints, e.g. a list or `array`)."""
        return cls.from_frequencies(_frequencies(counts))

    @classmethod
    def from_frequencies(cls, frequencies: Mapping[int, int]) -> TokenStats:
        """Summarise a table of {token count: how many examples have it} (zeros ignored)."""
        values = array("Q", sorted(v for v, k in frequencies.items() if k > 0))
        cumulative = array("Q")
        running = total = 0
        for value in values:
            k = frequencies[value]
            running += k
            total += value * k
            cumulative.append(running)
        n = running
        if n == 0:
            return cls(0, 0, 0, 0, 0.0, 0.0, 0.0, 0.0, values, cumulative)
        partial = cls(n, total, values[0], values[-1], total / n, 0, 0, 0, values, cumulative)
        return cls(
            n=n,
            total=total,
            min=values[0],
            max=values[-1],
            mean=total / n,
            p5=partial.percentile(5),
            p50=partial.percentile(50),
            p95=partial.percentile(95),
            _values=values,
            _cumulative=cumulative,
        )

    def _at(self, rank: int) -> int:
        """The count at 0-based `rank` of the sorted counts."""
        return self._values[bisect_right(self._cumulative, rank)]

    def _at_most(self, value: int) -> int:
        """How many examples have at most `value` tokens."""
        i = bisect_right(self._values, value)
        return self._cumulative[i - 1] if i else 0

    def percentile(self, p: float) -> float:
        """Any percentile 0-100, same method as p5/p50/p95."""
        if not 0 <= p <= 100:
            raise ValueError(f"percentile must be within 0-100, not {p}")
        if not self.n:
            return 0.0
        position = (self.n - 1) * p / 100
        lower = math.floor(position)
        upper = min(lower + 1, self.n - 1)
        low, high = self._at(lower), self._at(upper)
        return low + (high - low) * (position - lower)

    def over_limit(self, limit: int) -> int:
        """How many examples have more than `limit` tokens (they are truncated and capped)."""
        return self.n - self._at_most(limit)

    def billed(self, limit: int | None) -> int:
        """Tokens billed per epoch: each example counts at most `limit` (None: no cap); the
        same as `estimate.billed_tokens` over the counts."""
        if limit is None:
            return self.total
        billed = previous = 0
        for value, running in zip(self._values, self._cumulative, strict=True):
            billed += min(limit, value) * (running - previous)
            previous = running
        return billed

    def histogram(self, bins: int) -> list[tuple[int, int, int]]:
        """At most `bins` equal-width bins from min to max as (lo, hi, count).

        Bounds are whole tokens, `lo` inclusive and `hi` exclusive; the last bin ends at max + 1
        (so it may be narrower) and every example is in exactly one bin. Empty stats give [].
        """
        if bins < 1:
            raise ValueError(f"bins must be at least 1, not {bins}")
        if not self.n:
            return []
        span = self.max - self.min + 1
        width = -(-span // bins)  # ceil
        result = []
        lo = self.min
        while lo <= self.max:
            hi = min(lo + width, self.max + 1)
            count = self._at_most(hi - 1) - self._at_most(lo - 1)
            result.append((lo, hi, count))
            lo = hi
        return result

    @property
    def distinct(self) -> int:
        """How many different counts there are: the size of what is kept."""
        return len(self._values)
