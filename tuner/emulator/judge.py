"""The emulator's judge: a model asked to grade a reply against a reference answers with a score
that follows their overlap, so an evaluation's judge grader tells the same story as its
similarity graders, deterministically.

The contract (tuner's judge prompt keeps to it): the last user message holds tagged sections.

- Grading: `<reference>...</reference>` and `<reply>...</reply>` (also `<prompt>`, and an
  optional `<rubric>`, which are read but do not move the score). The verdict is
  `{"score": 1..10, "reason": "..."}`: `score_for(overlap)` maps the wording overlap of reply and
  reference (`similarity.wording_overlap`, 0..100) linearly from `FLOOR` (1) to `CEILING` (10).
- Pairwise: `<reply_a>` and `<reply_b>` (optional `<reference>`). The verdict is
  `{"winner": "A" | "B" | "tie", "reason": "..."}`: with a reference, the reply that overlaps it
  more wins, a tie within `TIE_MARGIN`; without one, a choice by a hash of the two replies' texts.
  Either way the same pair in the other order gets the mirrored verdict, unless the emulator's
  `position_bias` (overlap points given to reply A; without a reference, any bias above 0
  makes A win) is set, so a caller's both-orders rule can be tested.

How the verdict is written (`answers`): as the JSON alone with a `response_format` (the schemas
"judgement" and "preference"), else in prose, "Here is my judgement: {...}", as a model without
structured output would.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from . import similarity
from .recall import message_text

# Overlap (0..100) that scores 1, and the overlap from which a reply scores 10.
FLOOR = 30.0
CEILING = 95.0
# Two replies whose overlaps with the reference differ by at most this much tie.
TIE_MARGIN = 3.0
PROSE_LEAD = "Here is my judgement: "

_SECTION = re.compile(r"<(prompt|reference|reply|reply_a|reply_b|rubric)>(.*?)</\1>", re.DOTALL)


@dataclass(frozen=True)
class Verdict:
    """What the judge decided: `kind` "judgement" or "preference", and the JSON fields."""

    kind: str
    fields: dict[str, Any]


def sections(text: str) -> dict[str, str]:
    """The tagged sections of a judge prompt (the first of each tag), their text stripped."""
    found: dict[str, str] = {}
    for match in _SECTION.finditer(text):
        found.setdefault(match.group(1), match.group(2).strip())
    return found


def score_for(overlap: float) -> int:
    """1..10 for a wording overlap of 0..100: 1 up to `FLOOR`, 10 from `CEILING`, linear between."""
    share = (overlap - FLOOR) / (CEILING - FLOOR)
    return 1 + round(9 * min(1.0, max(0.0, share)))


def verdict_for(messages: list[Any], position_bias: float = 0.0) -> Verdict | None:
    """The judge's verdict if the conversation asks for one (its last user message holds the
    sections), else None: the model answers as it otherwise would."""
    last = next(
        (m for m in reversed(messages) if isinstance(m, dict) and m.get("role") == "user"), None
    )
    if last is None:
        return None
    found = sections(message_text(last.get("content")))
    if "reply_a" in found and "reply_b" in found:
        reference = found.get("reference")
        return _preference(found["reply_a"], found["reply_b"], reference, position_bias)
    if "reply" in found and "reference" in found:
        return _judgement(found["reply"], found["reference"], "rubric" in found)
    return None


def _judgement(reply: str, reference: str, rubric: bool) -> Verdict:
    overlap = similarity.wording_overlap(reply, reference)
    score = score_for(overlap)
    against = "the rubric and the reference" if rubric else "the reference"
    reason = (
        f"Judged against {against}: the reply shares about {overlap:.0f}% of the reference's "
        f"wording, so it scores {score} out of 10."
    )
    return Verdict("judgement", {"score": score, "reason": reason})


def _preference(a: str, b: str, reference: str | None, position_bias: float) -> Verdict:
    if reference is None:
        if position_bias > 0:
            winner = "A"
        else:
            key_a, key_b = _text_key(a), _text_key(b)
            winner = "tie" if key_a == key_b else ("A" if key_a < key_b else "B")
        reason = {
            "A": "Reply A answers the prompt better.",
            "B": "Reply B answers the prompt better.",
            "tie": "Both replies are the same.",
        }[winner]
        return Verdict("preference", {"winner": winner, "reason": reason})
    overlap_a = similarity.wording_overlap(a, reference)
    overlap_b = similarity.wording_overlap(b, reference)
    lead = overlap_a + position_bias - overlap_b
    winner = "tie" if abs(lead) <= TIE_MARGIN else ("A" if lead > 0 else "B")
    reason = (
        f"Reply A shares about {overlap_a:.0f}% of the reference's wording and reply B about "
        f"{overlap_b:.0f}%"
        + (", too close to call." if winner == "tie" else f"; reply {winner} is closer.")
    )
    return Verdict("preference", {"winner": winner, "reason": reason})


def _text_key(text: str) -> str:
    return hashlib.sha256(similarity.normalise(text).encode()).hexdigest()
