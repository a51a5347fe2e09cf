"""What tuner knows about each kind of service, in one table: the one place a new service is added.

A settings profile names a kind (`openai`, `azure`, `together`). Everything that differs between
the services and is known before one is opened lives here, as one frozen `ServiceFacts` per
kind: whose data rules a file is checked by, the suffix length, the epoch and batch ranges, the
learning-rate knob, whether a model must be deployed before chat, whether OpenAI's closing of
new jobs applies, which model table (and so which retirement dates) the catalog starts from, and
where the default base model comes from. Callers ask these facts questions instead of comparing
the kind with a name: the kind is read only where a profile is read or written (tuner.config and
the settings form), where a service is opened (`tuner.api.service`) and inside the two service
packages and the emulator. An opened service gives the same facts through
`Capabilities.facts`.

It sits in tuner.config, the lowest layer, because the settings file, the data rules, the
catalog and the screens all need the facts before any service is opened (and before any SDK is
imported).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class RulesFamily(StrEnum):
    """Whose data rules and model table a service uses: OpenAI's (OpenAI, Azure OpenAI and
    compatible hosts) or Together AI's. A `StrEnum`, so it is written to JSON and reports as
    the plain word (`openai`, `together`)."""

    OPENAI = "openai"
    TOGETHER = "together"


class LearningRate(StrEnum):
    """The learning-rate knob a job takes, named by its job setting: OpenAI's multiplier of a
    base rate it does not publish, or Together's absolute rate."""

    MULTIPLIER = "learning_rate_multiplier"
    ABSOLUTE = "learning_rate"


class ModelTable(StrEnum):
    """The built-in model table a catalog starts from, and so whose retirement dates apply:
    OpenAI's models with OpenAI's dates, the same models with Azure's own (later) dates, or
    Together AI's models."""

    OPENAI = "openai"
    AZURE = "azure"
    TOGETHER = "together"


class DefaultModels(StrEnum):
    """Where the base model for estimates and new jobs comes from when the profile names none:
    the global `default_model` setting (an OpenAI model, so only for OpenAI-shaped services), or
    the service's own catalog (OpenAI's default model does not train on Together)."""

    SETTINGS = "settings"
    CATALOG = "catalog"


@dataclass(frozen=True, slots=True)
class ServiceFacts:
    """The facts of one kind of service that tuner's code decides by.

    `epochs` and `batch_sizes` are the ranges the service takes for any model, as (lowest,
    highest); None where it publishes them per model only (Together's `models/limits`).
    `default_epochs` is what a job trains when none are asked for; None means OpenAI's rule by
    the number of examples (`tuner.data.estimate.default_epochs`).
    """

    kind: str
    name: str  # as people call it: "OpenAI", "Azure OpenAI", "Together AI"
    rules: RulesFamily
    rules_label: str  # what a report says it checked against
    suffix_max: int
    epochs: tuple[int, int] | None
    batch_sizes: tuple[int, int] | None
    default_epochs: int | None
    default_batch_is_largest: bool  # Together's "max": said when a batch size is left to it
    learning_rate: LearningRate
    models_need_deployment: bool
    openai_closing: bool  # OpenAI's closing of new fine-tuning jobs (2027-01-06) applies
    model_table: ModelTable
    default_models: DefaultModels

    @property
    def openai_shutdowns(self) -> bool:
        """Whether OpenAI's own shutdown dates of its bases (2027-01-14) apply: not on Azure,
        which has its own, nor on Together, whose models are not OpenAI's."""
        return self.model_table is ModelTable.OPENAI

    @property
    def absolute_learning_rate(self) -> bool:
        """Whether a job takes an absolute learning rate (else a multiplier)."""
        return self.learning_rate is LearningRate.ABSOLUTE


# OpenAI's fine-tuning API (`POST /v1/fine_tuning/jobs`): suffix up to 64 characters, n_epochs
# 1-50, batch_size 1-256. Azure OpenAI runs the same API.
_OPENAI_API = {
    "rules": RulesFamily.OPENAI,
    "suffix_max": 64,
    "epochs": (1, 50),
    "batch_sizes": (1, 256),
    "default_epochs": None,
    "default_batch_is_largest": False,
    "learning_rate": LearningRate.MULTIPLIER,
    "default_models": DefaultModels.SETTINGS,
}

OPENAI_FACTS = ServiceFacts(
    kind="openai",
    name="OpenAI",
    rules_label="OpenAI rules",
    models_need_deployment=False,
    openai_closing=True,
    model_table=ModelTable.OPENAI,
    **_OPENAI_API,  # type: ignore[arg-type]
)
AZURE_FACTS = ServiceFacts(
    kind="azure",
    name="Azure OpenAI",
    rules_label="OpenAI rules (Azure OpenAI)",
    models_need_deployment=True,
    openai_closing=False,
    model_table=ModelTable.AZURE,
    **_OPENAI_API,  # type: ignore[arg-type]
)
# Together AI (`POST /v1/fine-tunes`): suffix up to 40 characters; epochs and batch sizes per
# model (`GET /v1/fine-tunes/models/limits`); n_epochs defaults to 1 and batch_size to "max".
TOGETHER_FACTS = ServiceFacts(
    kind="together",
    name="Together AI",
    rules=RulesFamily.TOGETHER,
    rules_label="Together AI rules",
    suffix_max=40,
    epochs=None,
    batch_sizes=None,
    default_epochs=1,
    default_batch_is_largest=True,
    learning_rate=LearningRate.ABSOLUTE,
    models_need_deployment=False,
    openai_closing=False,
    model_table=ModelTable.TOGETHER,
    default_models=DefaultModels.CATALOG,
)

SERVICE_FACTS: Mapping[str, ServiceFacts] = MappingProxyType(
    {facts.kind: facts for facts in (OPENAI_FACTS, AZURE_FACTS, TOGETHER_FACTS)}
)


class UnknownService(ValueError):
    """A service kind tuner has no facts (so no rules) for; the message names the kinds it has."""


def facts_for(kind: str) -> ServiceFacts:
    """The facts of the service kind `kind`. Raises `UnknownService` for a kind tuner does not
    know: checking a file against the wrong service's rules would pass files it refuses."""
    facts = SERVICE_FACTS.get(kind)
    if facts is None:
        raise UnknownService(
            f"tuner has no data rules for the service {kind!r}; it knows "
            + ", ".join(SERVICE_FACTS)
        )
    return facts
