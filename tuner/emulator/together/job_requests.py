"""Reading a `POST /fine-tunes` body into a checked job spec, as the service checks it.

The SDK sends the OpenAPI's nested form (`training_type` {"type": "Lora", "lora_r", ...} or
{"type": "Full"}, `training_method` {"method": "sft", "train_on_inputs"} or {"method": "dpo",
"dpo_beta", ...}, `lr_scheduler`, `wandb_key`); older clients send flat fields (`lora`,
`lora_r`, `training_method: "dpo"`, `dpo_beta`, `train_on_inputs`, `wandb_api_key`). Both are
accepted. Every limit comes from the model's entry in `catalog`, so a refusal here matches what
`/fine-tunes/models/limits` told the client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import catalog
from .errors import invalid
from .store import TogetherState

MAX_SUFFIX = 40
DEFAULT_LEARNING_RATE = 1e-5


@dataclass
class JobSpec:
    """A checked request, with every default filled in and `batch_size` resolved."""

    model: catalog.TogetherModel
    training_file: str
    validation_file: str | None
    n_epochs: int
    n_checkpoints: int
    n_evals: int
    batch_size: int
    learning_rate: float
    lr_scheduler: dict[str, Any]
    warmup_ratio: float
    max_grad_norm: float
    weight_decay: float
    training_type: dict[str, Any]
    training_method: dict[str, Any]
    suffix: str | None
    random_seed: int | None
    packing: bool
    max_seq_length: int | None
    wandb_key: str | None
    wandb_project_name: str | None
    wandb_name: str | None
    wandb_entity: str | None
    from_checkpoint: str | None

    @property
    def full(self) -> bool:
        return self.training_type["type"] == "Full"

    @property
    def dpo(self) -> bool:
        return self.training_method["method"] == "dpo"


def _int(body: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise invalid(f"{name} must be an integer from {low} to {high} (got {value!r}).", name)
    return value


def _number(body: dict[str, Any], name: str, default: float, low: float, high: float) -> float:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, int | float) or isinstance(value, bool) or not low <= value <= high:
        raise invalid(f"{name} must be a number from {low:g} to {high:g} (got {value!r}).", name)
    return float(value)


def _string(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise invalid(f"{name} must be a string.", name)
    return value


def _file(state: TogetherState, body: dict[str, Any], name: str) -> str | None:
    file_id = _string(body, name)
    if file_id is None:
        return None
    stored = state.files.get(file_id)
    if stored is None or not stored.uploaded:
        raise invalid(f"{name} {file_id} does not exist or has not been uploaded.", name)
    if stored.purpose != "fine-tune":
        raise invalid(f"{name} {file_id} has purpose {stored.purpose!r}, not 'fine-tune'.", name)
    return file_id


def _base_model(
    state: TogetherState, body: dict[str, Any]
) -> tuple[catalog.TogetherModel, str | None]:
    checkpoint = _string(body, "from_checkpoint")
    name = _string(body, "model")
    if checkpoint is not None:
        if name is not None:
            raise invalid("Specify either model or from_checkpoint, not both.", "from_checkpoint")
        base = base_of(state, checkpoint.split(":")[0])
        if base is None:
            raise invalid(f"Checkpoint {checkpoint} was not found.", "from_checkpoint")
        return base, checkpoint
    if name is None:
        raise invalid("model is required.", "model")
    model = catalog.BY_NAME.get(name)
    if model is None:
        raise invalid(f"Model {name} is not supported for fine-tuning.", "model")
    return model, None


def base_of(state: TogetherState, name: str) -> catalog.TogetherModel | None:
    """The base model of a catalog name, a job id, or a job's output name."""
    if name in catalog.BY_NAME:
        return catalog.BY_NAME[name]
    for job in state.jobs.values():
        if name in (job.id, job.output_name):
            return job.spec.model
    return None


def _training_type(body: dict[str, Any], model: catalog.TogetherModel) -> dict[str, Any]:
    given = body.get("training_type")
    if given is None and body.get("lora") is not None:  # the flat form
        given = {"type": "Lora" if body["lora"] else "Full"}
        for key in ("lora_r", "lora_alpha", "lora_dropout", "lora_trainable_modules"):
            if body.get(key) is not None:
                given[key] = body[key]
    if given is None:
        given = {"type": "Lora"}
    if not isinstance(given, dict) or given.get("type") not in ("Lora", "Full"):
        raise invalid("training_type.type must be 'Lora' or 'Full'.", "training_type")
    if given["type"] == "Full":
        if model.lora_only:
            raise invalid(
                f"Full training is not supported for the selected model ({model.name}).",
                "training_type",
            )
        return {"type": "Full"}
    rank = _int(given, "lora_r", model.default_rank, 1, model.max_rank)
    alpha = _int(given, "lora_alpha", 2 * rank, 1, 4096)
    dropout = _number(given, "lora_dropout", 0.0, 0.0, 0.999)
    modules = given.get("lora_trainable_modules") or "all-linear"
    if not isinstance(modules, str):
        raise invalid("lora_trainable_modules must be a string.", "training_type")
    return {
        "type": "Lora",
        "lora_r": rank,
        "lora_alpha": alpha,
        "lora_dropout": dropout,
        "lora_trainable_modules": modules,
    }


def _training_method(body: dict[str, Any]) -> dict[str, Any]:
    given = body.get("training_method")
    if isinstance(given, str) or given is None:  # the flat form
        given = {"method": given or "sft"}
        for key in ("train_on_inputs", "dpo_beta"):
            if body.get(key) is not None:
                given[key] = body[key]
    if not isinstance(given, dict) or given.get("method") not in ("sft", "dpo"):
        raise invalid("training_method.method must be 'sft' or 'dpo'.", "training_method")
    if given["method"] == "sft":
        inputs = given.get("train_on_inputs", "auto")
        if inputs not in (True, False, "auto"):
            raise invalid("train_on_inputs must be true, false or 'auto'.", "train_on_inputs")
        return {"method": "sft", "train_on_inputs": inputs}
    beta = _number(given, "dpo_beta", 0.1, 0.0, 10.0) or 0.1
    return {
        "method": "dpo",
        "dpo_beta": beta,
        "dpo_normalize_logratios_by_length": bool(given.get("dpo_normalize_logratios_by_length")),
        "dpo_reference_free": bool(given.get("dpo_reference_free")),
        "rpo_alpha": _number(given, "rpo_alpha", 0.0, 0.0, 1e6),
        "simpo_gamma": _number(given, "simpo_gamma", 0.0, 0.0, 1e6),
    }


def _lr_scheduler(body: dict[str, Any]) -> dict[str, Any]:
    given = body.get("lr_scheduler")
    if given is None:
        return {"lr_scheduler_type": "linear", "lr_scheduler_args": {"min_lr_ratio": 0.0}}
    kind = given.get("lr_scheduler_type") if isinstance(given, dict) else None
    if kind not in ("linear", "cosine"):
        raise invalid("lr_scheduler_type must be 'linear' or 'cosine'.", "lr_scheduler")
    args = given.get("lr_scheduler_args") or {}
    result = {"min_lr_ratio": _number(args, "min_lr_ratio", 0.0, 0.0, 1.0)}
    if kind == "cosine":
        result["num_cycles"] = _number(args, "num_cycles", 0.5, 1e-9, 1e6)
    return {"lr_scheduler_type": kind, "lr_scheduler_args": result}


def parse_job_request(body: dict[str, Any], state: TogetherState) -> JobSpec:
    """The checked spec of a create request; a 400 `ApiError` names the first bad field."""
    training_file = _file(state, body, "training_file")
    if training_file is None:
        raise invalid("training_file is required.", "training_file")
    validation_file = _file(state, body, "validation_file")
    model, from_checkpoint = _base_model(state, body)
    training_type = _training_type(body, model)
    method = _training_method(body)
    limits = model.full if training_type["type"] == "Full" else model.lora
    assert limits is not None
    dpo = method["method"] == "dpo"
    largest = limits.max_batch_size_dpo if dpo else limits.max_batch_size
    batch = body.get("batch_size", "max")
    if batch == "max":
        batch = largest
    elif not isinstance(batch, int) or isinstance(batch, bool):
        raise invalid("batch_size must be an integer or 'max'.", "batch_size")
    elif not limits.min_batch_size <= batch <= largest:
        raise invalid(
            f"batch_size must be from {limits.min_batch_size} to {largest} for this model and "
            f"training type (got {batch}).",
            "batch_size",
        )
    n_evals = _int(body, "n_evals", 0, 0, catalog.MAX_NUM_EVALS)
    if n_evals and validation_file is None:
        raise invalid("n_evals > 0 requires a validation_file.", "n_evals")
    suffix = _string(body, "suffix")
    if suffix is not None and len(suffix) > MAX_SUFFIX:
        raise invalid(f"suffix must be at most {MAX_SUFFIX} characters.", "suffix")
    context = model.context_dpo if dpo else model.context_sft
    max_seq = body.get("max_seq_length")
    if max_seq is not None:
        max_seq = _int(body, "max_seq_length", 0, catalog.MIN_MAX_SEQ_LENGTH, context)
    seed = body.get("random_seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise invalid("random_seed must be an integer or null.", "random_seed")
    return JobSpec(
        model=model,
        training_file=training_file,
        validation_file=validation_file,
        n_epochs=_int(body, "n_epochs", 1, 1, catalog.MAX_NUM_EPOCHS),
        n_checkpoints=_int(body, "n_checkpoints", 1, 1, catalog.MAX_NUM_CHECKPOINTS),
        n_evals=n_evals,
        batch_size=batch,
        learning_rate=_number(
            body,
            "learning_rate",
            DEFAULT_LEARNING_RATE,
            catalog.MIN_LEARNING_RATE,
            catalog.MAX_LEARNING_RATE,
        ),
        lr_scheduler=_lr_scheduler(body),
        warmup_ratio=_number(body, "warmup_ratio", 0.0, 0.0, 1.0),
        max_grad_norm=_number(body, "max_grad_norm", 1.0, 0.0, 1e6),
        weight_decay=_number(body, "weight_decay", 0.0, 0.0, 1e6),
        training_type=training_type,
        training_method=method,
        suffix=suffix,
        random_seed=seed,
        packing=body.get("packing", True) is not False,
        max_seq_length=max_seq,
        wandb_key=_string(body, "wandb_key") or _string(body, "wandb_api_key"),
        wandb_project_name=_string(body, "wandb_project_name"),
        wandb_name=_string(body, "wandb_name"),
        wandb_entity=_string(body, "wandb_entity"),
        from_checkpoint=from_checkpoint,
    )
