"""The models the emulated Together service fine-tunes and serves, with their limits and prices.

Kept as data in one place so a reader can check it against Together's published tables.
Context lengths and batch sizes come from Together's "Supported Models" documentation (the
LoRA and full fine-tuning tables, as published in 2025-11); which models are LoRA-only follows
from a model appearing in the LoRA table but not in the full table. The remaining limits
(epochs, learning rates, evals, checkpoints, LoRA ranks and modules) and every price are the
emulator's assumptions, chosen to be plausible, and are documented as such below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The account name that prefixes fine-tuned model names (`ACCOUNT/BASE-SUFFIX-ID`).
ACCOUNT = "tuner-emulator"
USER_ID = "user_tuner_emulator"

# Assumed for every model (not published per model): the SDK reads these to validate requests.
MAX_NUM_EPOCHS = 20
MAX_NUM_EVALS = 100
MAX_NUM_CHECKPOINTS = 20
MIN_LEARNING_RATE = 1e-6
MAX_LEARNING_RATE = 1.0
MIN_MAX_SEQ_LENGTH = 1024
DEFAULT_GRADIENT_ACCUMULATION_STEPS = 1
LLAMA_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")

# The emulator's price assumption (not Together's live price list), in dollars per million
# trained tokens, by parameter-count band: (LoRA, full) for SFT; DPO costs 2.5 times as much.
# Together prices by model size and method in the same way; check its list for real figures.
PRICE_BANDS: tuple[tuple[float, float, float], ...] = (
    # (up to this many billion parameters, LoRA $/1M, full $/1M)
    (16, 0.48, 0.54),
    (69, 1.50, 1.65),
    (100, 2.90, 3.20),
)
DPO_PRICE_FACTOR = 2.5
# The credit limit the emulated account reports to estimate-price, in dollars.
USER_LIMIT_DOLLARS = 100.0
# Inference prices reported by /models, dollars per million tokens in and out, by size: the
# 8B, 70B and 72B figures are Together's listed serverless prices (2025), the others assumed.
INFERENCE_PRICE_PER_1M = {8: 0.18, 7: 0.20, 20: 0.10, 70: 0.88, 72: 1.20}


@dataclass(frozen=True)
class BatchLimits:
    max_batch_size: int
    max_batch_size_dpo: int
    min_batch_size: int

    def to_json(self) -> dict[str, int]:
        return {
            "max_batch_size": self.max_batch_size,
            "max_batch_size_dpo": self.max_batch_size_dpo,
            "min_batch_size": self.min_batch_size,
        }


@dataclass(frozen=True)
class TogetherModel:
    """One fine-tunable base model and its limits (the `/fine-tunes/models/limits` body)."""

    name: str
    display_name: str
    organization: str
    billion_params: float
    param_count: int
    context_sft: int
    context_dpo: int
    lora: BatchLimits
    full: BatchLimits | None  # None: LoRA only
    created: int
    max_rank: int = 64
    default_rank: int = 64
    target_modules: tuple[str, ...] = LLAMA_MODULES
    supports_tools: bool = True
    supports_reasoning: bool = False
    license: str = ""
    link: str = ""

    @property
    def lora_only(self) -> bool:
        return self.full is None

    def limits_json(self) -> dict[str, Any]:
        """The body of `GET /fine-tunes/models/limits`: the OpenAPI's fields and the SDK's."""
        full = self.full or BatchLimits(0, 0, 0)  # the SDK documents zeros when LoRA-only
        return {
            "model_name": self.name,
            "full_training": full.to_json(),
            "lora_training": {
                **self.lora.to_json(),
                "max_rank": self.max_rank,
                "default_rank": self.default_rank,
                "target_modules": list(self.target_modules),
            },
            "max_num_epochs": MAX_NUM_EPOCHS,
            "max_num_evals": MAX_NUM_EVALS,
            "max_num_checkpoints": MAX_NUM_CHECKPOINTS,
            "max_learning_rate": MAX_LEARNING_RATE,
            "min_learning_rate": MIN_LEARNING_RATE,
            "max_seq_length_sft": self.context_sft,
            "max_seq_length_dpo": self.context_dpo,
            "min_max_seq_length": MIN_MAX_SEQ_LENGTH,
            "default_gradient_accumulation_steps": DEFAULT_GRADIENT_ACCUMULATION_STEPS,
            "supports_full_training": not self.lora_only,
            "supports_vision": False,
            "supports_tools": self.supports_tools,
            "supports_reasoning": self.supports_reasoning,
            "merge_output_lora": True,
        }

    def price_per_token(self, full: bool, dpo: bool) -> float:
        """Dollars per trained token under the emulator's price assumption."""
        band = next((b for b in PRICE_BANDS if self.billion_params <= b[0]), PRICE_BANDS[-1])
        _, lora_price, full_price = band
        per_million = full_price if full else lora_price
        return per_million * (DPO_PRICE_FACTOR if dpo else 1.0) / 1_000_000

    def inference_price(self) -> float:
        return INFERENCE_PRICE_PER_1M.get(round(self.billion_params), 0.20)


_L8 = BatchLimits(8, 8, 8)
_L16 = BatchLimits(16, 16, 16)

MODELS: tuple[TogetherModel, ...] = (
    TogetherModel(
        "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference",
        "Meta Llama 3.1 8B Instruct Reference",
        "Meta",
        8,
        8_030_261_248,
        context_sft=131072,
        context_dpo=16384,
        lora=_L8,
        full=_L8,
        created=1721692800,
        license="llama3.1",
        link="https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct",
    ),
    TogetherModel(
        "meta-llama/Meta-Llama-3.1-70B-Instruct-Reference",
        "Meta Llama 3.1 70B Instruct Reference",
        "Meta",
        70,
        70_553_706_496,
        context_sft=24576,
        context_dpo=8192,
        lora=_L8,
        full=_L16,
        created=1721692800,
        license="llama3.1",
        link="https://huggingface.co/meta-llama/Llama-3.1-70B-Instruct",
    ),
    TogetherModel(
        "Qwen/Qwen2.5-7B-Instruct",
        "Qwen 2.5 7B Instruct",
        "Qwen",
        7,
        7_615_616_512,
        context_sft=32768,
        context_dpo=16384,
        lora=_L8,
        full=None,
        created=1726617600,
        license="apache-2.0",
        link="https://huggingface.co/Qwen/Qwen2.5-7B-Instruct",
    ),
    TogetherModel(
        "Qwen/Qwen2.5-72B-Instruct",
        "Qwen 2.5 72B Instruct",
        "Qwen",
        72,
        72_706_203_648,
        context_sft=24576,
        context_dpo=8192,
        lora=_L8,
        full=None,
        created=1726617600,
        license="qwen",
        link="https://huggingface.co/Qwen/Qwen2.5-72B-Instruct",
    ),
    TogetherModel(
        "mistralai/Mistral-7B-Instruct-v0.2",
        "Mistral (7B) Instruct v0.2",
        "mistralai",
        7,
        7_241_732_096,
        context_sft=32768,
        context_dpo=32768,
        lora=_L8,
        full=_L8,
        created=1702425600,
        license="apache-2.0",
        link="https://huggingface.co/mistralai/Mistral-7B-Instruct-v0.2",
        supports_tools=False,
    ),
    TogetherModel(
        "openai/gpt-oss-20b",
        "OpenAI GPT-OSS 20B",
        "OpenAI",
        20,
        20_914_757_184,
        context_sft=16384,
        context_dpo=8192,
        lora=_L8,
        full=None,
        created=1754352000,
        supports_reasoning=True,
        license="apache-2.0",
        link="https://huggingface.co/openai/gpt-oss-20b",
    ),
)

BY_NAME: dict[str, TogetherModel] = {model.name: model for model in MODELS}


def output_name(base: str, suffix: str | None, short_id: str) -> str:
    """The fine-tuned model's name: `ACCOUNT/BASE-SUFFIX-ID`, as Together builds it."""
    stem = base.rsplit("/", 1)[-1]
    middle = f"-{suffix}" if suffix else ""
    return f"{ACCOUNT}/{stem}{middle}-{short_id}"
