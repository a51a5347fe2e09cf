"""Count the tokens of very long texts in parts, exactly, and stop once the count no longer matters.

tiktoken returns a list of every token: a 100 MB string becomes a list of tens of millions of
ints (gigabytes) just to be counted, and its split pattern turns a long run with no spaces into
one huge piece whose BPE takes minutes. Two facts make long texts cheap:

- Exact parts. A tokenizer first cuts text into pieces with its split pattern, and BPE never
  merges across pieces, so texts cut where a piece starts count the same in parts as whole. For
  every split pattern tuner knows (r50k, p50k, cl100k, o200k) a piece starts at a single space
  between a non-space and a letter (" word"), and where an ASCII letter meets an ASCII digit
  (letters and digits never share a piece).
- A floor. A token covers at most `max_token_bytes` bytes (128 for cl100k and o200k), so a text
  of N characters has at least N / 128 tokens. Once that floor passes the example's limit,
  the exact count no longer matters: training cuts the example there anyway.

`count_within` uses both: exact up to a budget, then a lower bound past it, in bounded time and
memory whatever the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

# Texts longer than this are encoded in segments of about this size.
SEGMENT_CHARS = 1 << 20
# A segment with no exact cut is never encoded past this length: 65,536 tokens (the usual
# per-example limit) x 128 bytes per token at most. Longer, it is counted by the floor.
MAX_PIECE_CHARS = 65_536 * 128

_DIGITS = re.compile(r"[0-9]+")
_EDGE_WINDOWS = (4096, 1 << 16)


def split_at_piece_starts(text: str, size: int = SEGMENT_CHARS) -> Iterator[str]:
    """`text` cut into segments of about `size` characters whose token counts add up exactly.

    Each cut is made where a piece of the split pattern starts (see the module docstring).
    Where no such place exists, a segment runs on until one does (a text with no spaces and no
    letter next to a digit stays whole).
    """
    start, n = 0, len(text)
    while n - start > size:
        cut = piece_start_before(text, start + 1, start + size)
        if cut < 0:
            cut = piece_start_after(text, start + size, n)
        if cut < 0:
            break
        yield text[start:cut]
        start = cut
    yield text[start:]


def count_within(
    encode: Callable[[str], list[int]], text: str, budget: int, max_token_bytes: int
) -> tuple[int, bool]:
    """The tokens of `text`, exact while they are at most `budget`; and whether the figure is
    only a lower bound (it then exceeds `budget`, or the text holds a run too long to encode).

    Memory stays at one segment's tokens; time is bounded by the budget, not by the text.
    """
    total, start, size = 0, 0, len(text)
    while start < size:
        sure_over = max(budget - total, 0) * max_token_bytes  # a longer segment exceeds it
        end = _segment_end(text, start, min(sure_over + 1, MAX_PIECE_CHARS))
        length = (end if end >= 0 else size) - start
        if end < 0 or length > sure_over:
            return total + _floor(size - start, max_token_bytes), True
        total += len(encode(text[start:end]))
        if total > budget:
            return total, True
        start = end
    return total, False


def _segment_end(text: str, start: int, reach: int) -> int:
    """Where the segment from `start` ends: the text's end, or an exact cut about
    `SEGMENT_CHARS` on, or failing that the first cut within `reach` characters; -1 if none."""
    size = len(text)
    if size - start <= SEGMENT_CHARS:
        return size
    cut = piece_start_before(text, start + 1, start + SEGMENT_CHARS)
    if cut >= 0:
        return cut
    limit = start + reach
    cut = piece_start_after(text, start + SEGMENT_CHARS, min(limit, size))
    if cut >= 0:
        return cut
    return size if limit >= size else -1


def _floor(chars: int, max_token_bytes: int) -> int:
    """The fewest tokens `chars` characters can be (each is at least one byte)."""
    return -(-chars // max_token_bytes)


def _is_space_cut(text: str, i: int) -> bool:
    return 0 < i < len(text) - 1 and not text[i - 1].isspace() and text[i + 1].isalpha()


def piece_start_before(text: str, lo: int, hi: int) -> int:
    """The last exact cut in [lo, hi), or -1."""
    i = text.rfind(" ", lo, hi)
    while i >= 0 and not _is_space_cut(text, i):
        i = text.rfind(" ", lo, i)
    if i >= 0:
        return i
    for window in (*_EDGE_WINDOWS, hi - lo):
        edges = list(_alnum_edges(text, max(lo, hi - window), hi))
        if edges:
            return edges[-1]
    return -1


def piece_start_after(text: str, lo: int, hi: int) -> int:
    """The first exact cut in [lo, hi), or -1."""
    i = text.find(" ", lo, hi)
    while i >= 0 and not _is_space_cut(text, i):
        i = text.find(" ", i + 1, hi)
    edge = next(_alnum_edges(text, lo, i if i >= 0 else hi), -1)
    return edge if edge >= 0 else i


def _alnum_edges(text: str, lo: int, hi: int) -> Iterator[int]:
    """Offsets in [lo, hi) where an ASCII letter meets an ASCII digit, in order."""
    for run in _DIGITS.finditer(text, lo, hi):
        first, end = run.span()
        if first > 0 and _is_ascii_letter(text[first - 1]):
            yield first
        if end < hi and _is_ascii_letter(text[end]):
            yield end


def _is_ascii_letter(char: str) -> bool:
    return "a" <= char <= "z" or "A" <= char <= "Z"
