"""Tuner's event paging (newest first, `after` = an event id) over Together's event list.

Together answers `GET /fine-tunes/{id}/events` with every event of the job at once, oldest first,
and its events have no ids. The follower (`tuner.api.jobs.follower`) needs ids that never change and
a newest-first listing that pages toward older events with `after`. A job's event list only ever
grows at its end (the service appends; it does not edit or drop what it logged), so an event's
position in the oldest-first list is stable: event number `i` of job `J` is `J:i`, the same on every
read, after a restart of the app too (the follower's saved cursor stays valid).

`after=J:i` means "the events older than number i", whatever has been appended since: paging on
while new events arrive neither repeats nor skips one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.providers.together.convert import event_from_sdk
from tuner.api.types import EventPage


def event_id(job_id: str, index: int) -> str:
    """The id of event number `index` (0-based, oldest first) of `job_id`."""
    return f"{job_id}:{index}"


def index_of(job_id: str, event: str) -> int:
    """The position that `event` (an id made by `event_id` for this job) names."""
    prefix, _, number = event.rpartition(":")
    if prefix == job_id and number.isdigit():
        return int(number)
    raise ServiceError(ErrorKind.INVALID_REQUEST, f"{event!r} is not an event id of job {job_id}")


def events_page(
    job_id: str, oldest_first: Sequence[Any], after: str | None, limit: int
) -> EventPage:
    """One page of `oldest_first` (Together's list, SDK events) newest first, as tuner pages:
    at most `limit` events older than `after` (from the newest when None)."""
    end = len(oldest_first) if after is None else min(index_of(job_id, after), len(oldest_first))
    start = max(0, end - max(1, limit))
    chosen = tuple(
        event_from_sdk(oldest_first[index], event_id(job_id, index))
        for index in range(end - 1, start - 1, -1)
    )
    return EventPage(chosen, has_more=start > 0)
