"""Streaming chat: deltas then one final item with usage; cancellable; errors mid-stream."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from tests.helpers import open_test_service
from tuner.api.chat.request import ChatDelta, ChatDone, ChatRequest
from tuner.api.errors import ErrorKind, ServiceError
from tuner.emulator import Emulator, Fault

MODEL = "gpt-4o-mini-2024-07-18"


def request(**kwargs) -> ChatRequest:
    return ChatRequest(MODEL, [{"role": "user", "content": "Hello?"}], **kwargs)


def test_request_shape() -> None:
    req = request(system_prompt="Be brief.", temperature=0.2, max_tokens=50)
    assert req.api_messages() == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hello?"},
    ]
    assert req.params() == {"temperature": 0.2, "max_tokens": 50}


async def test_streams_deltas_then_usage(service) -> None:
    items = [
        item
        async for item in service.stream_chat(
            request(system_prompt="Be brief.", temperature=0.5, presence_penalty=0.1)
        )
    ]
    deltas = [i for i in items if isinstance(i, ChatDelta)]
    done = items[-1]
    assert len(deltas) > 1
    assert isinstance(done, ChatDone)
    assert [i for i in items if isinstance(i, ChatDone)] == [done]
    assert done.text == "".join(d.text for d in deltas)
    assert done.finish_reason in ("stop", "length")
    assert done.prompt_tokens and done.completion_tokens
    assert done.model == MODEL


async def test_unknown_model_is_named_as_retired_or_unknown(service) -> None:
    with pytest.raises(ServiceError) as caught:
        [
            i
            async for i in service.stream_chat(
                ChatRequest("ft:nope:x:y:z", [{"role": "user", "content": "hi"}])
            )
        ]
    assert caught.value.kind is ErrorKind.MODEL_UNAVAILABLE and not caught.value.retryable
    assert caught.value.message.startswith("ft:nope:x:y:z is a retired or unknown model: ")


async def test_dropped_stream_raises_dropped_after_partial_text(
    service, service_env: Emulator
) -> None:
    service_env.faults.add(Fault(path_pattern=r"/chat/completions", drop_connection=True))
    partial: list[str] = []
    with pytest.raises(ServiceError) as caught:
        async for item in service.without_retries().stream_chat(request()):
            if isinstance(item, ChatDelta):
                partial.append(item.text)
    # The service answered and then the connection was lost: dropped, not "unreachable".
    assert caught.value.kind is ErrorKind.DROPPED
    assert caught.value.retryable and partial


async def test_cancelling_the_consumer_stops_promptly_and_keeps_partial_text() -> None:
    # A slow emulator: each chunk takes about 60 ms, so the whole reply takes several hundred.
    with Emulator(speed=0.5, api_key="test-key") as slow:
        service = open_test_service(slow)
        try:
            partial: list[str] = []
            first = asyncio.Event()

            async def consume() -> None:
                async for item in service.stream_chat(request()):
                    if isinstance(item, ChatDelta):
                        partial.append(item.text)
                        first.set()

            task = asyncio.create_task(consume())
            await asyncio.wait_for(first.wait(), 5)
            started = time.monotonic()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            assert time.monotonic() - started < 0.1
            assert partial and task.cancelled()

            # Closing early via aclosing works the same way, and the client stays usable.
            async with contextlib.aclosing(service.stream_chat(request())) as stream:
                async for item in stream:
                    assert isinstance(item, ChatDelta)
                    break
            assert len(slow.faults) == 0
        finally:
            await service.close()
