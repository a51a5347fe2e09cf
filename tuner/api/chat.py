"""A chat request and the typed pieces of its streamed answer: text deltas, then one final item.

Every service streams chat through `FineTuningService.stream_chat(request)`, which yields
`ChatDelta`s and then exactly one `ChatDone` with the token usage. The generator owns the HTTP
stream: cancelling the consuming task, or closing the generator (`contextlib.aclosing`), closes
the response at once, and whatever text the caller has collected so far stays theirs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SAMPLING_PARAMS = ("temperature", "frequency_penalty", "presence_penalty", "max_tokens")


def sampling_params(source: object) -> dict[str, Any]:
    """The sampling parameters set on `source` (a request, the chat settings); None is unset,
    and an unset parameter is left out so the service's own default applies."""
    values = {name: getattr(source, name) for name in SAMPLING_PARAMS}
    return {name: value for name, value in values.items() if value is not None}


@dataclass(frozen=True)
class ChatRequest:
    """One request: the conversation so far (`messages`, without the system prompt) and params."""

    model: str
    messages: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    system_prompt: str | None = None
    temperature: float | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    max_tokens: int | None = None

    def params(self) -> dict[str, Any]:
        """The sampling parameters that are set (for the request and for transcript headers)."""
        return sampling_params(self)

    def api_messages(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        if self.system_prompt:
            messages.append({"role": "system", "content": self.system_prompt})
        messages.extend(dict(message) for message in self.messages)
        return messages


@dataclass(frozen=True)
class ChatDelta:
    """A piece of the assistant's reply, in order."""

    text: str


@dataclass(frozen=True)
class ChatDone:
    """The end of a reply: the full text, why it stopped, and the tokens billed (None if unsent)."""

    text: str
    finish_reason: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    model: str | None = None
