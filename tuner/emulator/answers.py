"""What a model says to a conversation, in both dialects: the one place a reply is decided.

In order: a judge prompt gets the judge's verdict (`judge`); a fine-tuned model answers a prompt
close to one of its training examples from its training data (`recall`); anything else gets the
shared corpus's reply (`chat`: a base model's generic answer, a fine-tune's own style). A
`response_format` then shapes the words into JSON that keeps to it (`structured`); without one a
verdict is written in prose around its JSON, as a model without structured output would.
Everything is seeded by the model and the messages: the same request gets the same reply.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from . import chat, judge, recall, structured
from .structured import ResponseFormat


@dataclass(frozen=True)
class Speaker:
    """The model answering: its name, whether it is fine-tuned, and what it learned (if known)."""

    model: str
    fine_tuned: bool
    memory: recall.Recollection | None = None


def answer(
    speaker: Speaker,
    messages: list[Any],
    response_format: ResponseFormat | None = None,
    position_bias: float = 0.0,
) -> str:
    """The full reply text (before any `max_tokens` cut)."""
    seed = hashlib.sha256(
        json.dumps([speaker.model, messages], sort_keys=True, default=str).encode()
    ).digest()
    verdict = judge.verdict_for(messages, position_bias)
    if verdict is not None:
        if response_format is not None:
            reason = str(verdict.fields.get("reason", ""))
            return structured.render(response_format, text=reason, hints=verdict.fields, seed=seed)
        return judge.PROSE_LEAD + json.dumps(verdict.fields, ensure_ascii=False)
    text = None
    if speaker.memory is not None:
        text = recall.recalled_reply(speaker.memory, speaker.model, messages)
    if text is None:
        text = chat.reply(speaker.model, messages, fine_tuned=speaker.fine_tuned)
    if response_format is None:
        return text
    return structured.render(response_format, text=text, hints=_json_or_none(text), seed=seed)


def _json_or_none(text: str) -> Any:
    """A remembered reply that is itself JSON (training for structured output) fills the
    fields it fits; other text fills the first free string."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict | list) else None
