"""A job's whole event log for a backup, reading from the service only what is not saved yet.

The service lists events newest first and `after=<id>` pages toward older ones (see
`tuner.api.jobs.follower`); the list only grows at the top. A backup keeps the log oldest first, as
JSON objects (`JobEvent.to_json()`), one per line. Refreshing an unfinished job must not read its
thousands of metrics events again each run, and must not lose or repeat one: so reading stops at
the first saved event from a second older than the newest saved one, since everything below it
is saved. The events of that newest second are still looked at, because the service does not
promise an order within one second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tuner.api.service import FineTuningService
    from tuner.api.types import JobEvent


async def all_events(
    service: FineTuningService, job_id: str, known: list[dict[str, Any]], page_size: int
) -> list[dict[str, Any]]:
    """Every event of `job_id`, oldest first: `known` (saved earlier, oldest first) followed by
    the events the service lists that are not among them. With nothing known, every page is
    read. Raises `ServiceError` as the service does."""
    known_ids = {item.get("id") for item in known}
    stamps = [item["created_at"] for item in known if isinstance(item.get("created_at"), int)]
    newest = max(stamps, default=None)
    fresh: list[JobEvent] = []  # newest first, as listed
    after: str | None = None
    while True:
        page = await service.list_events(job_id, after=after, limit=page_size)
        reached = False
        for event in page.events:
            if event.id in known_ids:
                if newest is not None and event.created_at < newest:
                    reached = True
                    break
                continue
            known_ids.add(event.id)
            fresh.append(event)
        last = page.events[-1].id if page.events else None
        # The last check guards against a service that ignores `after` (the same page again).
        if reached or not page.has_more or last is None or last == after:
            break
        after = last
    return [*known, *(event.to_json() for event in reversed(fresh))]
