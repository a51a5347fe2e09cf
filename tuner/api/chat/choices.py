"""Every model a user may chat with, in the order the model picker shows them.

The service lists its fine-tuned and base models; `chat_model_choices` adds the checkpoints of
the newest fine-tuned models after them, because a checkpoint from an earlier epoch is often the
one worth comparing (and services keep only a few). A checkpoint listing that fails is left out
rather than failing the whole picker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tuner.api.chat.models import ChatModel, is_chat_model
from tuner.api.errors import ServiceError

if TYPE_CHECKING:
    from tuner.api.service import FineTuningService

# Checkpoints are listed for this many of the newest fine-tuned models (one request each).
CHECKPOINT_JOBS = 5


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
