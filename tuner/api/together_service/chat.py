"""Streamed chat through Together's OpenAI-style `/v1/chat/completions`.

Together sends the token usage in the last chunk of every stream (no `stream_options` needed, and
the SDK has none), next to the `finish_reason`. It says `eos` where OpenAI says `stop`; tuner
shows OpenAI's word, so `eos` becomes `stop`.

The generator owns the HTTP stream: closing it (`contextlib.aclosing`) or cancelling the task
that reads it closes the response at once (`async with stream`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from tuner.api.chat import ChatDelta, ChatDone, ChatRequest
from tuner.api.together_service.errors import service_errors

if TYPE_CHECKING:
    from together import AsyncTogether

_FINISH_WORDS = {"eos": "stop"}


async def stream_chat(
    client: AsyncTogether, request: ChatRequest, where: str
) -> AsyncIterator[ChatDelta | ChatDone]:
    """`ChatDelta`s as tokens arrive, then one `ChatDone` with the usage Together sent."""
    parts: list[str] = []
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    model: str | None = None
    with service_errors(where, model=request.model):
        stream = await client.chat.completions.create(
            model=request.model,
            messages=request.api_messages(),  # type: ignore[arg-type]
            stream=True,
            **request.params(),
        )
        async with stream:
            async for chunk in stream:
                model = chunk.model or model
                if chunk.usage is not None:
                    prompt_tokens = chunk.usage.prompt_tokens
                    completion_tokens = chunk.usage.completion_tokens
                for choice in chunk.choices or ():
                    word = choice.finish_reason
                    if word:
                        finish_reason = _FINISH_WORDS.get(word, word)
                    text = choice.delta.content if choice.delta else None
                    if text:
                        parts.append(text)
                        yield ChatDelta(text)
    yield ChatDone("".join(parts), finish_reason, prompt_tokens, completion_tokens, model)
