"""Timestamps in the forms Together's API uses, from the emulator's simulated clock.

Jobs, events and checkpoints carry ISO-8601 strings with milliseconds and a `Z`; files carry
unix seconds; event messages quote times as `Thu Apr  3 03:19:46 UTC 2025`.
"""

from __future__ import annotations

from datetime import UTC, datetime


def iso(unix: float) -> str:
    """`2025-04-03T03:19:46.123Z`."""
    moment = datetime.fromtimestamp(unix, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def ctime(unix: float) -> str:
    """`Thu Apr  3 03:19:46 UTC 2025`, as the service's event messages quote times."""
    moment = datetime.fromtimestamp(unix, UTC)
    return moment.strftime("%a %b ") + f"{moment.day:2d}" + moment.strftime(" %H:%M:%S UTC %Y")
