"""What a model one can chat with is: `ChatModel`, its kind, and what its id and listing say.

A `ChatModel` is a name one can send chat requests to, and what kind of thing it is. The
services build them from their model lists (`FineTuningService.list_models`), which is why this
module asks no service itself: the seam names `ChatModel`, and the choices offered in the picker
(`tuner.api.chat.choices`) and the check before a replay (`tuner.api.model_checks`) ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

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


def is_chat_model(model_id: str) -> bool:
    """False for ids that are plainly not chat models (embeddings, audio, images, moderation)."""
    lowered = model_id.lower()
    blocked = ("embedding", "whisper", "tts", "dall-e", "moderation", "davinci", "babbage")
    return not any(word in lowered for word in blocked)


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
