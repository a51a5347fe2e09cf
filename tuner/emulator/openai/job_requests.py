"""Checks a `POST /fine_tuning/jobs` body the way the service does, before a job exists.

Everything the service refuses synchronously (unknown model, missing file, wrong purpose,
bad suffix, out-of-range hyperparameters) is refused here with a 400 in its error shape.
Problems inside the training file are found later, while the job is `validating_files`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..errors import ApiError, invalid_request
from . import catalog
from .store import State

MAX_SUFFIX = 64
MAX_METADATA_PAIRS = 16
# The emulator's rule for suffixes: the characters that stay unambiguous inside a
# `ft:BASE:ORG:SUFFIX:ID` name (no `:`), letters, digits, `-`, `_` and `.`.
SUFFIX_PATTERN = re.compile(r"^[A-Za-z0-9._-]+$")

_KNOWN_FIELDS = {
    "model",
    "training_file",
    "validation_file",
    "suffix",
    "seed",
    "metadata",
    "method",
    "hyperparameters",
    "integrations",
}
_RANGES: dict[str, tuple[type, float, float]] = {
    "n_epochs": (int, 1, 50),
    "batch_size": (int, 1, 256),
    "learning_rate_multiplier": (float, 0, float("inf")),
    "beta": (float, 0, float("inf")),
}


@dataclass
class JobSpec:
    """A validated job request."""

    model: str
    training_file: str
    validation_file: str | None
    suffix: str | None
    seed: int | None
    metadata: dict[str, str] | None
    method_type: str
    hyperparameters: dict[str, Any]
    integrations: list[dict[str, Any]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def parse_job_request(body: dict[str, Any], state: State) -> JobSpec:
    """A `JobSpec`, or raises `ApiError` (400) with the service's wording."""
    for key in body:
        if key not in _KNOWN_FIELDS:
            raise invalid_request(f"Unrecognized request argument supplied: {key}")
    model = _required_str(body, "model")
    snapshot = _fine_tuning_model(model, state)
    training_file = _required_str(body, "training_file")
    _check_file(state, training_file, "training_file")
    validation_file = body.get("validation_file")
    if validation_file is not None:
        if not isinstance(validation_file, str):
            raise invalid_request("validation_file must be a string.", param="validation_file")
        _check_file(state, validation_file, "validation_file")
    suffix = _suffix(body.get("suffix"))
    seed = body.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise invalid_request("seed must be an integer.", param="seed")
    metadata = _metadata(body.get("metadata"))
    method_type, hyperparameters = _method(body.get("method"), body.get("hyperparameters"))
    integrations = _integrations(body.get("integrations"))
    return JobSpec(
        model=snapshot,
        training_file=training_file,
        validation_file=validation_file,
        suffix=suffix,
        seed=seed,
        metadata=metadata,
        method_type=method_type,
        hyperparameters=hyperparameters,
        integrations=integrations,
    )


def _fine_tuning_model(model: str, state: State) -> str:
    """The snapshot a job on `model` trains, or the refusal a client can tell apart.

    Three refusals, each with its own code, because a client acts differently on each: an
    unknown name (a typo: `model_not_found`), a retired model as of the simulated today (pick a
    current one: `model_retired`, which tuner explains as such), and a known model that cannot
    be fine-tuned (`model_not_fine_tunable`). tuner explains the first two as "a retired or
    unknown model", never as fine-tuning being closed.
    """
    target = catalog.fine_tuning_target(model)
    if target is None:
        raise ApiError(
            400,
            f"The model `{model}` does not exist or you do not have access to it.",
            param="model",
            code="model_not_found",
        )
    today = datetime.fromtimestamp(state.clock.now(), UTC).date()
    if target.retired_on(today):
        raise ApiError(
            400,
            f"The model `{target.id}` was retired on {target.shutdown_date} and can no longer "
            "be fine-tuned.",
            param="model",
            code="model_retired",
        )
    if not target.fine_tunable:
        raise ApiError(
            400,
            f"The model `{model}` does not support fine-tuning with the supervised or dpo methods.",
            param="model",
            code="model_not_fine_tunable",
        )
    return target.id


def _required_str(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if value is None:
        raise invalid_request(f"Missing required parameter: '{key}'.", param=key)
    if not isinstance(value, str) or not value:
        raise invalid_request(f"'{key}' must be a non-empty string.", param=key)
    return value


def _check_file(state: State, file_id: str, param: str) -> None:
    stored = state.files.get(file_id)
    if stored is None:
        raise invalid_request(
            f"Invalid file id for {param}: {file_id}. No such file.",
            param=param,
            code="invalid_file_id",
        )
    if stored.purpose != "fine-tune":
        raise invalid_request(
            f"File {file_id} has purpose '{stored.purpose}'. Files for fine-tuning must be "
            "uploaded with purpose 'fine-tune'.",
            param=param,
            code="invalid_file_purpose",
        )


def _suffix(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise invalid_request("suffix must be a non-empty string.", param="suffix")
    if len(value) > MAX_SUFFIX:
        raise invalid_request(
            f"suffix is {len(value)} characters long; the maximum is {MAX_SUFFIX}.",
            param="suffix",
        )
    if not SUFFIX_PATTERN.match(value):
        raise invalid_request(
            "suffix may only contain letters, digits, '-', '_' and '.'.", param="suffix"
        )
    return value


def _metadata(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid_request("metadata must be an object.", param="metadata")
    if len(value) > MAX_METADATA_PAIRS:
        raise invalid_request(
            f"metadata has {len(value)} pairs; the maximum is {MAX_METADATA_PAIRS}.",
            param="metadata",
        )
    for key, item in value.items():
        if len(key) > 64 or not isinstance(item, str) or len(item) > 512:
            raise invalid_request(
                "metadata keys must be at most 64 characters and values strings of at most "
                "512 characters.",
                param="metadata",
            )
    return dict(value)


def _method(method: Any, legacy: Any) -> tuple[str, dict[str, Any]]:
    if method is not None and legacy is not None:
        raise invalid_request(
            "Specify hyperparameters either in 'method' or in the deprecated top-level "
            "'hyperparameters', not both.",
            param="hyperparameters",
        )
    if method is None:
        return "supervised", _hyperparameters(legacy, "supervised", "hyperparameters")
    if not isinstance(method, dict):
        raise invalid_request("method must be an object.", param="method")
    method_type = method.get("type")
    if method_type == "reinforcement":
        raise invalid_request(
            "Reinforcement fine-tuning is not available in the emulator.", param="method.type"
        )
    if method_type not in ("supervised", "dpo"):
        raise invalid_request(
            f"Invalid method type: {method_type!r}. Expected 'supervised', 'dpo' or "
            "'reinforcement'.",
            param="method.type",
        )
    section = method.get(method_type) or {}
    if not isinstance(section, dict):
        raise invalid_request(f"method.{method_type} must be an object.", param="method")
    param = f"method.{method_type}.hyperparameters"
    return method_type, _hyperparameters(section.get("hyperparameters"), method_type, param)


def _hyperparameters(value: Any, method_type: str, param: str) -> dict[str, Any]:
    names = ["batch_size", "learning_rate_multiplier", "n_epochs"]
    if method_type == "dpo":
        names.insert(1, "beta")
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise invalid_request("hyperparameters must be an object.", param=param)
    result: dict[str, Any] = {}
    for key in value:
        if key not in names:
            raise invalid_request(f"Unknown hyperparameter: {key}.", param=f"{param}.{key}")
    for name in names:
        item = value.get(name, "auto")
        if item != "auto":
            kind, low, high = _RANGES[name]
            ok = isinstance(item, int | float) and not isinstance(item, bool) and _finite(item)
            if ok and kind is int:
                ok = (isinstance(item, int) or item.is_integer()) and low <= item <= high
                item = int(item) if ok else item
            elif ok:
                ok = low < item <= high
            if not ok:
                bounds = f"between {low:g} and {high:g}" if kind is int else "greater than 0"
                raise invalid_request(
                    f"Invalid {name}: {item!r}. Expected 'auto' or a number {bounds}.",
                    param=f"{param}.{name}",
                )
        result[name] = item
    return result


def _finite(number: int | float) -> bool:
    """A number a float can hold (JSON allows integers far beyond one, e.g. 10**400)."""
    try:
        return math.isfinite(number)
    except OverflowError:
        return False


def _integrations(value: Any) -> list[dict[str, Any]] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > 5:
        raise invalid_request("integrations must be a list of at most 5.", param="integrations")
    for item in value:
        if not isinstance(item, dict) or item.get("type") != "wandb":
            raise invalid_request(
                "Only 'wandb' integrations are supported.", param="integrations.type"
            )
        wandb = item.get("wandb")
        if not isinstance(wandb, dict) or not isinstance(wandb.get("project"), str):
            raise invalid_request(
                "A wandb integration needs a 'project'.", param="integrations.wandb.project"
            )
    return [dict(item) for item in value]
