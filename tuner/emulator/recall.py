"""What a fine-tuned model learned: the replies of its training examples, and when it gives one.

A real fine-tune answers a prompt like the ones it was trained on much as its training data did;
that is what makes it score above its base on a held-out file from the same data, and what makes
a copy trained on the same data elsewhere answer like its original. The emulator plays that
truthfully: each fine-tuned model (or checkpoint) remembers its job's training file, read once on
first use (`TrainingMemory`, a small cache), and a prompt whose last user message is close to one
of its examples' (`MATCH_CUTOFF`, by `similarity.prompt_closeness`; a different system message
costs `SYSTEM_MISMATCH_PENALTY`) gets that example's assistant reply.

A checkpoint is a model part-way through training: at `progress` (its step / the job's steps)
it gives the remembered reply whole with probability `progress`, and otherwise only its first
`progress` share of words followed by a phrase of its own, so later checkpoints score better.
The choice is seeded by the model and the messages: the same question gets the same answer.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from . import similarity

# How close (0..100) a prompt must be to a training prompt to be answered from it.
MATCH_CUTOFF = 72.0
# Subtracted from the closeness when both sides have a system message and they differ.
SYSTEM_MISMATCH_PENALTY = 15.0
# Two system messages at least this close (0..100) count as the same.
SYSTEM_SAME = 60.0
# How many candidates the fast search hands to the system-message check.
CANDIDATES = 5
# Training files read per process, most recently used kept (a job's file is read once).
CACHE_FILES = 8
# Only this much of a training file is read: a huge file still answers, from its beginning.
MAX_BYTES = 64 * 1024 * 1024

_PARTIAL_ENDINGS = (
    "I would need to check the details for you.",
    "Let me know if there is anything else.",
    "Please contact us again if it persists.",
)


@dataclass(frozen=True)
class Example:
    """One assistant turn of a training example and what came before it."""

    system: str
    prompt: str  # the last user message before the reply
    reply: str


@dataclass(frozen=True)
class Examples:
    """A training file's examples, with their prompts prepared for the fast search."""

    items: tuple[Example, ...]
    keys: tuple[str, ...]

    @classmethod
    def of(cls, items: Iterable[Example]) -> Examples:
        listed = tuple(items)
        return cls(listed, tuple(similarity.prompt_key(item.prompt) for item in listed))


@dataclass(frozen=True)
class Recollection:
    """A model's memory: its job's examples and how far training had got (0 < progress <= 1)."""

    examples: Examples
    progress: float = 1.0


def message_text(content: Any) -> str:
    """The text of a message's content: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [part.get("text") for part in content if isinstance(part, dict)]
        return " ".join(text for text in texts if isinstance(text, str))
    return ""


def prompt_parts(messages: Sequence[Any]) -> tuple[str, str]:
    """(system, last user message) of a conversation; empty strings where there is none."""
    system = ""
    user = ""
    for message in messages:
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        if role in ("system", "developer") and not system:
            system = message_text(message.get("content"))
        elif role == "user":
            user = message_text(message.get("content"))
    return system, user


def examples_of_row(row: Any) -> list[Example]:
    """Every (system, user, assistant reply) of one training row: chat or preference format."""
    if not isinstance(row, dict):
        return []
    messages = row.get("messages")
    if not isinstance(messages, list) and isinstance(row.get("input"), dict):
        # Preference (DPO) rows: the prompt in `input`, the preferred reply after it.
        preferred = row.get("preferred_output")
        prompt = row["input"].get("messages")
        if isinstance(prompt, list) and isinstance(preferred, list):
            messages = [*prompt, *preferred[:1]]
    if not isinstance(messages, list):
        return []
    found: list[Example] = []
    system = ""
    user = ""
    for message in messages:
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        text = message_text(message.get("content"))
        if role in ("system", "developer") and not system:
            system = text
        elif role == "user":
            user = text
        elif role == "assistant" and user and text and message.get("weight", 1) != 0:
            found.append(Example(system, user, text))
    return found


def read_examples(path: str) -> Examples:
    """The examples of a JSONL training file (its first `MAX_BYTES`); bad lines are skipped."""
    found: list[Example] = []
    with open(path, "rb") as handle:
        data = handle.read(MAX_BYTES)
    for line in data.splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            continue
        found.extend(examples_of_row(row))
    return Examples.of(found)


class TrainingMemory:
    """Training files' examples by a key (the service and the file id), read once, cached.

    `pin` keeps a file's examples for good: called before a job's training file is deleted,
    so its models still answer from it, as a real fine-tune does once trained.
    """

    def __init__(self, capacity: int = CACHE_FILES) -> None:
        self.capacity = capacity
        self._cache: OrderedDict[str, Examples] = OrderedDict()
        self._pinned: dict[str, Examples] = {}
        self._lock = threading.Lock()

    def examples(self, key: str, path: str | None) -> Examples | None:
        """The examples of file `key` stored at `path`; None if it is gone and was not pinned."""
        with self._lock:
            if key in self._pinned:
                return self._pinned[key]
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        if path is None:
            return None
        try:
            loaded = read_examples(path)
        except OSError:
            return None
        with self._lock:
            self._cache[key] = loaded
            while len(self._cache) > self.capacity:
                self._cache.popitem(last=False)
        return loaded

    def pin(self, key: str, path: str) -> None:
        """Read (or take from the cache) file `key` and keep it whatever happens to the file."""
        loaded = self.examples(key, path)
        if loaded is not None:
            with self._lock:
                self._pinned[key] = loaded
                self._cache.pop(key, None)


def best_match(examples: Examples, messages: Sequence[Any]) -> Example | None:
    """The training example whose prompt is closest to this conversation's, if close enough."""
    system, user = prompt_parts(messages)
    if not user.strip() or not examples.items:
        return None
    query = similarity.prompt_key(user)
    found = process.extract(
        query,
        examples.keys,
        scorer=fuzz.token_sort_ratio,
        processor=None,
        limit=CANDIDATES,
        score_cutoff=MATCH_CUTOFF,
    )
    best: tuple[float, int] | None = None
    for _, score, index in found:
        example = examples.items[index]
        if (
            system
            and example.system
            and similarity.prompt_closeness(system, example.system) < SYSTEM_SAME
        ):
            score -= SYSTEM_MISMATCH_PENALTY
        if score < MATCH_CUTOFF:
            continue
        if best is None or score > best[0] or (score == best[0] and index < best[1]):
            best = (score, index)
    return examples.items[best[1]] if best is not None else None


def recalled_reply(memory: Recollection, model: str, messages: Sequence[Any]) -> str | None:
    """What the model says from its training data, or None when no example is close enough."""
    example = best_match(memory.examples, messages)
    if example is None:
        return None
    progress = min(1.0, max(0.0, memory.progress))
    if progress >= 1.0:
        return example.reply
    rng = random.Random(_seed(model, messages))
    if rng.random() < progress:
        return example.reply
    words = example.reply.split()
    kept = max(1, int(len(words) * progress))
    return " ".join([*words[:kept], rng.choice(_PARTIAL_ENDINGS)])


def _seed(model: str, messages: Sequence[Any]) -> bytes:
    return hashlib.sha256(
        json.dumps([model, list(messages)], sort_keys=True, default=str).encode()
    ).digest()
