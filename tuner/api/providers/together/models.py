"""The models one can chat with on Together: trained outputs first, then base chat models.

Fine-tuned models come from the account's succeeded jobs (their `model_output_name`, newest
first, each with its job id), because only a job says which model it trained and from what.
Base models come from `GET /v1/models`, a bare JSON array of model records (an OpenAI-style
`{"data": [...]}` is read too), keeping only those whose `type` is `chat` when the record says
a type: Together lists embedding, image, audio and rerank models there as well. A trained
output that `/models` also lists is not repeated among the base models.

`tuner.api.chat.models.model_kind` reads OpenAI's `ft:` ids and is not used for Together's
names (`ACCOUNT/BASE-SUFFIX-ID`), which look like any other model name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tuner.api.chat.models import ChatModel
from tuner.api.types import Job, JobStatus


def _records(listed: Any) -> list[dict[str, Any]]:
    if isinstance(listed, dict):
        listed = listed.get("data")
    if not isinstance(listed, list):
        return []
    return [item for item in listed if isinstance(item, dict) and isinstance(item.get("id"), str)]


def chat_models(jobs: Iterable[Job], listed: Any) -> list[ChatModel]:
    """Fine-tuned outputs of succeeded `jobs` (newest first), then `listed`'s chat models."""
    fine_tuned: dict[str, ChatModel] = {}
    for job in jobs:
        name = job.fine_tuned_model
        if job.status is JobStatus.SUCCEEDED and name and name not in fine_tuned:
            fine_tuned[name] = ChatModel(
                name, "fine_tuned", job.finished_at or job.created_at, job.id
            )
    base: dict[str, ChatModel] = {}
    for record in _records(listed):
        name = record["id"]
        kind = record.get("type")
        if name in fine_tuned or (kind is not None and kind != "chat"):
            continue
        created = record.get("created")
        base[name] = ChatModel(name, "base", created if isinstance(created, int) else None)
    newest_first = sorted(fine_tuned.values(), key=lambda m: m.created or 0, reverse=True)
    return newest_first + sorted(base.values(), key=lambda m: m.id)
