"""OpenAI's fine-tunable models (Azure OpenAI uses the same table): encodings, prices, limits,
retirement dates (OpenAI's; Azure's own are `AZURE_SHUTDOWNS`, applied by
`service_catalogs.default_catalog("azure")`).

Figures from FACTS.md and OpenAI's pricing and deprecation pages, as data: a user changes or
adds one with `[[models]]` in settings.toml (`service_catalogs.settings_catalog`), without
waiting for a release. Read by `service_catalogs.default_catalog` on first use.

Inference prices, dollars per 1M tokens in / out: a fine-tuned model's (`input_price_per_1m`,
`output_price_per_1m`) are FACTS.md's table, from OpenAI's fine-tuning price list; the base
model's own (`base_input_price_per_1m`, `base_output_price_per_1m`) are the standard tier of
OpenAI's published model prices for the same snapshot (gpt-4.1 2.00 / 8.00, gpt-4.1-mini
0.40 / 1.60, gpt-4.1-nano 0.10 / 0.40, gpt-4o 2.50 / 10.00, gpt-4o-mini 0.15 / 0.60,
gpt-3.5-turbo-0125 0.50 / 1.50, -1106 1.00 / 2.00, -0613 1.50 / 2.00).
"""

from __future__ import annotations

from datetime import date

from tuner.data.catalog.models import ModelInfo

# OpenAI's deprecation notice of 2026-10-14: its last fine-tunable bases, and every fine-tune of
# them, stop answering on this day, eight days after new jobs close (FACTS.md).
OPENAI_LAST_BASES_SHUT_DOWN = date(2027, 1, 14)

# Azure OpenAI's own, later schedule (FACTS.md; Microsoft has moved these before): its
# deployments of these bases and of their fine-tunes serve until these days. The same model
# retires on different days on OpenAI and on Azure: a date belongs to a model on a service.
AZURE_SHUTDOWNS: dict[str, date] = {
    "gpt-4o-2024-08-06": date(2027, 10, 1),
    "gpt-4o-2024-11-20": date(2027, 10, 1),
    "gpt-4o-mini-2024-07-18": date(2027, 10, 1),
    "gpt-4.1-2025-04-14": date(2027, 10, 14),
    "gpt-4.1-mini-2025-04-14": date(2027, 10, 14),
    "gpt-4.1-nano-2025-04-14": date(2027, 10, 14),
}

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
        base_input_price_per_1m=2.00,
        base_output_price_per_1m=8.00,
        shutdown=OPENAI_LAST_BASES_SHUT_DOWN,
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
        base_input_price_per_1m=0.40,
        base_output_price_per_1m=1.60,
        shutdown=OPENAI_LAST_BASES_SHUT_DOWN,
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
        base_input_price_per_1m=0.10,
        base_output_price_per_1m=0.40,
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
        base_input_price_per_1m=2.50,
        base_output_price_per_1m=10.00,
        shutdown=OPENAI_LAST_BASES_SHUT_DOWN,
    ),
    ModelInfo(
        "gpt-4o-mini-2024-07-18",
        "o200k_base",
        3.00,
        65_536,
        0.30,
        1.20,
        aliases=("gpt-4o-mini",),
        base_input_price_per_1m=0.15,
        base_output_price_per_1m=0.60,
        shutdown=OPENAI_LAST_BASES_SHUT_DOWN,
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
        base_input_price_per_1m=0.50,
        base_output_price_per_1m=1.50,
    ),
    ModelInfo(
        "gpt-3.5-turbo-1106",
        "cl100k_base",
        8.00,
        16_385,
        3.00,
        6.00,
        base_input_price_per_1m=1.00,
        base_output_price_per_1m=2.00,
    ),
    # Shut down for new fine-tunes on 2024-06-13 (OpenAI deprecations, 2023-11-06 notice).
    ModelInfo(
        "gpt-3.5-turbo-0613",
        "cl100k_base",
        8.00,
        4_096,
        3.00,
        6.00,
        shutdown=date(2024, 6, 13),
        base_input_price_per_1m=1.50,
        base_output_price_per_1m=2.00,
    ),
)


def azure_models() -> tuple[ModelInfo, ...]:
    """The same table with Azure's shutdown dates (a base Azure names no date for keeps
    OpenAI's)."""
    import dataclasses

    return tuple(
        dataclasses.replace(info, shutdown=AZURE_SHUTDOWNS[info.id])
        if info.id in AZURE_SHUTDOWNS
        else info
        for info in OPENAI_MODELS
    )
