"""Default epochs, billed tokens and the training cost of a dataset.

The epoch rule is the one in OpenAI's data-preparation cookbook (and FACTS.md), integer division
included: aim for 3 epochs, but train at least ~100 and at most ~25,000 example-passes.
Money is `Decimal`, so $8 per 1M x 100,000 tokens x 3 epochs is exactly $2.40.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from tuner.data.catalog.models import ModelInfo
from tuner.data.service_kinds import facts_for

TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25
# Together trains one epoch unless asked for more (`n_epochs` default in its OpenAPI description).

_MILLION = Decimal(1_000_000)
_CENT = Decimal("0.01")


def default_epochs(n_examples: int) -> int:
    """The epochs the service picks for `n_epochs="auto"`, by the cookbook's rule.

    3, unless 3n < 100 (then min(25, 100 // n)) or 3n > 25,000 (then max(1, 25,000 // n)).
    0 examples gives 0: there is nothing to train (the cookbook would divide by zero).
    """
    if n_examples <= 0:
        return 0
    if n_examples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        return min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // n_examples)
    if n_examples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        return max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // n_examples)
    return TARGET_EPOCHS


def service_default_epochs(service: str, n_examples: int) -> int:
    """The epochs a job on `service` trains when none are asked for: OpenAI's heuristic
    (`default_epochs`, Azure's too), Together's fixed default of 1; 0 for an empty file."""
    if n_examples <= 0:
        return 0
    fixed = facts_for(service).default_epochs
    return default_epochs(n_examples) if fixed is None else fixed


def billed_tokens(example_token_counts: Iterable[int], limit: int | None) -> int:
    """Tokens billed per epoch: each example counts at most `limit` (None: no cap)."""
    if limit is None:
        return sum(example_token_counts)
    return sum(min(limit, count) for count in example_token_counts)


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """What one training run will bill. `cost_usd` is None when the price is unknown."""

    examples: int
    billed_tokens: int  # per epoch, after the per-example cap
    epochs: int
    price_per_1m: Decimal | None
    cost_usd: Decimal | None

    @property
    def trained_tokens(self) -> int:
        """Tokens billed over all epochs."""
        return self.billed_tokens * self.epochs

    @property
    def cost_text(self) -> str:
        """The cost for people: "$2.40", "< $0.01", or "unknown"."""
        if self.cost_usd is None:
            return "unknown"
        if 0 < self.cost_usd < _CENT:
            return "< $0.01"
        return f"${self.cost_usd.quantize(_CENT, rounding=ROUND_HALF_UP):,}"


def _price(value: float | None) -> Decimal | None:
    # str() first: Decimal(8.0) is exact, but Decimal(0.8) would carry the binary float's tail.
    return None if value is None else Decimal(str(value))


def estimate_cost(
    billed_tokens: int,
    epochs: int,
    model: ModelInfo | None,
    *,
    examples: int = 0,
    preference: bool = False,
    full: bool = False,
) -> CostEstimate:
    """Cost = billed tokens x epochs x the model's training price, exact in Decimal.

    The price is the one for the method: `preference` for a DPO file (Together charges more for
    it; OpenAI's table has one price), `full` for full fine-tuning instead of LoRA where the
    service offers the choice (unknown, so no cost, where it does not)."""
    price = _price(model.price_per_1m(preference=preference, full=full)) if model else None
    cost = None if price is None else Decimal(billed_tokens * epochs) * price / _MILLION
    return CostEstimate(examples, billed_tokens, epochs, price, cost)


def estimate_for_counts(
    example_token_counts: Iterable[int],
    model: ModelInfo | None,
    epochs: int | None = None,
    *,
    preference: bool = False,
    full: bool = False,
) -> CostEstimate:
    """The whole estimate from per-example token totals: cap, default epochs, cost.

    `epochs=None` means the service's default for this many examples.
    """
    counts = list(example_token_counts)
    limit = model.token_limit(preference=preference) if model is not None else None
    chosen = default_epochs(len(counts)) if epochs is None else epochs
    return estimate_cost(
        billed_tokens(counts, limit),
        chosen,
        model,
        examples=len(counts),
        preference=preference,
        full=full,
    )
