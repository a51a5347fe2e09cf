"""Durations, relative times and counts as the jobs screens print them."""

from __future__ import annotations

import pytest

from tuner.data.durations import format_ago, format_count, format_duration, format_until


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (-5, "0s"),
        (42, "42s"),
        (192, "3m 12s"),
        (3720, "1h 02m"),
        (2 * 86400 + 3 * 3600, "2d 03h"),
    ],
)
def test_format_duration(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text


def test_format_ago_and_until() -> None:
    now = 1_000_000.0
    assert format_ago(now - 10, now) == "just now"
    assert format_ago(now - 300, now) == "5m ago"
    assert format_ago(now - 3 * 3600, now) == "3h ago"
    assert format_ago(now - 2 * 86400, now) == "2d ago"
    assert format_ago(None, now) == "—"
    assert format_until(now + 192, now) == "in 3m 12s"
    assert format_until(now - 1, now) == "any moment"


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "—"), (980, "980"), (12_345, "12.3k"), (4_560_000, "4.56M"), (1_200_000_000, "1.20B")],
)
def test_format_count(value: int | None, text: str) -> None:
    assert format_count(value) == text
