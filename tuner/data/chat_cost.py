"""What a chat turn and a conversation cost, from the catalog's inference prices.

The catalog holds two inference prices per base model: what the base model itself costs to call
and what a model fine-tuned from it costs (OpenAI charges more for a fine-tune; Together charges
a LoRA fine-tune its base's price). A fine-tuned id (`ft:...`, checkpoints included, or a
Together output name `ACCOUNT/STEM-SUFFIX-ID`) is priced as a fine-tune of its base, a catalog
id or alias as the base model; a model the catalog does not know stays unpriced rather than
guessed. Tokens are the service's own counts (the `usage` of the streamed reply); a reply without
usage (an interrupted one) has unknown tokens and cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tuner.data.catalog.lookup import Catalog
from tuner.data.wording import plural


@dataclass(frozen=True, slots=True)
class TurnCost:
    """One reply's tokens and dollars; None where the service or the catalog gave no figure."""

    prompt_tokens: int | None
    completion_tokens: int | None
    dollars: float | None

    @property
    def tokens_known(self) -> bool:
        return self.prompt_tokens is not None and self.completion_tokens is not None


def inference_prices(catalog: Catalog, model: str) -> tuple[float, float] | None:
    """($ per 1M input tokens, $ per 1M output tokens) to call `model`: a base model's own
    prices, a fine-tuned model's by its base; None when the catalog has no figure."""
    info = catalog.resolve(model).info
    if info is None:
        return None
    if catalog.get(model) is None:  # reached through its base: a fine-tune or a checkpoint
        prices = (info.input_price_per_1m, info.output_price_per_1m)
    else:
        prices = (info.base_input_price_per_1m, info.base_output_price_per_1m)
    if prices[0] is None or prices[1] is None:
        return None
    return prices[0], prices[1]


def price_turn(
    catalog: Catalog, model: str, prompt_tokens: int | None, completion_tokens: int | None
) -> TurnCost:
    """The cost of one reply of `model` with the given usage (dollars None when unknown)."""
    prices = inference_prices(catalog, model)
    dollars: float | None = None
    if prices is not None and prompt_tokens is not None and completion_tokens is not None:
        dollars = (prompt_tokens * prices[0] + completion_tokens * prices[1]) / 1_000_000
    return TurnCost(prompt_tokens, completion_tokens, dollars)


@dataclass(slots=True)
class UsageTotals:
    """A conversation's running totals. `unpriced` counts turns whose cost is unknown."""

    turns: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    dollars: float = 0.0
    unpriced: int = 0

    def add(self, cost: TurnCost) -> None:
        self.turns += 1
        self.prompt_tokens += cost.prompt_tokens or 0
        self.completion_tokens += cost.completion_tokens or 0
        if cost.dollars is None:
            self.unpriced += 1
        else:
            self.dollars += cost.dollars


def format_dollars(dollars: float | None) -> str:
    """`$0.0012`, `$0.000042`, `$1.23`, or `price unknown`: an amount under a cent keeps its
    first two significant digits (a short reply to a cheap model costs millionths)."""
    if dollars is None:
        return "price unknown"
    if dollars == 0:
        return "$0"
    if dollars < 0.01:
        decimals = min(10, 1 - math.floor(math.log10(dollars)))
        return f"${dollars:.{decimals}f}"
    return f"${dollars:.2f}"


def describe_turn(cost: TurnCost) -> str:
    """`12 in · 40 out · $0.0001` for the line under a reply."""
    if not cost.tokens_known:
        return "tokens unknown"
    return (
        f"{cost.prompt_tokens:,} in · {cost.completion_tokens:,} out · "
        f"{format_dollars(cost.dollars)}"
    )


def describe_money(totals: UsageTotals) -> str:
    """`$0.0004`, `$0.0004 + 1 unpriced`, or `price unknown` (nothing priced, or no turn)."""
    if totals.turns == 0 or totals.unpriced == totals.turns:
        return "price unknown"
    money = format_dollars(totals.dollars)
    return f"{money} + {totals.unpriced:,} unpriced" if totals.unpriced else money


def describe_usage(totals: UsageTotals) -> str:
    """`1,597 in · 300 out · $0.0004`: a conversation's tokens and cost, without its turns."""
    return (
        f"{totals.prompt_tokens:,} in · {totals.completion_tokens:,} out · {describe_money(totals)}"
    )


def describe_totals(totals: UsageTotals) -> str:
    """`$0.0004 · 3 turns · 120 in · 300 out` (or `price unknown`, or `+ N unpriced`): the cost
    first, so a narrow title that must end early loses the counts, not the money."""
    if totals.turns == 0:
        return "no turns yet"
    return (
        f"{describe_money(totals)} · {plural(totals.turns, 'turn')} · "
        f"{totals.prompt_tokens:,} in · {totals.completion_tokens:,} out"
    )
