"""A chat request and the typed pieces of its streamed answer: text deltas, then one final item.

Every service streams chat through `FineTuningService.stream_chat(request)`, which yields
`ChatDelta`s and then exactly one `ChatDone` with the token usage. The generator owns the HTTP
stream: cancelling the consuming task, or closing the generator (`contextlib.aclosing`), closes
the response at once, and whatever text the caller has collected so far stays theirs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
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
    # Structured output (`{"type": "json_schema", "json_schema": {...}}`): a judge asks for its
    # verdict this way where the service supports it (`Capabilities.structured_output`).
    response_format: Mapping[str, Any] | None = None

    def params(self) -> dict[str, Any]:
        """The sampling parameters that are set (for the request and for transcript headers)."""
        return sampling_params(self)

    def request_options(self) -> dict[str, Any]:
        """Everything sent besides model and messages: the sampling parameters and, when set,
        the response format."""
        options = self.params()
        if self.response_format is not None:
            options["response_format"] = dict(self.response_format)
        return options

    def api_messages(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        if self.system_prompt:
            messages.append({"role": "system", "content": self.system_prompt})
        messages.extend(dict(message) for message in self.messages)
        return messages


@dataclass(frozen=True)
class Embeddings:
    """Vectors for a batch of texts, in the texts' order, and the tokens billed when said."""

    vectors: tuple[tuple[float, ...], ...]
    prompt_tokens: int | None = None


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


async def read_chat_stream(
    stream: Any, finish_words: Mapping[str, str] | None = None
) -> AsyncIterator[ChatDelta | ChatDone]:
    """`ChatDelta`s from an SDK's chat-completions stream as they arrive, then one `ChatDone`.

    Both SDKs stream the same OpenAI-shaped chunks (`model`, `usage` on the last one, `choices`
    with a `delta` and a `finish_reason`), so the reading is one; `finish_words` maps a
    service's own word for why a reply ended onto OpenAI's (Together's `eos` is `stop`). The
    stream is closed when this ends, is closed, or its reader is cancelled (`async with`).
    """
    words = finish_words or {}
    parts: list[str] = []
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    model: str | None = None
    async with stream:
        async for chunk in stream:
            model = chunk.model or model
            if chunk.usage is not None:
                prompt_tokens = chunk.usage.prompt_tokens
                completion_tokens = chunk.usage.completion_tokens
            for choice in chunk.choices or ():
                if choice.finish_reason:
                    finish_reason = words.get(choice.finish_reason, choice.finish_reason)
                text = choice.delta.content if choice.delta else None
                if text:
                    parts.append(text)
                    yield ChatDelta(text)
    yield ChatDone("".join(parts), finish_reason, prompt_tokens, completion_tokens, model)


def done_from_completion(
    completion: Any, finish_words: Mapping[str, str] | None = None
) -> ChatDone:
    """The `ChatDone` of a whole (not streamed) chat completion of either SDK: both answer in
    OpenAI's shape (`choices[0].message.content`, `finish_reason`, `usage`, `model`)."""
    words = finish_words or {}
    choice = completion.choices[0] if completion.choices else None
    message = choice.message if choice is not None else None
    text = (message.content if message is not None else None) or ""
    finish = choice.finish_reason if choice is not None else None
    usage = completion.usage
    return ChatDone(
        text,
        words.get(finish, finish) if finish else None,
        usage.prompt_tokens if usage is not None else None,
        usage.completion_tokens if usage is not None else None,
        completion.model,
    )
