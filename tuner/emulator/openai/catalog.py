"""The base models the emulated service knows, which can be fine-tuned, and when they retire.

Kept apart from tuner's own model catalog (tuner/data) on purpose: the emulator plays the
service, and a test that passes because both sides share one table proves little. The one
exception is the retirement dates: they are facts that change (FACTS.md), and the emulator must
agree with tuner about them at any simulated date, so they are read from
`tuner.data.catalog.lookup`. Models tuner does not list (o4-mini, which the emulator cannot
fine-tune) keep their own date."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

from tuner.data.catalog.choice import default_catalog
from tuner.data.catalog.openai import AZURE_SHUTDOWNS

ORGANIZATION_ID = "org-tuner-emulator"
# The organisation part of fine-tuned model names, `ft:BASE:ORG:SUFFIX:ID`.
ORGANIZATION_SLUG = "tuner-emulator"


@dataclass(frozen=True)
class BaseModel:
    id: str
    created: int
    owned_by: str = "system"
    fine_tunable: bool = False
    shutdown_date: str | None = None  # ISO date: from this day on the model is retired
    listed: bool = True  # in /models and callable; a long-retired model is neither

    def retired_on(self, today: date) -> bool:
        """Whether the model is retired as of `today` (it is on its shutdown day itself)."""
        return self.shutdown_date is not None and today >= date.fromisoformat(self.shutdown_date)


# OpenAI's deprecation notice of 2026-10-14 (FACTS.md): these bases, and every fine-tune of
# them, shut down on this day.
LAST_BASES_SHUTDOWN = "2027-01-14"

_MODELS: tuple[BaseModel, ...] = (
    BaseModel(
        "gpt-4.1-2025-04-14", 1744315746, fine_tunable=True, shutdown_date=LAST_BASES_SHUTDOWN
    ),
    BaseModel(
        "gpt-4.1-mini-2025-04-14",
        1744317547,
        fine_tunable=True,
        shutdown_date=LAST_BASES_SHUTDOWN,
    ),
    BaseModel("gpt-4.1-nano-2025-04-14", 1744321025, fine_tunable=True),
    BaseModel(
        "gpt-4o-2024-08-06", 1722814719, fine_tunable=True, shutdown_date=LAST_BASES_SHUTDOWN
    ),
    BaseModel("gpt-4o-2024-11-20", 1739331543, shutdown_date=LAST_BASES_SHUTDOWN),
    BaseModel(
        "gpt-4o-mini-2024-07-18", 1721172717, fine_tunable=True, shutdown_date=LAST_BASES_SHUTDOWN
    ),
    BaseModel("gpt-3.5-turbo-0125", 1706048358, fine_tunable=True),
    BaseModel("gpt-3.5-turbo-1106", 1698959748, fine_tunable=True),
    BaseModel("gpt-3.5-turbo-0613", 1686587434, fine_tunable=True, listed=False),
    BaseModel("gpt-4.1", 1744316542),
    BaseModel("gpt-4.1-mini", 1744318173),
    BaseModel("gpt-4.1-nano", 1744321707),
    BaseModel("gpt-4o", 1715367049),
    BaseModel("gpt-4o-mini", 1721172741),
    BaseModel("gpt-3.5-turbo", 1677610602, owned_by="openai"),
    BaseModel("o4-mini", 1744225351, shutdown_date="2026-10-23"),
)


def _with_tuners_dates(models: tuple[BaseModel, ...]) -> tuple[BaseModel, ...]:
    """Each model's shutdown date as tuner's built-in catalog has it (same id), else its own."""
    dates = {info.id: info.shutdown for info in default_catalog()}
    return tuple(
        dataclasses.replace(model, shutdown_date=dates[model.id].isoformat())
        if dates.get(model.id) is not None
        else model
        for model in models
    )


BASE_MODELS: tuple[BaseModel, ...] = _with_tuners_dates(_MODELS)
BY_ID: dict[str, BaseModel] = {model.id: model for model in BASE_MODELS}
LISTED: tuple[BaseModel, ...] = tuple(model for model in BASE_MODELS if model.listed)

# Aliases the fine-tuning endpoint accepts and resolves to a dated snapshot, as the
# service does (the job's `model` then shows the snapshot).
FINE_TUNING_ALIASES: dict[str, str] = {
    "gpt-4.1": "gpt-4.1-2025-04-14",
    "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano": "gpt-4.1-nano-2025-04-14",
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "gpt-3.5-turbo": "gpt-3.5-turbo-0125",
}


def shutdown_date(base: str, azure: bool = False) -> str | None:
    """The ISO day base model `base` (and so each fine-tune of it) shuts down on OpenAI, or on
    Azure with `azure`; None when no date is announced."""
    if azure:
        day = AZURE_SHUTDOWNS.get(base)
        return day.isoformat() if day is not None else None
    model = BY_ID.get(base)
    return model.shutdown_date if model is not None else None


def fine_tuning_target(model: str) -> BaseModel | None:
    """The model a fine-tuning job on `model` would train (aliases resolved); None if unknown.

    The caller still checks `fine_tunable` and `retired_on(today)`.
    """
    return BY_ID.get(FINE_TUNING_ALIASES.get(model, model))


def is_listed(model: str) -> bool:
    """A base model that /models shows and chat answers (a long-retired one is neither)."""
    base = BY_ID.get(model)
    return base is not None and base.listed
