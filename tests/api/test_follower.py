"""The event follower: exactly once, oldest first, through faults and restarts."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tuner.api.cursors import CursorStore
from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.files import upload_file
from tuner.api.follower import EventFollower, FollowState, FollowStatus, PollPolicy
from tuner.api.jobs import JobSpec, create_job
from tuner.api.metrics import parse_metrics_event
from tuner.api.retry import RetryPolicy
from tuner.emulator import Emulator, Fault

from .conftest import FAST_POLL

MODEL = "gpt-4o-mini-2024-07-18"


async def start_job(client, path: Path) -> str:
    uploaded = await upload_file(client, path)
    return (await create_job(client, JobSpec(MODEL, uploaded.id))).id


def server_ids(emu: Emulator, job_id: str) -> list[str]:
    return [event["id"] for event in emu.server_events(job_id)]


async def test_follows_a_job_to_success(client, service_env: Emulator, train_file: Path) -> None:
    job_id = await start_job(client, train_file)
    states: list[FollowStatus] = []
    follower = EventFollower(client, job_id, poll=FAST_POLL, on_state=states.append)
    events = [event async for event in follower]
    assert [e.id for e in events] == server_ids(service_env, job_id)
    assert [e.created_at for e in events] == sorted(e.created_at for e in events)
    assert follower.state is FollowState.FINISHED
    assert follower.job is not None and follower.job.status == "succeeded"
    assert states[-1] == FollowStatus(FollowState.FINISHED, job_status="succeeded")
    points = [p for e in events if (p := parse_metrics_event(e)) is not None]
    assert points and points[-1].step == points[-1].total_steps
    assert all(p.train_loss is not None for p in points)


async def test_survives_faults_while_running(
    client, service_env: Emulator, train_file: Path
) -> None:
    job_id = await start_job(client, train_file)
    states: list[FollowState] = []
    errors: list[ErrorKind] = []

    def on_state(status: FollowStatus) -> None:
        states.append(status.state)
        if status.error is not None:
            errors.append(status.error.kind)

    # Small pages force several requests per poll, so faults can land between pages.
    poll = replace(FAST_POLL, page_size=7)
    follower = EventFollower(client, job_id, poll=poll, on_state=on_state)
    seen = []
    async for event in follower:
        seen.append(event.id)
        if len(seen) == 5:
            faults = service_env.faults
            faults.add(Fault(path_pattern=r"/events", status=429, retry_after=0.01, times=2))
            faults.add(Fault(path_pattern=r"/events", status=500, times=2))
            faults.add(Fault(path_pattern=r"/events", drop_connection=True, times=2))
            faults.add(Fault(path_pattern=rf"/jobs/{job_id}$", status=503, times=1))
    assert seen == server_ids(service_env, job_id)
    assert len(seen) == len(set(seen))
    assert FollowState.RECONNECTING in states
    assert states[-1] is FollowState.FINISHED
    assert {ErrorKind.RATE_LIMITED, ErrorKind.SERVER, ErrorKind.CONNECTION} <= set(errors)
    assert len(service_env.faults) == 0


async def test_restart_from_saved_cursor(client, service_env: Emulator, train_file: Path) -> None:
    job_id = await start_job(client, train_file)
    store = CursorStore()
    first: list[str] = []
    async for event in EventFollower(client, job_id, store, FAST_POLL):
        first.append(event.id)
        if len(first) == 9:
            break
    assert store.get(job_id) == first[-1]
    assert store.path.parent == Path(__import__("os").environ["TUNER_DATA_DIR"])

    # A new process: a fresh store object reading the same file.
    second = [e.id async for e in EventFollower(client, job_id, CursorStore(), FAST_POLL)]
    assert first + second == server_ids(service_env, job_id)

    # Without resume the whole history comes again (and the cursor still moves).
    again = [
        e.id async for e in EventFollower(client, job_id, CursorStore(), FAST_POLL, resume=False)
    ]
    assert again == server_ids(service_env, job_id)
    assert CursorStore().get(job_id) == again[-1]


async def test_follower_of_a_finished_job_returns_history(
    client, service_env: Emulator, train_file: Path
) -> None:
    job_id = await start_job(client, train_file)
    [e async for e in EventFollower(client, job_id, poll=FAST_POLL)]
    history = [e.id async for e in EventFollower(client, job_id, poll=FAST_POLL)]
    assert history == server_ids(service_env, job_id)


async def test_failed_job_ends_with_its_error(
    client, service_env: Emulator, bad_train_file: Path
) -> None:
    job_id = await start_job(client, bad_train_file)
    follower = EventFollower(client, job_id, poll=FAST_POLL)
    events = [e async for e in follower]
    assert [e.id for e in events] == server_ids(service_env, job_id)
    assert follower.job is not None and follower.job.status == "failed"
    assert follower.job.error is not None and "at least 10" in follower.job.error.message
    assert any(e.level == "error" for e in events)


async def test_unknown_job_fails_without_retrying(client) -> None:
    states: list[FollowStatus] = []
    follower = EventFollower(client, "ftjob-missing", poll=FAST_POLL, on_state=states.append)
    with pytest.raises(ServiceError) as caught:
        [e async for e in follower]
    assert caught.value.kind is ErrorKind.NOT_FOUND
    assert follower.state is FollowState.FAILED
    assert all(s.state is not FollowState.RECONNECTING for s in states)


async def test_gives_up_after_the_allowed_attempts(client, service_env: Emulator) -> None:
    service_env.faults.add(Fault(path_pattern=r"/events", status=500, times=10))
    poll = replace(FAST_POLL, retry=RetryPolicy(attempts=3, base=0.001, cap=0.002))
    follower = EventFollower(client, "ftjob-any", poll=poll)
    with pytest.raises(ServiceError) as caught:
        [e async for e in follower]
    assert caught.value.kind is ErrorKind.SERVER
    assert len(service_env.faults) == 1  # 3 of the 10 used


async def test_iterates_once(client) -> None:
    follower = EventFollower(client, "ftjob-x", poll=FAST_POLL)
    follower.__aiter__()
    with pytest.raises(RuntimeError):
        follower.__aiter__()


def test_poll_policy_scaling() -> None:
    policy = PollPolicy().scaled(0.01)
    assert policy.fast == pytest.approx(0.015) and policy.slow == pytest.approx(0.3)
    assert policy.retry.base == pytest.approx(0.01)


# ------------------------------------------------------------------ a scripted service


class ScriptedService:
    """list_events / retrieve from a script, to pin down ordering corner cases."""

    def __init__(self) -> None:
        self.listing: list[SimpleNamespace] = []  # newest first, as the service would order
        self.status = "running"
        self.fine_tuning = SimpleNamespace(
            jobs=SimpleNamespace(list_events=self.list_events, retrieve=self.retrieve)
        )

    def with_options(self, **_: Any) -> ScriptedService:
        return self

    async def list_events(self, job_id: str, *, limit: int, after: str | None = None) -> Any:
        items = self.listing
        if after is not None:
            items = items[[e.id for e in items].index(after) + 1 :]
        return SimpleNamespace(data=items[:limit], has_more=len(items) > limit)

    async def retrieve(self, job_id: str) -> Any:
        return SimpleNamespace(id=job_id, status=self.status)


def event(event_id: str, created_at: int, message: str = "step") -> SimpleNamespace:
    return SimpleNamespace(id=event_id, created_at=created_at, message=message, level="info")


async def test_new_event_sharing_a_second_but_listed_below_is_not_lost() -> None:
    service = ScriptedService()
    e1, e2, e3 = event("e1", 1), event("e2", 2), event("e3", 2)
    service.listing = [e2, e1]
    follower = EventFollower(service, "job", poll=replace(FAST_POLL, page_size=1))  # type: ignore[arg-type]
    iterator = follower.__aiter__()
    assert [await anext(iterator), await anext(iterator)] == [e1, e2]
    service.listing = [e2, e3, e1]  # same second: the service may order it below e2
    assert await anext(iterator) is e3
    service.listing = [event("e4", 3, "The job has successfully completed"), e2, e3, e1]
    service.status = "succeeded"
    rest = [e.id async for e in iterator]
    assert rest == ["e4"]
    assert follower.state is FollowState.FINISHED


async def test_resume_skips_events_sharing_the_cursors_second(tmp_path: Path) -> None:
    service = ScriptedService()
    e1, e2, e3 = event("e1", 5), event("e2", 5), event("e3", 5)
    service.listing = [e2, e1]
    store = CursorStore(tmp_path / "cursors.json")
    async for handed in EventFollower(service, "job", store, FAST_POLL):  # type: ignore[arg-type]
        if handed is e2:
            break
    assert store.get("job") == "e2"
    service.listing = [e3, e2, e1]
    service.status = "succeeded"
    rest = [e.id async for e in EventFollower(service, "job", store, FAST_POLL)]  # type: ignore[arg-type]
    assert rest == ["e3"]


async def test_quiet_polls_back_off(monkeypatch: pytest.MonkeyPatch) -> None:
    service = ScriptedService()
    service.listing = [event("e1", 1)]
    sleeps: list[float] = []
    real_sleep = asyncio.sleep

    async def fake_sleep(delay: float) -> None:
        sleeps.append(delay)
        if len(sleeps) == 5:
            service.status = "succeeded"
        await real_sleep(0)

    monkeypatch.setattr("tuner.api.follower.asyncio.sleep", fake_sleep)
    policy = PollPolicy(fast=1.0, slow=8.0)
    ids = [e.id async for e in EventFollower(service, "job", poll=policy)]  # type: ignore[arg-type]
    assert ids == ["e1"]
    assert sleeps == [1.0, 2.0, 4.0, 8.0, 8.0]
