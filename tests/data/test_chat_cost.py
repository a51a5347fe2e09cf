"""Chat turn and conversation costs: every catalog model priced, base and fine-tuned, on every
service; only a model the catalog does not know is unpriced."""

from __future__ import annotations

import pytest

from tuner.data.catalog.choice import default_catalog
from tuner.data.chat_cost import (
    TurnCost,
    UsageTotals,
    describe_totals,
    describe_turn,
    format_dollars,
    inference_prices,
    price_turn,
)

FT = "ft:gpt-4o-mini-2024-07-18:org:support:abc123"


def test_fine_tuned_ids_and_checkpoints_use_the_fine_tuned_inference_prices() -> None:
    catalog = default_catalog()
    assert inference_prices(catalog, FT) == (0.30, 1.20)
    assert inference_prices(catalog, FT + ":ckpt-step-10") == (0.30, 1.20)
    cost = price_turn(catalog, FT, 1_000_000, 500_000)
    assert cost.dollars == pytest.approx(0.30 + 0.60)


def test_base_models_use_their_own_inference_prices() -> None:
    catalog = default_catalog()
    assert inference_prices(catalog, "gpt-4o-mini-2024-07-18") == (0.15, 0.60)
    assert inference_prices(catalog, "gpt-4o-mini") == (0.15, 0.60)  # an alias: the same model
    cost = price_turn(catalog, "gpt-4o-mini-2024-07-18", 1_000_000, 1_000_000)
    assert cost.dollars == pytest.approx(0.75)


@pytest.mark.parametrize("service", ["openai", "azure", "together"])
def test_every_catalog_model_is_priced_as_a_base_and_as_a_fine_tune(service: str) -> None:
    catalog = default_catalog(service)
    for info in catalog:
        base = inference_prices(catalog, info.id)
        assert base is not None and all(price > 0 for price in base), info.id
        fine_tuned = (
            f"acct/{info.id.rsplit('/', 1)[-1]}-bot-1a2b3c4d"
            if service == "together"
            else f"ft:{info.id}:org:bot:abc"
        )
        tuned = inference_prices(catalog, fine_tuned)
        assert tuned is not None and all(price > 0 for price in tuned), fine_tuned
        if service == "together":
            assert tuned == base  # a serverless LoRA costs what its base costs


def test_unknown_models_are_unpriced_not_guessed() -> None:
    catalog = default_catalog()
    assert inference_prices(catalog, "ft:mystery-model:org::x") is None
    assert price_turn(catalog, "llama3", 10, 10).dollars is None
    assert price_turn(catalog, FT, None, None).dollars is None  # an interrupted reply


def test_totals_and_descriptions() -> None:
    totals = UsageTotals()
    assert describe_totals(totals) == "no turns yet"
    totals.add(TurnCost(100, 50, 0.002))
    assert describe_totals(totals) == "$0.0020 · 1 turn · 100 in · 50 out"
    totals.add(TurnCost(10, 5, None))
    assert describe_totals(totals) == "$0.0020 + 1 unpriced · 2 turns · 110 in · 55 out"
    only_unknown = UsageTotals()
    only_unknown.add(TurnCost(1, 2, None))
    assert describe_totals(only_unknown).startswith("price unknown · 1 turn")
    assert describe_turn(TurnCost(12, 40, None)) == "12 in · 40 out · price unknown"
    assert describe_turn(TurnCost(1597, 40, None)) == "1,597 in · 40 out · price unknown"
    assert describe_turn(TurnCost(None, None, None)) == "tokens unknown"
    assert format_dollars(1.234) == "$1.23"
    assert format_dollars(0.0012) == "$0.0012"
    assert format_dollars(0.000042) == "$0.000042"  # a short reply to a cheap model
    assert format_dollars(0) == "$0"
