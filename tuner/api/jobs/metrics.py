"""Training metrics as typed points: from live `metrics` events and from the job's result CSV.

Live events carry `data` with step, total_steps and the losses / accuracies; the finished job's
result file is a CSV whose columns have changed over the years (train_accuracy vs.
train_mean_token_accuracy, sometimes base64-encoded as a whole). Both become `MetricPoint`s with
None where a value is absent, so a chart never has to guess.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class MetricPoint:
    step: int
    total_steps: int | None = None
    train_loss: float | None = None
    train_mean_token_accuracy: float | None = None
    valid_loss: float | None = None
    valid_mean_token_accuracy: float | None = None
    full_valid_loss: float | None = None
    full_valid_mean_token_accuracy: float | None = None


# Field -> accepted source names, first found wins (event `data` keys and CSV headers).
_ALIASES: dict[str, tuple[str, ...]] = {
    "step": ("step", "steps"),
    "total_steps": ("total_steps",),
    "train_loss": ("train_loss", "training_loss"),
    "train_mean_token_accuracy": (
        "train_mean_token_accuracy",
        "train_accuracy",
        "training_accuracy",
        "training_token_accuracy",
    ),
    "valid_loss": ("valid_loss", "validation_loss"),
    "valid_mean_token_accuracy": (
        "valid_mean_token_accuracy",
        "valid_accuracy",
        "validation_accuracy",
        "validation_token_accuracy",
    ),
    "full_valid_loss": ("full_valid_loss", "full_validation_loss"),
    "full_valid_mean_token_accuracy": (
        "full_valid_mean_token_accuracy",
        "full_valid_accuracy",
        "full_validation_accuracy",
    ),
}


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return None if math.isnan(number) else number


def point_from_mapping(values: Mapping[str, Any]) -> MetricPoint | None:
    """A point from any mapping with a step (event data or a CSV row); None without a step."""
    normalised = {str(key).strip().lower(): value for key, value in values.items()}
    found: dict[str, float | None] = {}
    for name, aliases in _ALIASES.items():
        found[name] = next(
            (n for n in (_number(normalised.get(a)) for a in aliases) if n is not None), None
        )
    step = found.pop("step")
    if step is None:
        return None
    total = found.pop("total_steps")
    return MetricPoint(
        step=int(step), total_steps=int(total) if total is not None else None, **found
    )


def _maybe_base64(text: str) -> str:
    stripped = text.strip()
    if not stripped or "," in stripped.splitlines()[0]:
        return text
    try:
        return base64.b64decode(stripped, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return text


def parse_result_csv(text: str) -> list[MetricPoint]:
    """Rows of a result file (plain or base64 CSV) as points, in step order; bad rows skipped."""
    text = _maybe_base64(text.lstrip("\ufeff")).lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    points = [point for row in reader if (point := point_from_mapping(row)) is not None]
    points.sort(key=lambda point: point.step)
    return points
