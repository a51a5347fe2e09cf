"""Streamed chat through Together's OpenAI-style `/v1/chat/completions`.

Together sends the token usage in the last chunk of every stream (no `stream_options` needed, and
the SDK has none), next to the `finish_reason`. It says `eos` where OpenAI says `stop`; tuner
shows OpenAI's word, so `eos` becomes `stop`.

The generator owns the HTTP stream: closing it (`contextlib.aclosing`) or cancelling the task
that reads it closes the response at once (`async with stream`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import TYPE_CHECKING

from tuner.api.chat.request import (
    ChatDelta,
    ChatDone,
    ChatRequest,
    done_from_completion,
    read_chat_stream,
)
from tuner.api.providers.together.errors import service_errors

if TYPE_CHECKING:
    from together import AsyncTogether

_FINISH_WORDS = {"eos": "stop"}


async def stream_chat(
    client: AsyncTogether, request: ChatRequest, where: str
) -> AsyncIterator[ChatDelta | ChatDone]:
    """`ChatDelta`s as tokens arrive, then one `ChatDone` with the usage Together sent."""
    with service_errors(where, model=request.model):
        stream = await client.chat.completions.create(
            model=request.model,
            messages=request.api_messages(),  # type: ignore[arg-type]
            stream=True,
            **request.request_options(),
        )
        # aclosing: a reader that stops early closes the HTTP stream now, not at GC.
        async with aclosing(read_chat_stream(stream, _FINISH_WORDS)) as events:
            async for event in events:
                yield event


async def complete_chat(client: AsyncTogether, request: ChatRequest, where: str) -> ChatDone:
    """The whole reply in one answer (`eos` read as `stop`)."""
    with service_errors(where, model=request.model):
        completion = await client.chat.completions.create(
            model=request.model,
            messages=request.api_messages(),  # type: ignore[arg-type]
            **request.request_options(),
        )
    return done_from_completion(completion, _FINISH_WORDS)
