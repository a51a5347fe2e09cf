"""Follow a fine-tuning job's events: each event exactly once, oldest first, surviving failures.

The service lists events newest first, and `after=<id>` pages toward OLDER events. So each poll
reads from the top and keeps paging down until it meets an event already handed over (or runs out
of pages), then hands over the unseen ones in time order. Because the list only grows at the top,
remembering the newest event handed over is enough to know where to stop; a small window of recent
ids covers events that share a timestamp (the service's order within one second is not promised).

Polling adapts: fast while events arrive, doubling while quiet, capped. Failures that may pass
(429 with Retry-After, 5xx, timeouts, dropped connections) are retried with exponential backoff
and jitter, and reported through the state (`reconnecting`, with the error) so a screen can say so.
The follower stops once the job is terminal and its last events are drained. With a
`CursorStore`, the id of an event is saved once the consumer has taken it and asked for the next
one, so a consumer that dies while showing an event (a closed pipe, a crash) sees that event
again after a restart, and never one twice otherwise (knowing only that id, a restarted follower
treats everything listed below it as seen). A cursor that cannot be saved (a read-only or full
data folder) never stops the following: the `OSError` is handed once to `on_cursor_error`, and
the follower goes on without saving.

It talks to any `FineTuningService` and hands over tuner's own `JobEvent`s.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.jobs.cursors import CursorStore
from tuner.api.retry import RetryPolicy
from tuner.api.types import EventPage, Job, JobEvent

if TYPE_CHECKING:
    from tuner.api.service import FineTuningService

T = TypeVar("T")
log = logging.getLogger(__name__)

# The clock that measures how long the service has been unreachable (tests replace it).
_clock = time.monotonic

# Failures that say nothing answered at all; only these count toward `unreachable_timeout`.
_UNREACHABLE_KINDS = frozenset({ErrorKind.CONNECTION, ErrorKind.TIMEOUT})

_TERMINAL_WORDS = ("succeeded", "failed", "cancelled", "canceled", "completed", "model created")


class FollowState(StrEnum):
    FOLLOWING = "following"
    RECONNECTING = "reconnecting"
    FINISHED = "finished"  # the job is terminal and every event was handed over
    FAILED = "failed"  # the follower gave up (an error retrying cannot fix)


@dataclass(frozen=True)
class FollowStatus:
    """What a UI shows about the follower: state, the error being retried, attempt, wait."""

    state: FollowState
    error: ServiceError | None = None
    attempt: int = 0
    retry_in: float | None = None
    job_status: str | None = None


@dataclass(frozen=True)
class PollPolicy:
    """Poll every `fast` seconds while events arrive, doubling while quiet up to `slow`."""

    fast: float = 1.5
    slow: float = 30.0
    page_size: int = 50
    retry: RetryPolicy = field(
        default_factory=lambda: RetryPolicy(attempts=None, base=1.0, cap=30.0)
    )

    def scaled(self, factor: float) -> PollPolicy:
        """The same policy on a faster clock (tests, the demo emulator)."""
        return replace(
            self, fast=self.fast * factor, slow=self.slow * factor, retry=self.retry.scaled(factor)
        )


def _tried(seconds: float) -> str:
    """`0.2s`, `12s`, `5m 00s`: how long the follower kept trying."""
    from tuner.data.durations import format_duration

    return f"{seconds:.1f}s" if seconds < 10 else format_duration(seconds)


def _looks_terminal(event: JobEvent) -> bool:
    text = event.message.lower()
    return event.level == "error" or any(word in text for word in _TERMINAL_WORDS)


class EventFollower:
    """An async iterator over a job's events, each exactly once, oldest first.

    `resume=True` (with a store) starts after the saved cursor; `resume=False` reads the whole
    history but still saves the cursor. `on_state` is called with a `FollowStatus` on every state
    change. Iterate it once; `job` holds the last job retrieved (the terminal one at the end).
    Non-retryable errors (404, 401, ...) end the iteration with a `ServiceError`.
    `on_cursor_error` hears, once, the `OSError` of a cursor that could not be saved (without
    it the problem is logged); the events keep coming either way.

    `unreachable_timeout` (seconds, None: never) ends the iteration with a `ServiceError` once the
    service has been unreachable (connection failures and timeouts, one after another) for that
    long: a typo in the base URL must not be retried for ever. A 429 or a 5xx is an answer:
    it restarts the count, and only the retry policy limits those.
    """

    _RECENT = 256

    def __init__(
        self,
        service: FineTuningService,
        job_id: str,
        cursor_store: CursorStore | None = None,
        poll: PollPolicy | None = None,
        *,
        resume: bool = True,
        on_state: Callable[[FollowStatus], None] | None = None,
        on_cursor_error: Callable[[OSError], None] | None = None,
        unreachable_timeout: float | None = None,
    ) -> None:
        self._service = service.without_retries()
        self.job_id = job_id
        self._store = cursor_store
        self.poll = poll or PollPolicy()
        self._on_state = on_state
        self._on_cursor_error = on_cursor_error
        self.unreachable_timeout = unreachable_timeout
        self._unreachable_since: float | None = None  # monotonic time of the first failure
        self.status = FollowStatus(FollowState.FOLLOWING)
        self.job: Job | None = None
        self._recent: deque[str] = deque(maxlen=self._RECENT)
        self._recent_set: set[str] = set()
        self._newest_created: int | None = None
        self._started = False
        # A saved cursor is a single id: which of the events sharing its second were shown
        # before is unknown, so everything listed below it counts as seen.
        self._restored: str | None = None
        if cursor_store is not None and resume:
            self._restored = cursor_store.get(job_id)
            if self._restored:
                self._remember(self._restored)

    @property
    def state(self) -> FollowState:
        return self.status.state

    def _set_status(self, status: FollowStatus) -> None:
        self.status = status
        if self._on_state is not None:
            self._on_state(status)

    def _remember(self, event_id: str, created_at: int | None = None) -> None:
        if len(self._recent) == self._recent.maxlen:
            self._recent_set.discard(self._recent[0])
        self._recent.append(event_id)
        self._recent_set.add(event_id)
        if created_at is not None and (
            self._newest_created is None or created_at > self._newest_created
        ):
            self._newest_created = created_at

    # ------------------------------------------------------------------ service calls

    async def _with_retry(self, call: Callable[[], Awaitable[T]]) -> T:
        attempt = 0
        while True:
            try:
                result = await call()
            except ServiceError as error:
                left = self._unreachable_left(error)
                if left is not None and left <= 0:
                    error = self._gave_up(error)
                if not error.retryable or self.poll.retry.gives_up(attempt) or left == 0:
                    self._set_status(FollowStatus(FollowState.FAILED, error, attempt))
                    raise error from None
                delay = self.poll.retry.delay(attempt, error)
                if left is not None:
                    delay = min(delay, left)  # one last try at the deadline, not after it
                attempt += 1
                self._set_status(FollowStatus(FollowState.RECONNECTING, error, attempt, delay))
                await asyncio.sleep(delay)
                continue
            self._unreachable_since = None
            if self.status.state is FollowState.RECONNECTING:
                self._set_status(FollowStatus(FollowState.FOLLOWING))
            return result

    def _unreachable_left(self, error: ServiceError) -> float | None:
        """Seconds left before giving up on an unreachable service (0: give up now), or None
        when `error` is an answer (or there is no timeout)."""
        if error.kind not in _UNREACHABLE_KINDS:
            self._unreachable_since = None
            return None
        now = _clock()
        if self._unreachable_since is None:
            self._unreachable_since = now
        if self.unreachable_timeout is None:
            return None
        return max(0.0, self._unreachable_since + self.unreachable_timeout - now)

    def _gave_up(self, error: ServiceError) -> ServiceError:
        """`error` as the follower's last word: where it was tried, and for how long."""
        tried = _clock() - (self._unreachable_since or _clock())
        where = getattr(self._service, "where", None)
        said = error.message
        if where and where not in said:
            said = f"{where}: {said}"
        return ServiceError(
            error.kind, f"{said}; gave up after {_tried(tried)} of trying", status=error.status
        )

    async def _page(self, after: str | None) -> EventPage:
        return await self._service.list_events(self.job_id, after, self.poll.page_size)

    async def _retrieve(self) -> Job:
        return await self._service.retrieve_job(self.job_id)

    async def _fetch_new(self) -> list[JobEvent]:
        """Every event not yet handed over, oldest first."""
        collected: list[JobEvent] = []
        collected_ids: set[str] = set()
        boundary = self._newest_created
        after: str | None = None
        while True:
            page = await self._with_retry(lambda after=after: self._page(after))
            items = list(page.events)
            reached_old = False
            for event in items:
                if event.id == self._restored:
                    reached_old = True
                    break
                if event.id in self._recent_set:
                    # Met what we handed over: below it only events sharing the newest
                    # second can still be new (the service's order within a second is loose).
                    continue
                if boundary is not None and event.created_at < boundary:
                    reached_old = True
                    break
                if event.id not in collected_ids:
                    collected.append(event)
                    collected_ids.add(event.id)
            if reached_old or not items or not page.has_more:
                break
            after = items[-1].id
        collected.reverse()
        return collected

    def _shown(self, event: JobEvent) -> None:
        """The consumer took `event` and asked for more: it was shown, so save the cursor."""
        if self._store is None:
            return
        try:
            self._store.set(self.job_id, event.id)
        except OSError as error:
            # Showing events matters more than remembering them: stop saving, say so once.
            self._store = None
            if self._on_cursor_error is not None:
                self._on_cursor_error(error)
            else:
                log.warning("cannot save the follow cursor for %s: %s", self.job_id, error)

    # ------------------------------------------------------------------ iteration

    def __aiter__(self) -> AsyncIterator[JobEvent]:
        """Each event, oldest first; the cursor is saved after each (see the module)."""
        self._start()
        return self._events()

    def batches(self) -> AsyncIterator[list[JobEvent]]:
        """The events in the batches they are read in (a finished job's whole history at
        once), for a screen that draws a batch at a time: the cursor is saved once per batch,
        after the consumer asks for the next one."""
        self._start()
        return self._batches()

    def _start(self) -> None:
        if self._started:
            raise RuntimeError("an EventFollower can be iterated only once")
        self._started = True

    async def _events(self) -> AsyncIterator[JobEvent]:
        async for batch in self._read():
            for event in batch:
                self._remember(event.id, event.created_at)
                yield event
                self._shown(event)

    async def _batches(self) -> AsyncIterator[list[JobEvent]]:
        async for batch in self._read():
            for event in batch:
                self._remember(event.id, event.created_at)
            yield batch
            self._shown(batch[-1])

    async def _read(self) -> AsyncIterator[list[JobEvent]]:
        """The unseen events of each read, oldest first (never an empty batch); the consumer
        remembers each batch before this reads again."""
        self._set_status(FollowStatus(FollowState.FOLLOWING))
        interval = self.poll.fast
        check_job = True  # always look at the job once: it may have finished long ago
        while True:
            new = await self._fetch_new()
            if new:
                yield new
                interval = self.poll.fast
                check_job = check_job or any(_looks_terminal(event) for event in new)
            else:
                interval = min(self.poll.slow, interval * 2)
                check_job = True
            if check_job:
                self.job = await self._with_retry(self._retrieve)
                if self.job.finished:
                    last = await self._fetch_new()
                    if last:
                        yield last
                    self._set_status(FollowStatus(FollowState.FINISHED, job_status=self.job.status))
                    return
                check_job = False
            await asyncio.sleep(interval)
