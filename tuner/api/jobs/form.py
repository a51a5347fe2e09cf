"""The new-job form's text fields turned into a `JobSpec`, with messages that name the field.

A form holds strings; the service wants numbers or nothing. An empty field (or "auto") is left
out of the request so the service chooses, which is what "auto" means in its documentation.
Everything the service would refuse for its shape is refused here first, by `check_spec`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.jobs.spec import Hyperparameters, JobSpec, Method, check_spec

AUTO_WORDS = frozenset({"", "auto", "-"})  # "-": back to the service's choice


class FormError(ServiceError):
    """A field the user has to fix; `field` names it so the form can point at it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(ErrorKind.INVALID_REQUEST, message)
        self.field = field


def parse_int(text: str, field: str, low: int, high: int) -> int | None:
    """An integer in [low, high], or None for empty / "auto"."""
    value = text.strip().lower()
    if value in AUTO_WORDS:
        return None
    try:
        number = int(value)
    except ValueError:
        raise FormError(field, f"{field} must be a whole number or auto (got {text!r})") from None
    if not low <= number <= high:
        raise FormError(field, f"{field} must be between {low} and {high} (got {number})")
    return number


def parse_float(text: str, field: str) -> float | None:
    """A positive number, or None for empty / "auto"."""
    value = text.strip().lower()
    if value in AUTO_WORDS:
        return None
    try:
        number = float(value)
    except ValueError:
        raise FormError(field, f"{field} must be a number or auto (got {text!r})") from None
    if not number > 0:
        raise FormError(field, f"{field} must be above 0 (got {number:g})")
    return number


@dataclass(frozen=True)
class JobForm:
    """What the user typed. Files are ids here: local files are uploaded before `to_spec`."""

    model: str
    method: Method = "supervised"
    suffix: str = ""
    epochs: str = ""
    batch_size: str = ""
    learning_rate_multiplier: str = ""
    beta: str = ""
    seed: str = ""
    # Together's shape: an absolute learning rate, and "lora" / "full" ("" leaves it to it).
    learning_rate: str = ""
    adaptation: str = ""

    def hyperparameters(self) -> Hyperparameters:
        return Hyperparameters(
            n_epochs=parse_int(self.epochs, "epochs", 1, 50),
            batch_size=parse_int(self.batch_size, "batch size", 1, 256),
            learning_rate_multiplier=parse_float(
                self.learning_rate_multiplier, "learning-rate multiplier"
            ),
            beta=parse_float(self.beta, "beta") if self.method == "dpo" else None,
            learning_rate=parse_float(self.learning_rate, "learning rate"),
        )

    def check(self) -> None:
        """Raise `FormError` / `ServiceError` for anything wrong before touching the service."""
        self.to_spec("file-placeholder")

    def to_spec(self, training_file: str, validation_file: str | None = None) -> JobSpec:
        seed = parse_int(self.seed, "seed", 0, 2**31 - 1)
        spec = JobSpec(
            model=self.model,
            training_file=training_file,
            validation_file=validation_file,
            suffix=self.suffix.strip() or None,
            seed=seed,
            method=self.method,
            hyperparameters=self.hyperparameters(),
            lora={"lora": True, "full": False}.get(self.adaptation),
        )
        check_spec(spec)
        return spec
