"""What a job cost on its first service and what its copy will cost on the next, side by side.

Before anything is sent, a move shows two figures in one shape (`CostFigure`):

- the source job's: what it was billed (its trained tokens, as the service reported them, times
  the source catalog's price), or, when the job does not say (it never ran, or the service
  keeps no count), tuner's estimate of the original file at the job's epochs;
- the target's: tuner's estimate of the converted file at the epochs carried over, with the
  target's catalog (its counts are estimates for open models, and say so).

The target service's own price (Together's `estimate-price`) needs the uploaded files' ids, so
it comes later, from `run_migration`, as the service's `PriceEstimate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tuner.api.types import Job
    from tuner.data.catalog.lookup import Catalog
    from tuner.data.estimate import CostEstimate

_MILLION = Decimal(1_000_000)
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class CostFigure:
    """One side's cost. `basis` is "billed" (the job's own count of trained tokens) or
    "estimate" (tuner's count of a file); `dollars` is None when the price is unknown. `note`
    says what the figure rests on when that needs saying (counts that are estimates)."""

    service: str
    model: str
    basis: str
    trained_tokens: int | None
    price_per_1m: Decimal | None
    dollars: Decimal | None
    note: str | None = None

    @property
    def dollars_text(self) -> str:
        """`$2.40`, `< $0.01`, or `unknown`."""
        if self.dollars is None:
            return "unknown"
        if 0 < self.dollars < _CENT:
            return "< $0.01"
        return f"${self.dollars.quantize(_CENT, rounding=ROUND_HALF_UP):,}"

    def describe(self) -> str:
        """`$0.01 for 2,800 trained tokens at $3.00 per 1M (gpt-4o-mini-2024-07-18)`."""
        tokens = f" for {self.trained_tokens:,} trained tokens" if self.trained_tokens else ""
        if self.price_per_1m is None:
            return f"price unknown{tokens} ({self.model} is not in tuner's price table)"
        price = f" at ${self.price_per_1m:,.2f} per 1M"
        text = f"{self.dollars_text}{tokens}{price} ({self.model})"
        return f"{text}; {self.note}" if self.note else text

    def short(self) -> str:
        """`< $0.01, billed for 2,810 trained tokens`: the figure and its basis, for a line
        that has little room."""
        basis = "billed" if self.basis == "billed" else "tuner's estimate"
        tokens = f" for {self.trained_tokens:,} trained tokens" if self.trained_tokens else ""
        if self.price_per_1m is None:
            return f"price unknown ({basis}{tokens})"
        return f"{self.dollars_text}, {basis}{tokens}"

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "model": self.model,
            "basis": self.basis,
            "trained_tokens": self.trained_tokens,
            "price_per_1m_usd": _float(self.price_per_1m),
            "cost_usd": _float(self.dollars),
            "note": self.note,
        }


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _price(job: Job, catalog: Catalog) -> Decimal | None:
    info = catalog.resolve(job.model).info
    if info is None:
        return None
    full = job.hyperparameters.get("lora") is False
    price = info.price_per_1m(preference=job.method == "dpo", full=full)
    return None if price is None else Decimal(str(price))


def billed_cost(job: Job, catalog: Catalog, service: str) -> CostFigure | None:
    """What `job` was billed, from its own count of trained tokens; None when it has none."""
    if not job.trained_tokens:
        return None
    price = _price(job, catalog)
    dollars = None if price is None else Decimal(job.trained_tokens) * price / _MILLION
    return CostFigure(service, job.model, "billed", job.trained_tokens, price, dollars)


def estimated_cost(
    estimate: CostEstimate, service: str, model: str, note: str | None = None
) -> CostFigure:
    """tuner's estimate of a file (`AnalysisReport.estimate`) as a `CostFigure`."""
    return CostFigure(
        service,
        model,
        "estimate",
        estimate.trained_tokens,
        estimate.price_per_1m,
        estimate.cost_usd,
        note,
    )
