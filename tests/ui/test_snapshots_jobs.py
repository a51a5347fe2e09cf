"""Snapshots of the jobs screens at 80x24 (and one at 120x40): form, list, job running, finished.

Determinism: the emulator's ids, job seeds and metrics come from its `seed`; its clock is frozen
at a fixed instant (speed ~0, start pinned) and moved only by `advance`, so every timestamp is
the same on each run. The app's "now" (`Services.clock`) is pinned to the same clock and times
of day are printed in UTC. The job runs on the real emulator over HTTP, as in use.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import TabbedContent

from tests.helpers import (
    TEST_KEY,
    chat_example,
    open_test_service,
    settle,
    start_job,
    wait_until,
)
from tests.ui.test_jobs_screens import jobs_app
from tuner.api.jobs.follower import FollowState
from tuner.api.types import JobStatus
from tuner.emulator import Emulator
from tuner.ui.screens.job import JobScreen
from tuner.ui.screens.jobs import JobsScreen
from tuner.ui.screens.new_job import NewJobScreen

START = 1_750_000_000.25  # 2025-06-15 15:06:40 UTC


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def frozen() -> Iterator[Emulator]:
    # Pinned start: timestamps are equal on every run.
    with Emulator(speed=1e-9, api_key=TEST_KEY, seed=7, start_time=START) as emulator:
        yield emulator


def data(tmp_path: Path) -> tuple[Path, Path]:
    train = tmp_path / "train.jsonl"
    train.write_text(
        "".join(json.dumps(chat_example(i, system=False)) + "\n" for i in range(20)), "utf-8"
    )
    valid = tmp_path / "valid.jsonl"
    valid.write_text(
        "".join(json.dumps(chat_example(i, system=False)) + "\n" for i in range(50, 60)), "utf-8"
    )
    return train, valid


def app_for(tmp_path: Path, emulator: Emulator) -> Any:
    return jobs_app(tmp_path, emulator, clock=emulator.clock.now, poll_scale=1.0)


async def valid_job(emulator: Emulator, tmp_path: Path) -> str:
    from tuner.api.jobs.spec import JobSpec

    train, valid = data(tmp_path)
    service = open_test_service(emulator)
    try:
        train_id = (await service.upload_file(train)).id
        valid_id = (await service.upload_file(valid)).id
        spec = JobSpec("gpt-4o-mini-2024-07-18", train_id, valid_id, suffix="adder")
        return (await service.create_job(spec)).id
    finally:
        await service.close()


async def open_job_at(pilot: Any, emulator: Emulator, job_id: str, *, done: bool) -> JobScreen:
    app = pilot.app
    app.open_job(job_id)
    await wait_until(pilot, lambda: isinstance(app.screen, JobScreen))
    screen = app.screen
    count = len(emulator.server_events(job_id))

    def ready() -> bool:
        states = screen.follow_states
        followed = bool(states) and (states[-1] is FollowState.FINISHED) == done
        details = screen.job is not None and (len(screen.checkpoints) > 0 or not done)
        log = screen.log_view
        # Written lines scroll to the end after a refresh: wait for it, not for a fixed time.
        scrolled = log.is_vertical_scroll_end
        return len(log.events) == count and followed and details and scrolled

    await wait_until(pilot, ready)
    if done:
        await wait_until(pilot, lambda: screen.chart.series.source == "result file")
        await settle(pilot)  # the follower has stopped: nothing more will be drawn
    return screen


async def chart_shown(pilot: Any, screen: JobScreen) -> None:
    """Press `2` and wait until the chart's tab is the one shown, sized to its pane."""
    await pilot.press("2")
    tabs = screen.query_one("#job-tabs", TabbedContent)
    await wait_until(pilot, lambda: tabs.active == "chart" and screen.chart.size.width > 0)


def test_new_job_form(snap_compare, tmp_path: Path, frozen: Emulator) -> None:
    train, _ = data(tmp_path)

    async def run_before(pilot: Any) -> None:
        file_id = await valid_job(frozen, tmp_path)  # gives the profile uploaded files
        del file_id
        pilot.app.open_new_job(path=train, file_id=next(iter(frozen.state.files)))
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, NewJobScreen))
        form = pilot.app.screen
        await wait_until(pilot, lambda: "examples" in str(form.query_one("#estimate").render()))
        await settle(pilot)  # the uploaded files listed, the estimate made

    assert snap_compare(app_for(tmp_path, frozen), terminal_size=(80, 24), run_before=run_before)


def test_jobs_list(snap_compare, tmp_path: Path, frozen: Emulator) -> None:
    async def run_before(pilot: Any) -> None:
        first = await valid_job(frozen, tmp_path)
        small = tmp_path / "small.jsonl"
        small.write_text(
            "".join(json.dumps(chat_example(i, system=False)) + "\n" for i in range(3)), "utf-8"
        )
        frozen.advance(600)
        await start_job(frozen, small)
        await valid_job(frozen, tmp_path)
        frozen.advance(30)
        await pilot.press("j")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, JobsScreen))
        screen = pilot.app.screen
        await wait_until(pilot, lambda: screen.table.row_count == 3)
        assert screen.jobs.jobs[first].status is JobStatus.SUCCEEDED
        await settle(pilot)  # the list's read is handled

    assert snap_compare(app_for(tmp_path, frozen), terminal_size=(80, 24), run_before=run_before)


def test_job_running(snap_compare, tmp_path: Path, frozen: Emulator) -> None:
    async def run_before(pilot: Any) -> None:
        job_id = await valid_job(frozen, tmp_path)
        frozen.advance(40)  # mid-training
        screen = await open_job_at(pilot, frozen, job_id, done=False)
        assert screen.job is not None and screen.job.status is JobStatus.RUNNING

    assert snap_compare(app_for(tmp_path, frozen), terminal_size=(80, 24), run_before=run_before)


def test_job_running_chart(snap_compare, tmp_path: Path, frozen: Emulator) -> None:
    async def run_before(pilot: Any) -> None:
        job_id = await valid_job(frozen, tmp_path)
        frozen.advance(40)
        screen = await open_job_at(pilot, frozen, job_id, done=False)
        assert len(screen.chart.series) > 5
        await chart_shown(pilot, screen)

    assert snap_compare(app_for(tmp_path, frozen), terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_job_finished(
    snap_compare, tmp_path: Path, frozen: Emulator, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Any) -> None:
        job_id = await valid_job(frozen, tmp_path)
        frozen.advance(3600)
        screen = await open_job_at(pilot, frozen, job_id, done=True)
        assert screen.job is not None and screen.job.status is JobStatus.SUCCEEDED
        await chart_shown(pilot, screen)

    assert snap_compare(app_for(tmp_path, frozen), terminal_size=size, run_before=run_before)


def together_app(tmp_path: Path, emulator: Emulator) -> Any:
    from tuner.config import Connection, Secret
    from tuner.ui.app import make_app
    from tuner.ui.services import MemorySettingsStore, Services
    from tuner.ui.session import ActiveConnection

    connection = Connection(
        kind="together",
        base_url=emulator.together_base_url,
        api_key=Secret(TEST_KEY),
        profile_name="tg",
    )
    services = Services(
        settings_store=MemorySettingsStore(), clock=emulator.clock.now, poll_scale=1.0
    )
    return make_app(tmp_path, services=services, connection=ActiveConnection("tg", connection))


def test_together_jobs_list(snap_compare, tmp_path: Path, frozen: Emulator) -> None:
    """At 80 columns Together's long model names are told apart by their size, never cut inside
    a word (`Llama-3.1-8B`, not `Meta-Llama-3.1-8`)."""
    from tests.helpers import open_together_service
    from tuner.api.jobs.spec import JobSpec

    async def run_before(pilot: Any) -> None:
        train, _ = data(tmp_path)
        service = open_together_service(frozen)
        try:
            file_id = (await service.upload_file(train)).id
            for base in (
                "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference",
                "meta-llama/Meta-Llama-3.1-70B-Instruct-Reference",
                "mistralai/Mistral-7B-Instruct-v0.2",
            ):
                await service.create_job(JobSpec(base, file_id, suffix="shop"))
                frozen.advance(60)
        finally:
            await service.close()
        await pilot.press("j")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, JobsScreen))
        screen = pilot.app.screen
        await wait_until(pilot, lambda: screen.table.row_count == 3)
        await settle(pilot)  # the list's read is handled

    assert snap_compare(
        together_app(tmp_path, frozen), terminal_size=(80, 24), run_before=run_before
    )
