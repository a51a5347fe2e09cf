"""The simulated clock can start at a given instant (frozen pictures, dated catalog checks)."""

from __future__ import annotations

import pytest
from openai import OpenAI

from tuner.emulator import Emulator
from tuner.emulator.clock import SimClock

from .conftest import API_KEY, chat_rows

START = 1_750_000_000.25  # 2025-06-15 15:06:40 UTC


def test_a_clock_starts_where_it_is_told() -> None:
    clock = SimClock(speed=1e-9, start_time=START)
    assert clock.now() == pytest.approx(START, abs=1e-3)
    clock.advance(60)
    assert clock.now() == pytest.approx(START + 60, abs=1e-3)


def test_a_clock_starts_at_the_real_time_by_default() -> None:
    import time

    before = time.time()
    assert before - 1 <= SimClock(speed=1).now() <= time.time() + 1


def test_the_emulator_start_time_dates_everything() -> None:
    with (
        Emulator(speed=1e-9, seed=1, start_time=START) as emu,
        OpenAI(base_url=emu.base_url, api_key=API_KEY, max_retries=0) as client,
    ):
        assert emu.start_time == START
        uploaded = client.files.create(file=("t.jsonl", chat_rows(10)), purpose="fine-tune")
        assert uploaded.created_at == int(START)
        emu.advance(600)
        job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=uploaded.id)
        assert job.created_at == int(START) + 600
        emu.advance(3600)
        done = client.fine_tuning.jobs.retrieve(job.id)
        assert done.status == "succeeded"
        assert done.finished_at is not None and int(START) + 600 < done.finished_at
        assert done.finished_at <= int(START) + 600 + 3600
