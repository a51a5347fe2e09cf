"""`rpm` and `latency`: 429 with Retry-After past the limit, per key and model, on a clock the
test moves by hand (never on how fast the machine is); replies that take their latency."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx2
import openai
import pytest
from openai import OpenAI

from tuner.emulator import Emulator
from tuner.emulator.rate_limit import RateLimiter

from .conftest import API_KEY

ASK = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


class HandClock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def limited() -> Iterator[tuple[Emulator, HandClock]]:
    clock = HandClock()
    with Emulator(speed=1000, seed=5, rpm=3) as emu:
        assert emu.rate_limiter is not None
        emu.rate_limiter.clock = clock
        yield emu, clock


def _post(emu: Emulator, path: str, body: dict[str, object], key: str = API_KEY) -> httpx2.Response:
    return httpx2.post(
        f"{emu.azure_endpoint}{path}", json=body, headers={"Authorization": f"Bearer {key}"}
    )


def test_a_burst_past_the_limit_gets_429s_with_retry_after(
    limited: tuple[Emulator, HandClock],
) -> None:
    emu, clock = limited
    answers = [_post(emu, "/v1/chat/completions", ASK) for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    refused = answers[-1]
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"
    assert refused.json()["error"]["type"] == "requests"
    wait = int(refused.headers["Retry-After"])
    assert wait == 60 and float(refused.headers["retry-after-ms"]) == 60_000
    # Another model, or another key, has its own allowance.
    other_model = {**ASK, "model": "gpt-4.1"}
    assert _post(emu, "/v1/chat/completions", other_model).status_code == 200
    with Emulator(speed=1000, api_key=None, rpm=1) as open_emu:
        assert _post(open_emu, "/v1/chat/completions", ASK, key="key-a").status_code == 200
        assert _post(open_emu, "/v1/chat/completions", ASK, key="key-b").status_code == 200
        assert _post(open_emu, "/v1/chat/completions", ASK, key="key-a").status_code == 429
    # The SDK sees its own RateLimitError, with the header it retries by.
    with OpenAI(base_url=emu.base_url, api_key=API_KEY, max_retries=0) as sdk:
        with pytest.raises(openai.RateLimitError) as caught:
            sdk.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
        assert caught.value.response.headers["retry-after"] == "60"
    # Once the Retry-After has passed, the next request goes through.
    clock.now += wait - 1
    assert _post(emu, "/v1/chat/completions", ASK).status_code == 429
    clock.now += 1
    assert _post(emu, "/v1/chat/completions", ASK).status_code == 200


def test_embeddings_and_together_are_limited_too(limited: tuple[Emulator, HandClock]) -> None:
    emu, clock = limited
    embed = {"model": "text-embedding-3-small", "input": "hi"}
    codes = [_post(emu, "/v1/embeddings", embed).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    chat = {**ASK, "model": "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"}
    answers = [_post(emu, "/together/v1/chat/completions", chat) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].headers["Retry-After"] == "60"
    assert answers[-1].json()["error"]["message"]
    clock.now += 60
    assert _post(emu, "/together/v1/chat/completions", chat).status_code == 200


def test_the_window_slides() -> None:
    clock = HandClock()
    limiter = RateLimiter(2, clock=clock)
    assert limiter.admit("k") is None
    clock.now += 30
    assert limiter.admit("k") is None
    assert limiter.admit("k") == pytest.approx(30.0)
    clock.now += 30  # the first request has left the window, the second has not
    assert limiter.admit("k") is None
    assert limiter.admit("k") == pytest.approx(30.0)
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_latency_delays_each_reply() -> None:
    with Emulator(speed=1000, latency=0.3) as emu:
        started = time.monotonic()
        assert _post(emu, "/v1/chat/completions", ASK).status_code == 200
        assert time.monotonic() - started >= 0.3  # at least; a busy machine only adds to it
        started = time.monotonic()
        embed = {"model": "BAAI/bge-base-en-v1.5", "input": "hi"}
        assert _post(emu, "/together/v1/embeddings", embed).status_code == 200
        assert time.monotonic() - started >= 0.3
