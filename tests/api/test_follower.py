"""The event follower: exactly once, oldest first, through faults and restarts."""

from __future__ import annotations

import asyncio
import errno
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import start_job
from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.jobs.cursors import CursorStore
from tuner.api.jobs.follower import EventFollower, FollowState, FollowStatus, PollPolicy
from tuner.api.retry import RetryPolicy
from tuner.api.types import EventPage, Job, JobEvent, JobStatus
from tuner.emulator import Emulator, Fault

from .conftest import FAST_POLL

MODEL = "gpt-4o-mini-2024-07-18"


def server_ids(emu: Emulator, job_id: str) -> list[str]:
    return [event["id"] for event in emu.server_events(job_id)]


async def test_follows_a_job_to_success(service, service_env: Emulator, train_file: Path) -> None:
    job_id = await start_job(service_env, train_file)
    states: list[FollowStatus] = []
    follower = EventFollower(service, job_id, poll=FAST_POLL, on_state=states.append)
    events = [event async for event in follower]
    assert [e.id for e in events] == server_ids(service_env, job_id)
    assert [e.created_at for e in events] == sorted(e.created_at for e in events)
    assert follower.state is FollowState.FINISHED
    assert follower.job is not None and follower.job.status is JobStatus.SUCCEEDED
    assert states[-1] == FollowStatus(FollowState.FINISHED, job_status="succeeded")
    points = [e.metrics for e in events if e.metrics is not None]
    assert points and points[-1].step == points[-1].total_steps
    assert all(p.train_loss is not None for p in points)


async def test_survives_faults_while_running(
    service, service_env: Emulator, train_file: Path
) -> None:
    job_id = await start_job(service_env, train_file)
    states: list[FollowState] = []
    errors: list[ErrorKind] = []

    def on_state(status: FollowStatus) -> None:
        states.append(status.state)
        if status.error is not None:
            errors.append(status.error.kind)

    # Small pages force several requests per poll, so faults can land between pages.
    poll = replace(FAST_POLL, page_size=7)
    follower = EventFollower(service, job_id, poll=poll, on_state=on_state)
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
    assert {ErrorKind.RATE_LIMITED, ErrorKind.SERVER, ErrorKind.DROPPED} <= set(errors)
    assert len(service_env.faults) == 0


async def test_restart_from_saved_cursor(service, service_env: Emulator, train_file: Path) -> None:
    job_id = await start_job(service_env, train_file)
    store = CursorStore()
    first: list[str] = []
    async for event in EventFollower(service, job_id, store, FAST_POLL):
        first.append(event.id)
        if len(first) == 9:
            break  # the 9th was taken but not finished with: only 8 count as shown
    assert store.get(job_id) == first[-2]
    assert store.path.parent == Path(__import__("os").environ["TUNER_DATA_DIR"])

    # A new process: a fresh store object reading the same file, starting again at the 9th.
    second = [e.id async for e in EventFollower(service, job_id, CursorStore(), FAST_POLL)]
    assert first[:-1] + second == server_ids(service_env, job_id)

    # Without resume the whole history comes again (and the cursor still moves).
    again = [
        e.id async for e in EventFollower(service, job_id, CursorStore(), FAST_POLL, resume=False)
    ]
    assert again == server_ids(service_env, job_id)
    assert CursorStore().get(job_id) == again[-1]


async def test_follower_of_a_finished_job_returns_history(
    service, service_env: Emulator, train_file: Path
) -> None:
    job_id = await start_job(service_env, train_file)
    [e async for e in EventFollower(service, job_id, poll=FAST_POLL)]
    history = [e.id async for e in EventFollower(service, job_id, poll=FAST_POLL)]
    assert history == server_ids(service_env, job_id)


async def test_failed_job_ends_with_its_error(
    service, service_env: Emulator, bad_train_file: Path
) -> None:
    job_id = await start_job(service_env, bad_train_file)
    follower = EventFollower(service, job_id, poll=FAST_POLL)
    events = [e async for e in follower]
    assert [e.id for e in events] == server_ids(service_env, job_id)
    assert follower.job is not None and follower.job.status is JobStatus.FAILED
    assert follower.job.error is not None and "at least 10" in follower.job.error.message
    assert any(e.level == "error" for e in events)


async def test_unknown_job_fails_without_retrying(service) -> None:
    states: list[FollowStatus] = []
    follower = EventFollower(service, "ftjob-missing", poll=FAST_POLL, on_state=states.append)
    with pytest.raises(ServiceError) as caught:
        [e async for e in follower]
    assert caught.value.kind is ErrorKind.NOT_FOUND
    assert follower.state is FollowState.FAILED
    assert all(s.state is not FollowState.RECONNECTING for s in states)


async def test_gives_up_after_the_allowed_attempts(service, service_env: Emulator) -> None:
    service_env.faults.add(Fault(path_pattern=r"/events", status=500, times=10))
    poll = replace(FAST_POLL, retry=RetryPolicy(attempts=3, base=0.001, cap=0.002))
    follower = EventFollower(service, "ftjob-any", poll=poll)
    with pytest.raises(ServiceError) as caught:
        [e async for e in follower]
    assert caught.value.kind is ErrorKind.SERVER
    assert len(service_env.faults) == 1  # 3 of the 10 used


async def test_iterates_once(service) -> None:
    follower = EventFollower(service, "ftjob-x", poll=FAST_POLL)
    follower.__aiter__()
    with pytest.raises(RuntimeError):
        follower.__aiter__()


def test_poll_policy_scaling() -> None:
    policy = PollPolicy().scaled(0.01)
    assert policy.fast == pytest.approx(0.015) and policy.slow == pytest.approx(0.3)
    assert policy.retry.base == pytest.approx(0.01)


# ------------------------------------------------------------------ a scripted service


class ScriptedService:
    """list_events / retrieve_job from a script. Not a stand-in for the emulator: it pins down
    orderings within one second that no real server produces on demand."""

    def __init__(self) -> None:
        self.listing: list[JobEvent] = []  # newest first, as the service would order
        self.status = JobStatus.RUNNING

    def without_retries(self) -> ScriptedService:
        return self

    async def list_events(self, job_id: str, after: str | None = None, limit: int = 50) -> Any:
        items = self.listing
        if after is not None:
            items = items[[e.id for e in items].index(after) + 1 :]
        return EventPage(tuple(items[:limit]), len(items) > limit)

    async def retrieve_job(self, job_id: str) -> Job:
        return Job(job_id, self.status, MODEL, 0)


def event(event_id: str, created_at: int, message: str = "step") -> JobEvent:
    return JobEvent(event_id, created_at, "info", message)


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
    service.status = JobStatus.SUCCEEDED
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
            break  # e1 was shown; e2 was taken but not finished with
    assert store.get("job") == "e1"
    service.listing = [e3, e2, e1]
    service.status = JobStatus.SUCCEEDED
    rest = [e.id async for e in EventFollower(service, "job", store, FAST_POLL)]  # type: ignore[arg-type]
    assert rest == ["e2", "e3"]


async def test_quiet_polls_back_off(monkeypatch: pytest.MonkeyPatch) -> None:
    service = ScriptedService()
    service.listing = [event("e1", 1)]
    sleeps: list[float] = []
    real_sleep = asyncio.sleep

    async def fake_sleep(delay: float) -> None:
        sleeps.append(delay)
        if len(sleeps) == 5:
            service.status = JobStatus.SUCCEEDED
        await real_sleep(0)

    monkeypatch.setattr("tuner.api.jobs.follower.asyncio.sleep", fake_sleep)
    policy = PollPolicy(fast=1.0, slow=8.0)
    ids = [e.id async for e in EventFollower(service, "job", poll=policy)]  # type: ignore[arg-type]
    assert ids == ["e1"]
    assert sleeps == [1.0, 2.0, 4.0, 8.0, 8.0]


class FullDiskStore(CursorStore):
    """A cursor store on a full disk: every write raises ENOSPC. Simulated by this subclass:
    tests run as root, which ignores permission bits, so a read-only folder would be written."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.attempts = 0

    def set(self, job_id: str, event_id: str) -> None:
        self.attempts += 1
        raise OSError(errno.ENOSPC, "No space left on device", str(self.path))


async def test_a_cursor_that_cannot_be_saved_is_reported_once_and_following_goes_on(
    tmp_path: Path,
) -> None:
    service = ScriptedService()
    service.listing = [event(f"e{n}", n) for n in range(5, 0, -1)]
    service.status = JobStatus.SUCCEEDED
    store = FullDiskStore(tmp_path / "cursors.json")
    problems: list[OSError] = []
    follower = EventFollower(
        service,  # type: ignore[arg-type]
        "job",
        store,
        FAST_POLL,
        on_cursor_error=problems.append,
    )
    ids = [e.id async for e in follower]
    assert ids == ["e1", "e2", "e3", "e4", "e5"]
    assert len(problems) == 1 and problems[0].errno == errno.ENOSPC
    assert store.attempts == 1  # no second try per event once the folder is known bad
    assert follower.state is FollowState.FINISHED


class FailingService(ScriptedService):
    """Fails every call with `errors` in turn (the last one for ever), then answers."""

    where = "http://127.0.0.1:9/v1"

    def __init__(self, *errors: ServiceError, failures: int | None = None) -> None:
        super().__init__()
        self.errors = list(errors)
        self.failures = failures  # None: never stops failing
        self.calls = 0

    async def list_events(self, job_id: str, after: str | None = None, limit: int = 50) -> Any:
        self.calls += 1
        if self.failures is None or self.calls <= self.failures:
            raise self.errors[min(self.calls, len(self.errors)) - 1]
        return await super().list_events(job_id, after, limit)


class FakeClock:
    """The follower's clock and sleep, so "five minutes unreachable" takes no time at all."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 1000.0
        real_sleep = asyncio.sleep

        async def sleep(delay: float) -> None:
            self.now += delay
            await real_sleep(0)

        monkeypatch.setattr("tuner.api.jobs.follower.asyncio.sleep", sleep)
        monkeypatch.setattr("tuner.api.jobs.follower._clock", lambda: self.now)


REFUSED = ServiceError(
    ErrorKind.CONNECTION, "Cannot reach http://127.0.0.1:9/v1 (connection refused)"
)


async def test_gives_up_once_unreachable_for_longer_than_the_timeout(monkeypatch) -> None:
    clock = FakeClock(monkeypatch)
    service = FailingService(REFUSED)
    follower = EventFollower(service, "job", poll=PollPolicy(), unreachable_timeout=300)  # type: ignore[arg-type]
    with pytest.raises(ServiceError) as caught:
        [e async for e in follower]
    assert caught.value.kind is ErrorKind.CONNECTION
    assert caught.value.message == (
        "Cannot reach http://127.0.0.1:9/v1 (connection refused); gave up after 5m 00s of trying"
    )
    assert 300 <= clock.now - 1000 < 300 + 1  # the last wait ends at the deadline, not past it
    assert follower.state is FollowState.FAILED


async def test_rate_limits_and_server_errors_do_not_count_as_unreachable(monkeypatch) -> None:
    """A service that answers 429 or 500 is there: only the retry policy limits those."""
    clock = FakeClock(monkeypatch)
    limited = ServiceError(ErrorKind.RATE_LIMITED, "Rate limited (429)", retry_after=60)
    failing = ServiceError(ErrorKind.SERVER, "The service failed (500)")
    service = FailingService(REFUSED, limited, failing, failures=40)
    service.listing = [event("e1", 1)]
    service.status = JobStatus.SUCCEEDED
    follower = EventFollower(service, "job", poll=PollPolicy(), unreachable_timeout=30)  # type: ignore[arg-type]
    assert [e.id async for e in follower] == ["e1"]
    assert clock.now - 1000 > 30 * 10  # far longer than the timeout, and still following
