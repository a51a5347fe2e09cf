"""OpenAI's fine-tunable models (Azure OpenAI uses the same table): encodings, prices, limits,
retirement dates.

Figures from FACTS.md and OpenAI's pricing and deprecation pages, as data: a user changes or
adds one with `[[models]]` in settings.toml (`catalog.settings_catalog`), without waiting for a
release. Read by `catalog.default_catalog` on first use.
"""

from __future__ import annotations

from datetime import date

from tuner.data.catalog import ModelInfo

OPENAI_MODELS: tuple[ModelInfo, ...] = (
    ModelInfo(
        "gpt-4.1-2025-04-14",
        "o200k_base",
        25.00,
        None,
        3.00,
        12.00,
        methods=("supervised", "dpo"),
        aliases=("gpt-4.1",),
    ),
    ModelInfo(
        "gpt-4.1-mini-2025-04-14",
        "o200k_base",
        5.00,
        None,
        0.80,
        3.20,
        methods=("supervised", "dpo"),
        aliases=("gpt-4.1-mini",),
    ),
    ModelInfo(
        "gpt-4.1-nano-2025-04-14",
        "o200k_base",
        1.50,
        None,
        0.20,
        0.80,
        shutdown=date(2026, 10, 23),
        methods=("supervised", "dpo"),
        aliases=("gpt-4.1-nano",),
    ),
    ModelInfo(
        "gpt-4o-2024-08-06",
        "o200k_base",
        25.00,
        65_536,
        3.75,
        15.00,
        methods=("supervised", "dpo"),
        aliases=("gpt-4o",),
    ),
    ModelInfo(
        "gpt-4o-mini-2024-07-18",
        "o200k_base",
        3.00,
        65_536,
        0.30,
        1.20,
        aliases=("gpt-4o-mini",),
    ),
    ModelInfo(
        "gpt-3.5-turbo-0125",
        "cl100k_base",
        8.00,
        16_385,
        3.00,
        6.00,
        shutdown=date(2026, 10, 23),
        aliases=("gpt-3.5-turbo",),
    ),
    ModelInfo("gpt-3.5-turbo-1106", "cl100k_base", 8.00, 16_385, 3.00, 6.00),
    # Shut down for new fine-tunes on 2024-06-13 (OpenAI deprecations, 2023-11-06 notice).
    ModelInfo(
        "gpt-3.5-turbo-0613", "cl100k_base", 8.00, 4_096, 3.00, 6.00, shutdown=date(2024, 6, 13)
    ),
)
