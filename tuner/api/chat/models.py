"""Every model a user may chat with, in the order the model picker shows them.

A `ChatModel` is a name one can send chat requests to, and what kind of thing it is. The service
lists its fine-tuned and base models (`FineTuningService.list_models`); `chat_model_choices` adds
the checkpoints of the newest fine-tuned models after them, because a checkpoint from an earlier
epoch is often the one worth comparing (and services keep only a few). A checkpoint listing that
fails is left out rather than failing the whole picker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal

from tuner.api.errors import ServiceError

if TYPE_CHECKING:
    from tuner.api.service import FineTuningService
    from tuner.data.catalog.lookup import Catalog

# Checkpoints are listed for this many of the newest fine-tuned models (one request each).
CHECKPOINT_JOBS = 5

ModelKind = Literal["fine_tuned", "checkpoint", "base"]


@dataclass(frozen=True)
class ChatModel:
    """A model one can chat with. `kind`: fine_tuned, checkpoint or base."""

    id: str
    kind: ModelKind
    created: int | None = None
    job_id: str | None = None
    # The day it stops answering, where the service's model list says (`shutdown_date`).
    shutdown: date | None = None


def model_kind(model_id: str) -> ModelKind:
    """What an OpenAI-style id names: `ft:...` is fine-tuned, `...:ckpt-step-N` a checkpoint."""
    if model_id.startswith("ft:"):
        return "checkpoint" if ":ckpt-step-" in model_id else "fine_tuned"
    return "base"


async def chat_model_choices(
    service: FineTuningService, checkpoint_jobs: int = CHECKPOINT_JOBS
) -> list[ChatModel]:
    """Fine-tuned models (newest first), their checkpoints (newest step first), base models.

    Raises `ServiceError` when the models cannot be listed at all.
    """
    models = await service.list_models()
    fine_tuned = [m for m in models if m.kind == "fine_tuned"]
    listed = {m.id for m in models}
    checkpoints = [m for m in models if m.kind == "checkpoint"]
    if service.capabilities.checkpoints:
        for model in fine_tuned[:checkpoint_jobs]:
            if model.job_id is None:
                continue
            try:
                found = await service.list_checkpoints(model.job_id)
            except ServiceError:
                continue
            for checkpoint in sorted(found, key=lambda c: c.step, reverse=True):
                name = checkpoint.model
                if name and name not in listed:
                    listed.add(name)
                    checkpoints.append(
                        ChatModel(name, "checkpoint", checkpoint.created_at, model.job_id)
                    )
    base = [m for m in models if m.kind == "base" and is_chat_model(m.id)]
    return [*fine_tuned, *checkpoints, *base]


def is_chat_model(model_id: str) -> bool:
    """False for ids that are plainly not chat models (embeddings, audio, images, moderation)."""
    lowered = model_id.lower()
    blocked = ("embedding", "whisper", "tts", "dall-e", "moderation", "davinci", "babbage")
    return not any(word in lowered for word in blocked)


async def check_chat_model(service: FineTuningService, model: str, catalog: Catalog) -> None:
    """Raise `ServiceError` when a chat with `model` cannot work at all: the key is missing or
    refused, or the service does not have the model (with the one most likely meant). Asked
    once, before a replay's first line, so a bad key or a typo is one line, not a failed turn.

    Only a conclusive answer refuses: a checkpoint (services do not list them) and an Azure
    deployment name (not a model) pass, and so does any model when the service cannot list its
    models (a gateway without `/models`): then the first reply tells.
    """
    from tuner.api.errors import ErrorKind

    try:
        listed = [entry.id for entry in await service.list_models()]
    except ServiceError as exc:
        if exc.kind in (ErrorKind.AUTH, ErrorKind.NO_KEY, ErrorKind.PERMISSION):
            raise
        if exc.kind is ErrorKind.CONNECTION:  # never reached: no line would be either
            raise
        return
    if model in listed or model_kind(model) == "checkpoint":
        return
    if service.capabilities.models_need_deployment:
        return
    from tuner.data.visible_text import visible_line

    guess = catalog.suggestion(model, listed)  # may be a name the service gave: outside text
    hint = f"; did you mean {visible_line(guess)}?" if guess else ""
    raise ServiceError(
        ErrorKind.MODEL_UNAVAILABLE,
        f"{service.capabilities.service} has no model {model!r} to chat with{hint}",
    )


def listed_day(value: object) -> date | None:
    """A model list's `shutdown_date` (`"2027-01-14"`, or a unix time) as a date; None when
    absent or unreadable (then tuner's catalog decides)."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        from datetime import UTC, datetime

        return datetime.fromtimestamp(value, UTC).date()
    return None
