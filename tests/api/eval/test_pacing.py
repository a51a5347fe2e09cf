"""The in-flight limit: halves on a 429, pauses for Retry-After, grows back with successes."""

from __future__ import annotations

import asyncio

import pytest

from tuner.api.eval.pacing import AdaptiveLimit


class FakeTime:
    """A clock the test moves: `sleep` advances it instead of waiting (no real time passes)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


async def test_no_more_than_the_limit_in_flight() -> None:
    limit = AdaptiveLimit(3)
    for _ in range(3):
        await limit.acquire()
    waiter = asyncio.create_task(limit.acquire())
    await asyncio.sleep(0)
    assert not waiter.done()
    await limit.release()
    await asyncio.wait_for(waiter, 5)
    assert limit.in_flight == 3


async def test_a_429_halves_the_limit_and_pauses_new_requests() -> None:
    time = FakeTime()
    limit = AdaptiveLimit(8, clock=time.clock, sleep=time.sleep)
    await limit.acquire()
    await limit.release(throttled_for=2.5)
    assert limit.limit == 4
    assert limit.paused_for == pytest.approx(2.5)
    await limit.acquire()
    assert time.slept == [pytest.approx(2.5)]
    assert limit.paused_for == 0


async def test_successes_raise_the_limit_back_to_the_ceiling_only() -> None:
    limit = AdaptiveLimit(4)
    await limit.acquire()
    await limit.release(throttled_for=0)
    await limit.acquire()
    await limit.release(throttled_for=0)
    assert limit.limit == 1
    for _ in range(50):
        await limit.acquire()
        await limit.release()
    assert limit.limit == 4


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        AdaptiveLimit(0)
