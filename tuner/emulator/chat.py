"""Deterministic chat replies: the same conversation to the same model gets the same answer.

Replies are assembled from a small built-in corpus, chosen by a hash of the model and
the messages, so tests can assert on them and a demo looks alive. Fine-tuned models (and
their checkpoints) answer in a recognisably different, consistent style from base
models, so a side-by-side comparison shows a difference. Some replies carry Markdown (a
list or a code block) to exercise rendering.

Token counts are approximate: characters / 4, rounded up (the service's tokenizer is
not reproduced here).
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from typing import Any

_SENTENCES = (
    "That depends on what you want the model to do most of the time.",
    "A small, clean dataset usually beats a large, noisy one.",
    "Start with fifty to a hundred examples and look at the validation loss.",
    "If the training loss keeps falling while validation loss rises, the model is overfitting.",
    "Keep the system prompt identical between training and inference.",
    "Shorter answers are easier for a model to imitate consistently.",
    "It helps to write the examples in the exact tone you want back.",
    "Try the base model first; sometimes a better prompt is all you need.",
    "Three epochs is a sensible default for a few hundred examples.",
    "Check a few transcripts by hand before you trust any metric.",
    "The cost grows with the number of tokens times the number of epochs.",
    "A checkpoint from an earlier epoch can generalise better than the final model.",
)

_LISTS = (
    ["Collect real conversations", "Remove duplicates", "Hold out a validation set"],
    ["Count the tokens", "Estimate the cost", "Start the job"],
    ["Compare with the base model", "Read the failures", "Add examples for them"],
)

_CODE = (
    "```python\nfrom openai import OpenAI\n\nclient = OpenAI()\n"
    'job = client.fine_tuning.jobs.retrieve("ftjob-...")\nprint(job.status)\n```'
)


def approx_tokens(text: str) -> int:
    """The emulator's token estimate: characters / 4, rounded up."""
    return math.ceil(len(text) / 4) if text else 0


def prompt_tokens(messages: list[Any]) -> int:
    """Approximate prompt tokens: 3 per message plus its content estimate, plus 3."""
    total = 3
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str):
            content = json.dumps(content)
        total += 3 + approx_tokens(content)
    return total


def _last_user_text(messages: list[Any]) -> str:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                texts = [part.get("text") for part in content if isinstance(part, dict)]
                return " ".join(text for text in texts if isinstance(text, str))
    return ""


def reply(model: str, messages: list[Any], fine_tuned: bool) -> str:
    """The full reply text for this conversation and model."""
    digest = hashlib.sha256(
        json.dumps([model, messages], sort_keys=True, default=str).encode()
    ).digest()
    rng = random.Random(digest)
    question = _last_user_text(messages).strip()
    topic = question.split("\n")[0][:60] if question else "your question"
    sentences = rng.sample(_SENTENCES, k=rng.randint(2, 4))
    if fine_tuned:
        # The fine-tuned style: a bold one-line answer, then terse steps.
        steps = rng.choice(_LISTS)
        lines = [f"**Short answer:** {sentences[0]}", ""]
        lines += [f"{n}. {step}." for n, step in enumerate(steps, start=1)]
        return "\n".join(lines)
    parts = [f'You asked about "{topic}".', *sentences]
    text = " ".join(parts)
    shape = rng.random()
    if shape < 0.3:
        text += "\n\n" + "\n".join(f"- {item}" for item in rng.choice(_LISTS))
    elif shape < 0.45:
        text += "\n\nFor example:\n\n" + _CODE
    return text


def truncate(text: str, max_tokens: int | None) -> tuple[str, str]:
    """(text, finish_reason): cut to `max_tokens` (by the estimate) with reason "length"."""
    if max_tokens is None or approx_tokens(text) <= max_tokens:
        return text, "stop"
    return text[: max(0, max_tokens) * 4], "length"


def chunks(text: str, size: int = 3) -> list[str]:
    """Split a reply into stream pieces of a few words each (whitespace kept)."""
    words = text.split(" ")
    pieces = []
    for start in range(0, len(words), size):
        piece = " ".join(words[start : start + size])
        if start + size < len(words):
            piece += " "
        pieces.append(piece)
    return [piece for piece in pieces if piece]
