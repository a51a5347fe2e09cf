"""Training metrics of an emulated job: what `GET /fine-tunes/{id}/metrics` answers.

Rows are flat `{name: number}` dictionaries in chronological order, named as Together names
them (`train/loss`, `train/learning_rate`, `train/global_step`, `train/epoch`; evaluation rows
carry `eval/loss` with the `train/global_step` they were measured at, which the SDK's own
chart code requires on every row). Values are a pure function of the job's seed and the step,
so a row read twice is the same row, and rows exist only for steps the job has reached.
"""

from __future__ import annotations

import math
import random
from datetime import datetime
from typing import Any

from .errors import invalid
from .job_requests import JobSpec


def learning_rate(spec: JobSpec, step: int, total: int) -> float:
    """The scheduled learning rate at `step`: linear warmup, then linear or cosine decay."""
    peak = spec.learning_rate
    warmup = round(spec.warmup_ratio * total)
    if warmup and step <= warmup:
        return peak * step / warmup
    args = spec.lr_scheduler.get("lr_scheduler_args") or {}
    floor = peak * float(args.get("min_lr_ratio") or 0.0)
    progress = (step - warmup) / max(1, total - warmup)
    if spec.lr_scheduler.get("lr_scheduler_type") == "cosine":
        cycles = float(args.get("num_cycles") or 0.5)
        shape = 0.5 * (1 + math.cos(2 * math.pi * cycles * progress))
    else:
        shape = 1 - progress
    return floor + (peak - floor) * max(0.0, shape)


def _loss(seed: int, step: int, total: int, start: float, floor: float, kind: str) -> float:
    rng = random.Random(f"{seed}:{kind}:{step}")
    base = floor + (start - floor) * math.exp(-4.0 * step / total)
    factor = 1.08 if kind == "eval" else 1.0
    return round(max(0.001, base * factor * (1 + rng.gauss(0, 0.1))), 5)


def rows(
    spec: JobSpec,
    seed: int,
    reached: int,
    total: int,
    steps_per_epoch: int,
    eval_steps: list[int],
    logged_at: Any,
) -> list[dict[str, float]]:
    """Every row up to step `reached`, with `logged_at(step)` giving each row's unix time."""
    shape = random.Random(f"{seed}:shape")
    start = shape.uniform(0.6, 0.75) if spec.dpo else shape.uniform(1.4, 2.4)
    floor = start * shape.uniform(0.15, 0.3)
    result: list[dict[str, float]] = []
    evals = set(eval_steps)
    for step in range(1, reached + 1):
        result.append(
            {
                "train/loss": _loss(seed, step, total, start, floor, "train"),
                "train/learning_rate": learning_rate(spec, step, total),
                "train/global_step": step,
                "train/epoch": round(step / steps_per_epoch, 4),
                "timestamp": logged_at(step),
            }
        )
        if step in evals:
            result.append(
                {
                    "eval/loss": _loss(seed, step, total, start, floor, "eval"),
                    "train/global_step": step,
                    "timestamp": logged_at(step),
                }
            )
    return result


def select(all_rows: list[dict[str, float]], query: dict[str, list[str]]) -> list[dict[str, float]]:
    """Apply the endpoint's filters: step and time ranges, then `resolution` train rows."""
    low = _int_arg(query, "global_step_from")
    high = _int_arg(query, "global_step_to")
    since = _time_arg(query, "logged_at_from")
    until = _time_arg(query, "logged_at_to")
    chosen = [
        row
        for row in all_rows
        if (low is None or row["train/global_step"] >= low)
        and (high is None or row["train/global_step"] <= high)
        and (since is None or row["timestamp"] >= since)
        and (until is None or row["timestamp"] <= until)
    ]
    resolution = _int_arg(query, "resolution")
    if resolution is not None:
        if resolution < 1:
            raise invalid("resolution must be a positive integer.", "resolution")
        train = [row for row in chosen if "train/loss" in row]
        if len(train) > resolution:
            # Uniform samples over the train rows, always keeping the last; eval rows all stay.
            last = len(train) - 1
            picks = {round(i * last / max(1, resolution - 1)) for i in range(resolution)}
            keep = {id(train[i]) for i in picks}
            chosen = [row for row in chosen if "train/loss" not in row or id(row) in keep]
    return chosen


def _int_arg(query: dict[str, list[str]], name: str) -> int | None:
    values = query.get(name)
    if not values:
        return None
    try:
        return int(values[-1])
    except ValueError:
        raise invalid(f"{name} must be an integer.", name) from None


def _time_arg(query: dict[str, list[str]], name: str) -> float | None:
    values = query.get(name)
    if not values:
        return None
    try:
        return datetime.fromisoformat(values[-1].replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise invalid(f"{name} must be an ISO-8601 timestamp.", name) from None
