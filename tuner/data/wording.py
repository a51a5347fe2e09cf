"""Counts worded the same way on every screen and in every command: `1 event`, `2 events`,
`1,597 lines`.

Each place that wrote its own plural or its own number drifted (`1 events`, `1 of 1 lines`,
`1597 in`); these few functions are the one way to do it. Messages are not made into sentences
by upper-casing their first letter: many start with a model id or a file name, which is shown
exactly as it is (`gpt-3.5-turbo-0125 was retired ...`).
"""

from __future__ import annotations


def number(count: int) -> str:
    """`1,597`: a count with thousands separators, as every count tuner shows is written."""
    return f"{count:,}"


def noun(count: int, singular: str, many: str | None = None) -> str:
    """The noun in the number `count` takes: `line` for 1, `lines` otherwise (`many` for a
    plural that is not the singular plus s: `entry`, `entries`)."""
    if count == 1:
        return singular
    return many if many is not None else f"{singular}s"


def plural(count: int, singular: str, many: str | None = None) -> str:
    """`1 event`, `0 events`, `1,597 events`."""
    return f"{number(count)} {noun(count, singular, many)}"
