"""How alike two texts are, for the emulator's models: one scale, 0 to 100, deterministic.

A fine-tuned model recognises a prompt close to one it was trained on (`prompt_closeness`: word
order and punctuation matter little, as for a paraphrase), and the judge scores a reply by how
much of the reference's wording it shares (`wording_overlap`: character-level, so a reply with
a different name or number in it still counts as close). Both come from rapidfuzz, so no
similarity measure is written by hand here.
"""

from __future__ import annotations

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process


def normalise(text: str) -> str:
    """Case-folded, with runs of whitespace made one space: what a comparison should ignore."""
    return " ".join(text.casefold().split())


def prompt_key(text: str) -> str:
    """A prompt as `prompt_closeness` compares it: lower case, punctuation gone, words kept."""
    return default_process(text)


def prompt_closeness(a: str, b: str) -> float:
    """0..100: how close two prompts are as a bag of words (token-sorted Indel ratio)."""
    return fuzz.token_sort_ratio(a, b, processor=default_process)


def wording_overlap(reply: str, reference: str) -> float:
    """0..100: how much of its wording a reply shares with a reference (Indel ratio of the
    normalised texts). Symmetric, so neither side's position can matter."""
    return fuzz.ratio(normalise(reply), normalise(reference))
