"""What a new fine-tuning job asks for (`JobSpec`), checked before any service sees it.

The spec is tuner's, the same for every service; each service implementation turns it into its
own request body. What every service would refuse for its shape (a suffix with odd characters,
epochs out of range) is refused here first: a typo should not cost a round trip, nor show up as
the service's terser refusal. A base model that tuner's catalog knows is retired is refused
here too (`check_model_available`), before a file is uploaded for a job that cannot start. A
model nobody knows (a typo such as `gpt-4o-mni`) needs the service's list: that check is
`tuner.api.model_checks.check_model_known`, so this module asks no service.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from tuner.api.errors import ErrorKind, ServiceError
from tuner.config.service_facts import OPENAI_FACTS

if TYPE_CHECKING:
    from tuner.data.catalog.lookup import Catalog

SUFFIX_MAX = OPENAI_FACTS.suffix_max
# The OpenAPI description only bounds the length (1–64). The suffix becomes one colon-separated
# field of `ft:BASE:ORG:SUFFIX:ID`, so tuner allows the characters that are safe there.
SUFFIX_PATTERN = re.compile(r"^[A-Za-z0-9._-]+$")
METADATA_MAX_PAIRS = 16

Method = Literal["supervised", "dpo"]
Auto = Literal["auto"]


@dataclass(frozen=True)
class Hyperparameters:
    """None means "not sent" (the service picks); "auto" is sent as "auto"."""

    n_epochs: int | Auto | None = None
    batch_size: int | Auto | None = None
    learning_rate_multiplier: float | Auto | None = None
    beta: float | Auto | None = None  # dpo only
    # An absolute learning rate (Together); OpenAI's API takes only the multiplier above.
    learning_rate: float | None = None

    def as_params(self, method: Method) -> dict[str, Any]:
        values = {
            "n_epochs": self.n_epochs,
            "batch_size": self.batch_size,
            "learning_rate_multiplier": self.learning_rate_multiplier,
        }
        if method == "dpo":
            values["beta"] = self.beta
        return {key: value for key, value in values.items() if value is not None}


@dataclass(frozen=True)
class JobSpec:
    """Everything a new job needs, in tuner's words; None leaves a choice to the service."""

    model: str
    training_file: str
    validation_file: str | None = None
    suffix: str | None = None
    seed: int | None = None
    metadata: Mapping[str, str] | None = None
    method: Method = "supervised"
    hyperparameters: Hyperparameters = field(default_factory=Hyperparameters)
    # LoRA (True) or full fine-tuning (False) where the service lets one choose (Together);
    # None leaves it to the service.
    lora: bool | None = None


def check_spec(spec: JobSpec) -> None:
    """Raise `ServiceError(invalid_request)` for what the service would refuse anyway."""
    if not spec.model:
        raise _invalid("a base model is required")
    if not spec.training_file:
        raise _invalid("a training file is required")
    check_suffix(spec.suffix)
    if spec.metadata and len(spec.metadata) > METADATA_MAX_PAIRS:
        raise _invalid(f"metadata holds at most {METADATA_MAX_PAIRS} pairs")
    if spec.method not in ("supervised", "dpo"):
        raise _invalid(f"method must be supervised or dpo, not {spec.method!r}")
    epochs = spec.hyperparameters.n_epochs
    if isinstance(epochs, int) and not 1 <= epochs <= 50:
        raise _invalid(f"n_epochs must be between 1 and 50 (got {epochs})")
    batch = spec.hyperparameters.batch_size
    if isinstance(batch, int) and not 1 <= batch <= 256:
        raise _invalid(f"batch_size must be between 1 and 256 (got {batch})")


def check_model_available(spec: JobSpec, catalog: Catalog, today: date) -> None:
    """Raise `ServiceError(model_unavailable)` when the catalog knows `spec.model` (or the base
    of a fine-tuned model) is retired at `today`; the message names the date and the models
    that can still be fine-tuned. A model the catalog does not know passes: the service decides.

    Call it before uploading anything (a move's plan does; the job-creation flow refuses with
    the same words, `tuner.api.jobs.creation.BaseRetired`).
    """
    refusal = catalog.refusal(spec.model, today)
    if refusal is not None:
        raise ServiceError(ErrorKind.MODEL_UNAVAILABLE, refusal)


def check_suffix(suffix: str | None) -> None:
    """A suffix is 1–64 characters of letters, digits, '.', '_' and '-' (None: no suffix)."""
    if suffix is None:
        return
    if not suffix or len(suffix) > SUFFIX_MAX:
        raise _invalid(f"suffix must be 1 to {SUFFIX_MAX} characters (got {len(suffix)})")
    if not SUFFIX_PATTERN.match(suffix):
        bad = sorted({char for char in suffix if not SUFFIX_PATTERN.match(char)})
        shown = " ".join(repr(char) for char in bad)
        raise _invalid(f"suffix may hold only letters, digits, '.', '_' and '-' (not {shown})")


def _invalid(message: str) -> ServiceError:
    return ServiceError(ErrorKind.INVALID_REQUEST, f"Invalid job: {message}")
