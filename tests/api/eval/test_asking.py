"""Asking a model for an evaluation: cached once paid, paced by 429s, retried, or given up on."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import BASE_MODEL, open_test_service
from tuner.api.chat.request import ChatRequest
from tuner.api.errors import ServiceError
from tuner.api.eval.asking import ModelUnusable, ask
from tuner.api.eval.pacing import AdaptiveLimit
from tuner.api.eval.reply_cache import ReplyCache
from tuner.api.retry import RetryPolicy
from tuner.emulator import Emulator, Fault

FAST = RetryPolicy(attempts=3, base=0.001, cap=0.002, jitter=0)
REQUEST = ChatRequest(BASE_MODEL, [{"role": "user", "content": "Kargo ne zaman gelir?"}])


async def _ask(emulator: Emulator, cache: ReplyCache | None, limit: AdaptiveLimit | None = None):
    service = open_test_service(emulator).without_retries()
    try:
        return await ask(
            service,
            REQUEST,
            service_id="openai emulator",
            limit=limit or AdaptiveLimit(2),
            cache=cache,
            policy=FAST,
        )
    finally:
        await service.close()


async def test_a_paid_reply_is_answered_from_the_cache(emulator: Emulator, tmp_path: Path) -> None:
    cache = ReplyCache(tmp_path / "replies.sqlite")
    first = await _ask(emulator, cache)
    assert first.text and not first.cached and first.completion_tokens
    # Every later request to the model would fail: only the cache can answer now.
    emulator.faults.add(Fault(r"/chat/completions", status=500, times=100))
    again = await _ask(emulator, cache)
    assert again.cached and again.text == first.text
    assert again.prompt_tokens == first.prompt_tokens
    cache.close()


async def test_a_429_is_waited_out_and_narrows_the_limit(emulator: Emulator) -> None:
    emulator.faults.add(Fault(r"/chat/completions", status=429, retry_after=0.01, times=2))
    limit = AdaptiveLimit(8)
    answer = await _ask(emulator, None, limit)
    assert answer.text
    assert limit.limit < 8
    assert len(emulator.faults) == 0


async def test_a_server_error_is_retried_then_the_example_fails(emulator: Emulator) -> None:
    emulator.faults.add(Fault(r"/chat/completions", status=502, times=1))
    assert (await _ask(emulator, None)).text
    emulator.faults.add(Fault(r"/chat/completions", status=502, times=3))
    with pytest.raises(ServiceError) as failed:
        await _ask(emulator, None)
    assert failed.value.status == 502


async def test_a_missing_model_stops_asking_it(emulator: Emulator) -> None:
    service = open_test_service(emulator).without_retries()
    try:
        with pytest.raises(ModelUnusable) as unusable:
            await ask(
                service,
                ChatRequest("ft:gpt-4o-mini-2024-07-18:acme:gone:zzz", REQUEST.messages),
                service_id="openai emulator",
                limit=AdaptiveLimit(1),
                cache=None,
                policy=FAST,
            )
    finally:
        await service.close()
    assert "gone" in unusable.value.error.message
