"""The emulator's clock: it starts at a given instant (frozen pictures, dated catalog checks),
and at high speed it compresses the work, never dating anything in the future."""

from __future__ import annotations

from pathlib import Path

import pytest
from openai import OpenAI

from tests.helpers import TERMINAL_STATUSES, wait_for
from tuner.emulator import Emulator
from tuner.emulator.clock import SimClock

from .conftest import API_KEY, chat_rows
from .together_helpers import sdk, write_rows

QWEN = "Qwen/Qwen2.5-7B-Instruct"

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


def test_at_high_speed_the_clock_keeps_real_time_and_the_work_goes_faster() -> None:
    import time

    clock = SimClock(speed=500)
    assert clock.work_speed == 500 and clock.work_seconds(60) == pytest.approx(0.12)
    assert clock.now() <= time.time() + 1e-3
    assert SimClock(speed=1e-9).work_speed == 1  # a slowed clock: the work keeps its pace


def test_at_high_speed_nothing_openai_reports_is_dated_in_the_future() -> None:
    """At --speed 500 a whole job runs in a fraction of a second: every time it reports (created,
    finished, each event) is at or before the real now, not minutes ahead of it."""
    import time

    with (
        Emulator(speed=500, seed=1) as emu,
        OpenAI(base_url=emu.base_url, api_key=API_KEY, max_retries=0) as client,
    ):
        uploaded = client.files.create(file=("t.jsonl", chat_rows(10)), purpose="fine-tune")
        job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=uploaded.id)
        # About real time: the clock is left to run (an `advance` would date things ahead).
        wait_for(lambda: client.fine_tuning.jobs.retrieve(job.id).status == "succeeded")
        job = client.fine_tuning.jobs.retrieve(job.id)
        events = client.fine_tuning.jobs.list_events(job.id, limit=100).data
        checkpoints = client.fine_tuning.jobs.checkpoints.list(job.id).data
        now = time.time()
    times = [uploaded.created_at, job.created_at, job.finished_at or 0]
    times += [event.created_at for event in events] + [c.created_at for c in checkpoints]
    assert max(times) <= now  # whole seconds, rounded down: never ahead
    assert job.estimated_finish is None or job.estimated_finish <= now + 1


def test_at_high_speed_nothing_together_reports_is_dated_in_the_future(tmp_path: Path) -> None:
    import time

    with Emulator(speed=500, seed=1) as emu, sdk(emu) as client:
        file_id = client.files.upload(write_rows(tmp_path, "train.jsonl", 20)).id
        created = client.fine_tuning.create(training_file=file_id, model=QWEN)
        # About real time: the clock is left to run (an `advance` would date things ahead).
        wait_for(lambda: client.fine_tuning.retrieve(created.id).status in TERMINAL_STATUSES)
        job = client.fine_tuning.retrieve(created.id)
        events = client.fine_tuning.list_events(created.id).data or []
        now = time.time()
    times = [_unix(job.created_at), _unix(job.updated_at)]
    times += [_unix(event.created_at) for event in events]
    assert str(job.status).lower().endswith("completed")
    assert events and max(times) <= now


def _unix(value: object) -> float:
    from datetime import datetime

    if isinstance(value, int | float):
        return float(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
