"""Every model a user may chat with, in the order the model picker shows them.

`list_chat_models` gives the profile's fine-tuned models (newest first) and the base models;
the checkpoints of the newest fine-tuning jobs are added after the fine-tuned models, because a
checkpoint from an earlier epoch is often the one worth comparing (and the service keeps only a
few). A checkpoint listing that fails is left out rather than failing the whole picker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tuner.api.errors import ServiceError
from tuner.api.jobs import ChatModel, list_chat_models, list_checkpoints

if TYPE_CHECKING:
    from openai import AsyncOpenAI

# Checkpoints are listed for this many of the newest fine-tuned models (one request each).
CHECKPOINT_JOBS = 5


async def chat_model_choices(
    client: AsyncOpenAI, checkpoint_jobs: int = CHECKPOINT_JOBS
) -> list[ChatModel]:
    """Fine-tuned models (newest first), their checkpoints (newest step first), base models.

    Raises `ServiceError` when the models cannot be listed at all.
    """
    models = await list_chat_models(client)
    fine_tuned = [m for m in models if m.kind == "fine_tuned"]
    listed = {m.id for m in models}
    checkpoints = [m for m in models if m.kind == "checkpoint"]
    for model in fine_tuned[:checkpoint_jobs]:
        if model.job_id is None:
            continue
        try:
            found = await list_checkpoints(client, model.job_id)
        except ServiceError:
            continue
        for checkpoint in sorted(found, key=lambda c: c.step_number, reverse=True):
            name = checkpoint.fine_tuned_model_checkpoint
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
