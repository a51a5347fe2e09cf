"""The base models the emulated service knows, and which of them can be fine-tuned.

Kept apart from tuner's own model catalog (tuner/data) on purpose: the emulator plays
the service, and a test that passes because both sides share one table proves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

ORGANIZATION_ID = "org-tuner-emulator"
# The organisation part of fine-tuned model names, `ft:BASE:ORG:SUFFIX:ID`.
ORGANIZATION_SLUG = "tuner-emulator"


@dataclass(frozen=True)
class BaseModel:
    id: str
    created: int
    owned_by: str = "system"
    fine_tunable: bool = False
    shutdown_date: str | None = None


BASE_MODELS: tuple[BaseModel, ...] = (
    BaseModel("gpt-4.1-2025-04-14", 1744315746, fine_tunable=True),
    BaseModel("gpt-4.1-mini-2025-04-14", 1744317547, fine_tunable=True),
    BaseModel("gpt-4.1-nano-2025-04-14", 1744321025, fine_tunable=True, shutdown_date="2026-10-23"),
    BaseModel("gpt-4o-2024-08-06", 1722814719, fine_tunable=True),
    BaseModel("gpt-4o-mini-2024-07-18", 1721172717, fine_tunable=True),
    BaseModel("gpt-3.5-turbo-0125", 1706048358, fine_tunable=True, shutdown_date="2026-10-23"),
    BaseModel("gpt-3.5-turbo-1106", 1698959748, fine_tunable=True),
    BaseModel("gpt-4.1", 1744316542),
    BaseModel("gpt-4.1-mini", 1744318173),
    BaseModel("gpt-4.1-nano", 1744321707),
    BaseModel("gpt-4o", 1715367049),
    BaseModel("gpt-4o-mini", 1721172741),
    BaseModel("gpt-3.5-turbo", 1677610602, owned_by="openai"),
    BaseModel("o4-mini", 1744225351, shutdown_date="2026-10-23"),
)

BY_ID: dict[str, BaseModel] = {model.id: model for model in BASE_MODELS}

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


def fine_tunable_snapshot(model: str) -> str | None:
    """The dated snapshot a fine-tuning job on `model` trains, or None if it cannot."""
    model = FINE_TUNING_ALIASES.get(model, model)
    base = BY_ID.get(model)
    return base.id if base is not None and base.fine_tunable else None
