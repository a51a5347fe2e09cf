"""tuner's `JobSpec` as the keyword arguments of the SDK's `fine_tuning.create`.

Together takes flat fields, and a few of tuner's (OpenAI-shaped) choices have no Together field:
those are refused here, before any request, in one sentence saying what to do instead: better
refused than silently dropped (a learning-rate multiplier sent nowhere would train with the
default rate while the user believes otherwise).

The mapping:
- `method` "supervised" is `training_method="sft"` (with `train_on_inputs="auto"`, which the SDK
  otherwise fills in with a logged warning), "dpo" is `"dpo"` with `dpo_beta` from `beta`;
- `seed` is `random_seed`; `suffix` is sent as is, up to Together's 40 characters;
- `n_epochs` is sent when it is a number ("auto" / None leave the SDK's default, 1);
- `batch_size` "auto" (or None) is Together's "max" (the largest the model allows);
- `learning_rate` is Together's absolute rate; OpenAI's `learning_rate_multiplier` is refused;
- `lora` True / False picks LoRA or full training; None leaves it to the service (LoRA);
- a validation file is evaluated once per epoch (`n_evals`), like OpenAI's full validation loss
  after each epoch; each evaluation is billed, so no more often than that.
"""

from __future__ import annotations

from typing import Any

from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.jobs.spec import JobSpec
from tuner.config.service_facts import TOGETHER_FACTS

SUFFIX_MAX = TOGETHER_FACTS.suffix_max


def _invalid(message: str) -> ServiceError:
    return ServiceError(ErrorKind.INVALID_REQUEST, f"Invalid job: {message}")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def refusal(spec: JobSpec) -> ServiceError | None:
    """What in `spec` Together has no field for (or refuses anyway), as the error to raise."""
    hyper = spec.hyperparameters
    if spec.suffix is not None and len(spec.suffix) > SUFFIX_MAX:
        return _invalid(
            f"Together allows a suffix of at most {SUFFIX_MAX} characters (got {len(spec.suffix)})"
        )
    if hyper.learning_rate_multiplier not in (None, "auto"):
        return _invalid(
            "Together takes an absolute learning rate (learning_rate, e.g. 1e-5), not a "
            "learning-rate multiplier: set learning_rate instead of learning_rate_multiplier"
        )
    if spec.metadata:
        return _invalid("Together keeps no metadata on a job: leave metadata empty")
    if hyper.learning_rate is not None and not (
        _number(hyper.learning_rate) and hyper.learning_rate > 0
    ):
        return _invalid(f"learning_rate must be a positive number (got {hyper.learning_rate!r})")
    return None


def create_kwargs(spec: JobSpec) -> dict[str, Any]:
    """The `fine_tuning.create` (and `create_finetune_request`) keyword arguments for `spec`.

    Raises `ServiceError(invalid_request)` for what Together cannot take (see `refusal`)."""
    refused = refusal(spec)
    if refused is not None:
        raise refused
    hyper = spec.hyperparameters
    dpo = spec.method == "dpo"
    kwargs: dict[str, Any] = {
        "model": spec.model,
        "training_file": spec.training_file,
        "training_method": "dpo" if dpo else "sft",
        "lora": spec.lora,
    }
    epochs = hyper.n_epochs if _number(hyper.n_epochs) else None
    if epochs is not None:
        kwargs["n_epochs"] = int(epochs)
    if spec.validation_file:
        kwargs["validation_file"] = spec.validation_file
        kwargs["n_evals"] = int(epochs or 1)
    if spec.suffix:
        kwargs["suffix"] = spec.suffix
    if spec.seed is not None:
        kwargs["random_seed"] = spec.seed
    batch = hyper.batch_size
    kwargs["batch_size"] = int(batch) if _number(batch) else "max"
    if hyper.learning_rate is not None:
        kwargs["learning_rate"] = float(hyper.learning_rate)
    if dpo:
        if _number(hyper.beta):
            kwargs["dpo_beta"] = float(hyper.beta)  # type: ignore[arg-type]
    else:
        kwargs["train_on_inputs"] = "auto"
    return kwargs
