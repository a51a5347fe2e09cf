"""Which of a job's settings a new job on another service can ask for, and which it cannot.

The new job should train like the old one where the target has the same knob: the method
(supervised or preference), the epochs, the DPO beta, the batch size when the target allows it
for the model, the seed and the suffix. What has no counterpart is named with the reason, never
dropped in silence:

- OpenAI's learning-rate multiplier scales a base rate OpenAI does not publish, so no absolute
  rate on Together AI corresponds to it; the other way, Together's absolute rate has no
  multiplier. Either way the target's default is used, and said. Between two services of the
  same shape (OpenAI and Azure OpenAI, two Together accounts) the value carries over.
- A batch size outside what the target allows for the model (`ModelLimits`) is left to the
  target's default; epochs above its maximum are lowered to it.
- The suffix is the source job's unless the user gives one; cut to the target's length limit
  (Together: 40 characters, OpenAI: 64), which is said.
- Settings tuner's `JobSpec` has no field for (Together's LoRA rank, alpha, evaluations) are
  named as not carried.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tuner.api.errors import ServiceError
from tuner.api.jobs.spec import Hyperparameters, JobSpec, check_spec, check_suffix
from tuner.api.migrate.errors import MigrationError
from tuner.data.wording import plural

if TYPE_CHECKING:
    from tuner.api.types import Capabilities, Job, ModelLimits

# What `Job.hyperparameters` may hold that is handled here (others are named as not carried).
_HANDLED = frozenset(
    {"n_epochs", "batch_size", "learning_rate_multiplier", "learning_rate", "beta", "lora"}
)


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting of the source job: its `value` there, what the new job asks for (`sent`,
    None when it is not carried) and a `note` saying how or why."""

    name: str
    value: Any
    sent: Any = None
    note: str | None = None

    def describe(self) -> str:
        """`n_epochs 3`, `suffix shop-bot (cut to 40 characters, Together AI's limit)`."""
        shown = self.sent if self.sent is not None else self.value
        text = f"{self.name} {shown}"
        return f"{text} ({self.note})" if self.note else text

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "sent": self.sent, "note": self.note}


@dataclass(frozen=True, slots=True)
class CarriedSettings:
    """The new job's spec (its files still to be uploaded: `training_file` is a placeholder)
    and the source settings that did and did not carry over."""

    spec: JobSpec
    carried: tuple[Setting, ...]
    not_carried: tuple[Setting, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "carried": [s.to_json() for s in self.carried],
            "not_carried": [s.to_json() for s in self.not_carried],
        }


def suffix_limit(target: Capabilities) -> int:
    """The longest suffix `target` takes (OpenAI: 64 characters, Together AI: 40)."""
    return target.facts.suffix_max


def carry_over(
    job: Job,
    *,
    source: Capabilities,
    target: Capabilities,
    model: str,
    limits: ModelLimits | None,
    suffix: str | None = None,
) -> CarriedSettings:
    """The new job's settings on `target` for `model`, from `job` on `source`.

    `suffix` (the user's) replaces the job's; it must fit the target (else `MigrationError`).
    Raises `MigrationError` for a method the target cannot train.
    """
    carried: list[Setting] = []
    dropped: list[Setting] = []
    name = target.service
    hyper = dict(job.hyperparameters)
    method = job.method
    if method not in ("supervised", "dpo"):
        raise MigrationError(f"{job.id} is a {method} job; tuner moves supervised and DPO jobs")
    if method == "dpo" and not target.dpo:
        raise MigrationError(f"{job.id} trained on preference (DPO) data, and {name} takes none")
    carried.append(Setting("method", method, method))

    epochs = _epochs(hyper.get("n_epochs"), target, limits, carried, dropped)
    batch = _batch(hyper.get("batch_size"), target, model, limits, carried, dropped)
    multiplier, rate = _learning_rate(hyper, source, target, model, carried, dropped)
    beta = None
    if method == "dpo" and _number(hyper.get("beta")):
        beta = hyper["beta"]
        carried.append(Setting("beta", beta, beta))
    lora = None
    if "lora" in hyper and isinstance(hyper["lora"], bool):
        if target.lora_choice and (hyper["lora"] or limits is None or limits.full):
            lora = hyper["lora"]
            carried.append(Setting("lora", lora, lora))
        else:
            why = (
                f"{name} chooses the method itself"
                if not target.lora_choice
                else f"{name} has no full fine-tuning of {model}"
            )
            dropped.append(Setting("lora", hyper["lora"], None, why))
    sent_suffix = _suffix(job.suffix, suffix, target, carried)
    if job.seed is not None:
        carried.append(Setting("seed", job.seed, job.seed))
    for key, value in hyper.items():
        if key not in _HANDLED:
            why = (
                f"tuner's job settings have no field for it: left to {name}'s default"
                if target.facts == source.facts
                else f"{name} has no such setting"
            )
            dropped.append(Setting(key, value, None, why))

    spec = JobSpec(
        model=model,
        training_file="pending",
        suffix=sent_suffix,
        seed=job.seed,
        method=method,  # type: ignore[arg-type]  # checked above
        hyperparameters=Hyperparameters(
            n_epochs=epochs,
            batch_size=batch,
            learning_rate_multiplier=multiplier,
            beta=beta,
            learning_rate=rate,
        ),
        lora=lora,
    )
    check_spec(spec)
    return CarriedSettings(spec, tuple(carried), tuple(dropped))


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _epochs(
    value: Any,
    target: Capabilities,
    limits: ModelLimits | None,
    carried: list[Setting],
    dropped: list[Setting],
) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool):
        said = "left them to the service" if value == "auto" else "does not say how many"
        why = f"the source job {said}: left to {target.service}'s default"
        dropped.append(Setting("n_epochs", value, None, why))
        return None
    # The model's own maximum, else the service's for any model (Together has none: its
    # limits are per model, and the service checks what it is sent).
    most = limits.max_epochs if limits is not None and limits.max_epochs else None
    if most is None and target.facts.epochs is not None:
        most = target.facts.epochs[1]
    if most is not None and value > most:
        note = f"{target.service} trains at most {plural(most, 'epoch')} of this model"
        carried.append(Setting("n_epochs", value, most, note))
        return most
    carried.append(Setting("n_epochs", value, value))
    return value


def _batch(
    value: Any,
    target: Capabilities,
    model: str,
    limits: ModelLimits | None,
    carried: list[Setting],
    dropped: list[Setting],
) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    sizes_allowed = target.facts.batch_sizes
    if limits is not None and limits.min_batch_size and limits.max_batch_size:
        sizes_allowed = limits.min_batch_size, limits.max_batch_size
    if sizes_allowed is None:  # no range for any model, and none for this one: the service checks
        carried.append(Setting("batch_size", value, value))
        return value
    low, high = sizes_allowed
    if low <= value <= high:
        carried.append(Setting("batch_size", value, value))
        return value
    sizes = f"{low}" if low == high else f"{low} to {high}"
    # Said inside the parentheses of `Setting.describe`: no parentheses of its own.
    why = f"{target.service} trains {model} with batch size {sizes}: left to its default" + (
        ", the largest" if target.facts.default_batch_is_largest else ""
    )
    dropped.append(Setting("batch_size", value, None, why))
    return None


def _learning_rate(
    hyper: dict[str, Any],
    source: Capabilities,
    target: Capabilities,
    model: str,
    carried: list[Setting],
    dropped: list[Setting],
) -> tuple[float | None, float | None]:
    """(multiplier, absolute rate) for the new job."""
    name = target.service
    multiplier = hyper.get("learning_rate_multiplier")
    if _number(multiplier):
        if not target.absolute_learning_rate:
            carried.append(Setting("learning_rate_multiplier", multiplier, multiplier))
            return float(multiplier), None
        why = (
            f"a multiplier scales a base rate that {source.service} does not publish, so no "
            f"absolute rate on {name} matches it: left to {name}'s default for {model}"
        )
        dropped.append(Setting("learning_rate_multiplier", multiplier, None, why))
    rate = hyper.get("learning_rate")
    if _number(rate):
        if target.absolute_learning_rate:
            carried.append(Setting("learning_rate", rate, rate))
            return None, float(rate)
        why = (
            f"{name} takes a multiplier of a base rate it does not publish, so no multiplier "
            f"matches an absolute rate: left to {name}'s automatic choice"
        )
        dropped.append(Setting("learning_rate", rate, None, why))
    return None, None


def _suffix(
    own: str | None, given: str | None, target: Capabilities, carried: list[Setting]
) -> str | None:
    limit = suffix_limit(target)
    name = target.service
    if given is not None:
        try:
            check_suffix(given)
        except ServiceError as exc:
            raise MigrationError(exc.message) from None
        if len(given) > limit:
            raise MigrationError(
                f"the suffix {given!r} is {len(given)} characters; {name} takes at most {limit}"
            )
        carried.append(Setting("suffix", own, given, "as given"))
        return given
    if not own:
        return None
    sent = own[:limit].rstrip("-._") or own[:limit]
    note = f"cut to {len(sent)} characters, {name}'s limit is {limit}" if sent != own else None
    carried.append(Setting("suffix", own, sent, note))
    return sent
