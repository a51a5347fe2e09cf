"""Times and sizes as people read them in a narrow terminal: `3m 12s`, `5m ago`, `12.3k`.

The jobs list and the job screen show many timestamps in few columns. These functions are pure
(the caller passes "now"), so a snapshot test can pass a fixed clock and get the same text on
every run.
"""

from __future__ import annotations

import time


def format_duration(seconds: float | None) -> str:
    """`42s`, `3m 12s`, `1h 02m`, `2d 03h`; `—` for None; negative durations count as 0."""
    if seconds is None:
        return "—"
    total = max(0, int(seconds))
    if total < 60:
        return f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"


def format_ago(timestamp: float | None, now: float) -> str:
    """How long before `now` the unix `timestamp` was: `just now`, `5m ago`, `3h ago`, `2d ago`."""
    if timestamp is None:
        return "—"
    delta = max(0, int(now - timestamp))
    if delta < 60:
        return "just now"
    if delta < 3600:
        return f"{delta // 60}m ago"
    if delta < 86400:
        return f"{delta // 3600}h ago"
    return f"{delta // 86400}d ago"


def format_until(timestamp: float | None, now: float) -> str:
    """How far after `now` the unix `timestamp` is: `in 3m 12s`; `any moment` once passed."""
    if timestamp is None:
        return "—"
    delta = timestamp - now
    if delta <= 0:
        return "any moment"
    return f"in {format_duration(delta)}"


def format_clock(timestamp: float, *, with_date: bool = False) -> str:
    """Local wall-clock time `14:03:07` (with `2025-06-01 ` in front when `with_date`)."""
    shown = time.localtime(timestamp)
    return time.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S", shown)


def format_count(value: int | None) -> str:
    """A count in at most 6 characters: `980`, `12.3k`, `4.56M`, `1.2B`; `—` for None."""
    if value is None:
        return "—"
    number = float(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(number) >= limit:
            scaled = number / limit
            digits = 2 if scaled < 10 else 1 if scaled < 100 else 0
            return f"{scaled:.{digits}f}{suffix}"
    return str(value)


def format_size(n: int) -> str:
    """Bytes for people: `812 B`, `3.4 KB`, `100 MB`, `1.2 GB` (decimal units)."""
    if n < 1000:
        return f"{n} B"
    for unit, scale in (("KB", 1e3), ("MB", 1e6), ("GB", 1e9)):
        if n < scale * 1000 or unit == "GB":
            value = n / scale
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{n} B"  # pragma: no cover - the loop always returns
