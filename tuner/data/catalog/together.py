"""Together AI's fine-tunable models: context lengths, LoRA or full, training prices, tokens.

Kept apart from OpenAI's table because everything about it differs: ids are `ORG/NAME`, a model
may be LoRA-only, the price depends on the model's size band and on LoRA or full training, and
preference (DPO) training costs more and takes shorter examples.

Context lengths and which models are LoRA-only follow Together's "Supported Models" tables (the
LoRA and full fine-tuning tables, 2025-11), the same figures the emulator serves from
`/fine-tunes/models/limits` (a test keeps the two tables equal). Prices: as published by
Together in 2025-11; check its price list (dollars per 1M trained tokens, by parameter band,
DPO at 2.5 times the supervised price). Like every figure here they can be overridden with
`[[profiles.NAME.models]]` tables in settings.toml.

Inference: Together prices serverless calls per model, one figure for the tokens in and out
(`SERVERLESS_PRICE_PER_1M`, dollars per 1M tokens): the figures the emulator's `/models` reports
as each model's `pricing` (a test keeps the two equal). For Llama 3.1 8B (0.18), Llama 3.1 70B
(0.88) and Qwen 2.5 72B (1.20) they are the prices Together listed for those models' serverless
versions in 2025; the 7B models' 0.20 and gpt-oss-20b's 0.10 are assumptions in the same range;
check its price list. A fine-tuned model (a LoRA adapter of the base, served serverless) is
charged its base model's price, so an entry's fine-tuned and base prices are the same figure.

Tokens: tuner has only OpenAI's tiktoken vocabularies offline, so Together's models are counted
with the closest one and every count is labelled an estimate (`ModelInfo.tokenizer_note`):

- Llama 3.x: cl100k_base. Llama 3's tokenizer is tiktoken-based and extends cl100k_base's
  100,000 tokens with 28,000 more (mostly for other languages), with the same split pattern, so
  English text counts the same and other languages somewhat fewer than cl100k_base says.
- Qwen 2.5: cl100k_base. Qwen's 151,643-token vocabulary was built on cl100k_base's, adding
  Chinese and other text; it splits numbers into single digits, so digit-heavy text counts more.
- Mistral 7B: cl100k_base, a poor stand-in: Mistral's 32,000-token SentencePiece vocabulary
  needs more tokens for the same text, so counts are likely low.
- gpt-oss: o200k_base, whose vocabulary its o200k_harmony tokenizer shares; only the chat
  template's tokens are approximated.

Chat markup: the Llama 3.1 and Qwen 2.5 templates are counted as published (`chat_templates`);
Mistral and gpt-oss use OpenAI's cookbook figures, which the catalog says.
"""

from __future__ import annotations

from tuner.data.catalog.lookup import Catalog
from tuner.data.catalog.models import ModelFamily, ModelInfo
from tuner.data.service_kinds import TOGETHER

DEFAULT_TOGETHER_MODEL = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"

# Where the prices come from, said wherever they are shown (they were not read from a live list).
PRICE_SOURCE = "as published by Together in 2025-11; check its price list"

# Dollars per 1M trained tokens (PRICE_SOURCE): (up to this many billion parameters, LoRA, full)
# for supervised training.
PRICE_BANDS: tuple[tuple[float, float, float], ...] = (
    (16, 0.48, 0.54),
    (69, 1.50, 1.65),
    (100, 2.90, 3.20),
)
DPO_PRICE_FACTOR = 2.5  # preference training, in every band

# Dollars per 1M tokens in and out of a serverless call, the base model or a LoRA fine-tune of
# it alike (see the module docstring for where each figure comes from).
SERVERLESS_PRICE_PER_1M: dict[str, float] = {
    "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference": 0.18,
    "meta-llama/Meta-Llama-3.1-70B-Instruct-Reference": 0.88,
    "Qwen/Qwen2.5-7B-Instruct": 0.20,
    "Qwen/Qwen2.5-72B-Instruct": 1.20,
    "mistralai/Mistral-7B-Instruct-v0.2": 0.20,
    "openai/gpt-oss-20b": 0.10,
}

_LLAMA3 = "tuner has no Llama 3 tokenizer offline"
_QWEN25 = "tuner has no Qwen 2.5 tokenizer offline"
_MISTRAL = (
    "tuner has no Mistral tokenizer offline (its 32,000-token vocabulary needs more tokens for "
    "the same text, so counts are likely low)"
)
_GPT_OSS = (
    "o200k_harmony shares o200k_base's vocabulary, but tuner counts the chat template's tokens "
    "with OpenAI's figures"
)

TOGETHER_FAMILIES: tuple[ModelFamily, ...] = (
    ModelFamily("meta-llama/meta-llama-3", "cl100k_base", "-.", "Llama 3", _LLAMA3, "llama3"),
    ModelFamily("meta-llama/llama-3", "cl100k_base", "-.", "Llama 3", _LLAMA3, "llama3"),
    ModelFamily("qwen/qwen2.5", "cl100k_base", "-", "Qwen 2.5", _QWEN25, "qwen2.5"),
    ModelFamily("mistralai/mistral", "cl100k_base", "-", "Mistral", _MISTRAL),
    ModelFamily("mistralai/mixtral", "cl100k_base", "-", "Mistral", _MISTRAL),
    ModelFamily("openai/gpt-oss", "o200k_base", "-", "gpt-oss", _GPT_OSS),
)


def band_prices(billion_params: float) -> tuple[float, float]:
    """(LoRA, full) supervised price per 1M tokens for a model of this size; the largest band
    for anything bigger (Together prices those individually)."""
    for limit, lora, full in PRICE_BANDS:
        if billion_params <= limit:
            return lora, full
    return PRICE_BANDS[-1][1], PRICE_BANDS[-1][2]


def _model(
    model_id: str,
    billion_params: float,
    *,
    context: int,
    context_dpo: int,
    full: bool,
) -> ModelInfo:
    """One entry, its prices taken from the band of its size and the serverless price list, its
    counting from its family."""
    family = next(f for f in TOGETHER_FAMILIES if f.matches(model_id.lower()))
    lora_price, full_price = band_prices(billion_params)
    serving = SERVERLESS_PRICE_PER_1M[model_id]
    return ModelInfo(
        id=model_id,
        encoding=family.encoding,
        training_price_per_1m=lora_price,
        example_token_limit=context,
        methods=("supervised", "dpo"),
        full_training_price_per_1m=full_price if full else None,
        dpo_training_price_per_1m=round(lora_price * DPO_PRICE_FACTOR, 4),
        dpo_full_training_price_per_1m=round(full_price * DPO_PRICE_FACTOR, 4) if full else None,
        dpo_example_token_limit=context_dpo,
        training_types=("lora", "full") if full else ("lora",),
        tokenizer_note=family.tokenizer_note,
        chat_template=family.chat_template,
        input_price_per_1m=serving,
        output_price_per_1m=serving,
        base_input_price_per_1m=serving,
        base_output_price_per_1m=serving,
    )


TOGETHER_MODELS: tuple[ModelInfo, ...] = (
    _model(DEFAULT_TOGETHER_MODEL, 8, context=131_072, context_dpo=16_384, full=True),
    _model(
        "meta-llama/Meta-Llama-3.1-70B-Instruct-Reference",
        70,
        context=24_576,
        context_dpo=8_192,
        full=True,
    ),
    _model("Qwen/Qwen2.5-7B-Instruct", 7, context=32_768, context_dpo=16_384, full=False),
    _model("Qwen/Qwen2.5-72B-Instruct", 72, context=24_576, context_dpo=8_192, full=False),
    _model("mistralai/Mistral-7B-Instruct-v0.2", 7, context=32_768, context_dpo=32_768, full=True),
    _model("openai/gpt-oss-20b", 20, context=16_384, context_dpo=8_192, full=False),
)


def together_catalog() -> Catalog:
    """Together's built-in table as a catalog (use `default_catalog("together")`, which
    shares one)."""
    return Catalog(
        TOGETHER_MODELS,
        service=TOGETHER,
        default_model=DEFAULT_TOGETHER_MODEL,
        families=TOGETHER_FAMILIES,
        unknown_encoding="cl100k_base",
        price_source=PRICE_SOURCE,
    )
