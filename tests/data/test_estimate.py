"""Default epochs, billed tokens and cost: the cookbook's rule and exact money."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tuner.data.catalog.choice import default_catalog
from tuner.data.catalog.models import ModelInfo
from tuner.data.estimate import (
    billed_tokens,
    default_epochs,
    estimate_cost,
    estimate_for_counts,
)


@pytest.mark.parametrize(
    ("n", "epochs"),
    [
        (1, 25),  # 3 < 100: min(25, 100 // 1 = 100)
        (10, 10),  # 30 < 100: min(25, 100 // 10)
        (33, 3),  # 99 < 100: min(25, 100 // 33 = 3)
        (34, 3),  # 102: between the targets
        (8333, 3),  # 24,999 <= 25,000
        (8334, 2),  # 25,002 > 25,000: max(1, 25,000 // 8334 = 2)
        (8335, 2),
        (25_000, 1),  # max(1, 1)
        (100_000, 1),  # max(1, 0)
        (4, 25),  # 100 // 4 = 25
        (5, 20),
        (50, 3),  # exactly 150: no change
    ],
)
def test_default_epochs_at_the_boundaries(n: int, epochs: int) -> None:
    assert default_epochs(n) == epochs


def test_default_epochs_for_no_examples() -> None:
    assert default_epochs(0) == 0


def test_billed_tokens_caps_each_example() -> None:
    assert billed_tokens([10, 5000, 20000], 16_385) == 10 + 5000 + 16_385
    assert billed_tokens([10, 5000, 20000], None) == 25_010
    assert billed_tokens(iter([]), 4096) == 0


def test_the_seed_example_is_exactly_2_40() -> None:
    # $0.008 per 1K = $8 per 1M; 100,000 tokens x 3 epochs.
    estimate = estimate_cost(100_000, 3, default_catalog().get("gpt-3.5-turbo-0613"))
    assert estimate.cost_usd == Decimal("2.40")
    assert estimate.trained_tokens == 300_000
    assert estimate.price_per_1m == Decimal(8)
    assert estimate.cost_text == "$2.40"


def test_decimal_prices_have_no_float_tail() -> None:
    model = ModelInfo("m", "o200k_base", training_price_per_1m=0.8)
    assert estimate_cost(1_000_000, 3, model).cost_usd == Decimal("2.4")


def test_unknown_price_gives_no_cost() -> None:
    for model in (None, ModelInfo("m", "o200k_base")):
        estimate = estimate_cost(100_000, 3, model)
        assert estimate.cost_usd is None and estimate.price_per_1m is None
        assert estimate.cost_text == "unknown"
        assert estimate.trained_tokens == 300_000


def test_cost_text() -> None:
    model = ModelInfo("m", "o200k_base", training_price_per_1m=1.5)
    assert estimate_cost(1000, 1, model).cost_text == "< $0.01"
    assert estimate_cost(0, 3, model).cost_text == "$0.00"
    assert estimate_cost(1_000_000_000, 1, model).cost_text == "$1,500.00"
    assert estimate_cost(3_333_334, 1, model).cost_text == "$5.00"  # 5.000001 rounds


def test_estimate_for_counts() -> None:
    model = default_catalog().get("gpt-3.5-turbo-0613")  # 4,096 per example, $8 / 1M
    estimate = estimate_for_counts([1000] * 9 + [5000], model)
    assert estimate.examples == 10
    assert estimate.epochs == 10
    assert estimate.billed_tokens == 9000 + 4096
    assert estimate.cost_usd == Decimal(13_096 * 10 * 8) / Decimal(1_000_000)
    assert estimate_for_counts([1000] * 10, model, epochs=2).epochs == 2


# -- prices by method, and each service's default epochs -----------------------------------------


def test_together_prices_dpo_and_full_fine_tuning_apart() -> None:
    llama = default_catalog("together").get("meta-llama/Meta-Llama-3.1-8B-Instruct-Reference")
    lora = estimate_cost(1_000_000, 1, llama)
    assert lora.price_per_1m == Decimal("0.48") and lora.cost_usd == Decimal("0.48")
    assert estimate_cost(1_000_000, 1, llama, full=True).cost_usd == Decimal("0.54")
    assert estimate_cost(1_000_000, 1, llama, preference=True).cost_usd == Decimal("1.2")
    dpo_full = estimate_cost(1_000_000, 2, llama, preference=True, full=True)
    assert dpo_full.cost_usd == Decimal("2.7")


def test_a_lora_only_model_has_no_full_price() -> None:
    qwen = default_catalog("together").get("Qwen/Qwen2.5-7B-Instruct")
    assert estimate_cost(1_000, 1, qwen, full=True).cost_text == "unknown"


def test_estimate_for_counts_uses_the_dpo_limit() -> None:
    llama = default_catalog("together").get("meta-llama/Meta-Llama-3.1-8B-Instruct-Reference")
    estimate = estimate_for_counts([20_000, 10], llama, 1, preference=True)
    assert estimate.billed_tokens == 16_384 + 10  # DPO examples are cut at 16,384, not 131,072


def test_openai_charges_preference_training_like_supervised() -> None:
    info = default_catalog().get("gpt-4o-2024-08-06")
    assert estimate_cost(1_000_000, 1, info, preference=True).cost_usd == Decimal("25")


@pytest.mark.parametrize(
    ("service", "n", "epochs"),
    [("openai", 10, 10), ("azure", 10, 10), ("together", 10, 1), ("together", 0, 0)],
)
def test_service_default_epochs(service: str, n: int, epochs: int) -> None:
    from tuner.data.estimate import service_default_epochs

    assert service_default_epochs(service, n) == epochs
