"""The small pieces both directions of a migration share: message contents, turns, abilities.

A message's `content` is a string or a list of parts (text, image_url, OpenAI's refusal). The
conversions toward Together AI and toward OpenAI (`migrate_together`, `migrate_openai`) join
contents, turn part lists into text and back, and find images; they do it here, one way.
Nothing here records a change: the callers note what they did (`migrate_notes`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tuner.data.migrate.notes import LineNotes
from tuner.data.rules.together_content import IMAGE_PREFIXES

# What separates two contents merged into one message (two system prompts, two user turns).
JOINER = "\n\n"


@dataclass(frozen=True, slots=True)
class Abilities:
    """What the target model takes beyond text: images, tools. None: not known (then examples
    with them are kept, and the service decides)."""

    images: bool | None = None
    tools: bool | None = None


def text_part(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def as_parts(content: Any) -> list[Any]:
    """`content` as a list of parts: a string becomes one text part."""
    if isinstance(content, list):
        return list(content)
    return [text_part(content if isinstance(content, str) else "")]


def parts_text(content: Any) -> str | None:
    """The text of a part list that holds only text parts (their texts one after the other, as
    the model reads them), else None (it holds an image, or something unreadable)."""
    if not isinstance(content, list) or not content:
        return None
    texts = []
    for part in content:
        if not isinstance(part, dict) or part.get("type") != "text":
            return None
        text = part.get("text")
        if not isinstance(text, str):
            return None
        texts.append(text)
    return "".join(texts)


def join_contents(first: Any, second: Any) -> Any:
    """Two contents as one, a blank line between them: text stays text; if either is a part
    list, the result is one (the first's parts, a blank-line text part, the second's)."""
    if isinstance(first, str) and isinstance(second, str):
        return first + JOINER + second
    return [*as_parts(first), text_part(JOINER), *as_parts(second)]


def image_urls(content: Any) -> Iterator[Any]:
    """The `url` of every image part in `content` (whatever its type, for the caller to judge)."""
    if not isinstance(content, list):
        return
    for part in content:
        if isinstance(part, dict) and part.get("type") == "image_url":
            image = part.get("image_url")
            yield image.get("url") if isinstance(image, dict) else None


def is_embedded_image(url: Any) -> bool:
    """True for a base64 data URL of a JPEG, PNG or WEBP: the only images Together takes."""
    return isinstance(url, str) and url.startswith(IMAGE_PREFIXES)


def role_of(message: Any) -> str | None:
    """The message's role when it is a message with a string role, else None."""
    if isinstance(message, dict):
        role = message.get("role")
        return role if isinstance(role, str) else None
    return None


def copy_messages(messages: list[Any]) -> list[Any]:
    """A shallow copy of each message (the conversions change copies, never what was read)."""
    return [dict(m) if isinstance(m, dict) else m for m in messages]


def makes_tool_calls(messages: list[Any]) -> bool:
    """True when an assistant calls a tool (or OpenAI's legacy function) or a tool answers."""
    for message in messages:
        role = role_of(message)
        if role == "assistant" and (message.get("tool_calls") or message.get("function_call")):
            return True
        if role in ("tool", "function"):
            return True
    return False


def drop_preference_weights(messages: list[Any], notes: LineNotes) -> None:
    """Remove `weight` from preference replies: neither service reads it there, and a weight
    left in would read as a promise the target keeps."""
    for message in messages:
        if isinstance(message, dict) and "weight" in message:
            del message["weight"]
            notes.add("preference_weight_dropped")
