"""Counting long texts in exact parts, and stopping once the count is past its budget."""

from __future__ import annotations

import random
import string

import pytest

from tuner.data.tokens import segments as token_segments
from tuner.data.tokens.encodings import load_encoding, max_token_bytes
from tuner.data.tokens.segments import count_within, split_at_piece_starts

ALPHABETS = {
    "base64": string.ascii_letters + string.digits + "+/",
    "hex": "0123456789abcdef",
    "words and numbers": "ab1 ",
    "long runs": "a" * 30 + "7",
}


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base"])
@pytest.mark.parametrize("alphabet", ALPHABETS.values(), ids=ALPHABETS.keys())
def test_texts_without_spaces_are_cut_where_letters_meet_digits(name: str, alphabet: str) -> None:
    enc = load_encoding(name)
    text = "".join(random.Random(7).choices(alphabet, k=60_000))
    parts = list(split_at_piece_starts(text, size=997))
    assert "".join(parts) == text and len(parts) > 20
    exact = len(enc.encode_ordinary(text))
    assert sum(len(enc.encode_ordinary(p)) for p in parts) == exact


@pytest.mark.parametrize("alphabet", ALPHABETS.values(), ids=ALPHABETS.keys())
def test_count_within_is_exact_under_its_budget(
    alphabet: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(token_segments, "SEGMENT_CHARS", 1000)
    enc = load_encoding("o200k_base")
    text = "".join(random.Random(3).choices(alphabet, k=50_000))
    exact = len(enc.encode_ordinary(text))
    assert count_within(enc.encode_ordinary, text, exact, 128) == (exact, False)
    over, lower_bound = count_within(enc.encode_ordinary, text, exact // 10, 128)
    assert lower_bound and exact // 10 < over <= exact


def test_a_run_with_no_cut_is_bounded_by_its_length(monkeypatch: pytest.MonkeyPatch) -> None:
    """No tokenizer work at all for a run that is surely over the budget."""
    monkeypatch.setattr(token_segments, "SEGMENT_CHARS", 1000)
    calls: list[int] = []

    def encode(text: str) -> list[int]:
        calls.append(len(text))
        return [0] * len(text)

    text = "x" * 1_000_000  # one piece: no space, no digit
    n, lower_bound = count_within(encode, text, budget=100, max_token_bytes=128)
    assert lower_bound and n == 1_000_000 // 128 + 1 and calls == []


def test_max_token_bytes_is_the_longest_token() -> None:
    enc = load_encoding("o200k_base")
    assert max_token_bytes(enc) == 128
