"""The judge's side of the `judge` and `pairwise` graders: what it is asked and how its answer is
read. The runner in `tuner.api` sends these messages and hands the reply text back here.

The contract (the emulator's judge reads the same sections):

- `judge`: the user message holds the prompt, the reference and the reply in sections
  `<prompt>...</prompt>`, `<reference>...</reference>`, `<reply>...</reply>`, and optionally
  `<rubric>...</rubric>`. The judge answers `{"score": integer 1..10, "reason": string}`; where
  the service supports structured output the request carries `judge_response_format()` (a
  strict `json_schema` named "judgement").
- `pairwise`: sections `<prompt>`, `<reference>` (optional), `<reply_a>`, `<reply_b>` (and an
  optional `<rubric>`); the answer is `{"winner": "A" | "B" | "tie", "reason": string}`, schema
  "preference".

Section contents are the texts as they are, with one exception: a closing tag of one of these
sections inside a text (a reply that writes `</reply>`) is written `<\\/reply>`, so no text can
end its section early or forge another.

Answers are read leniently: the first JSON object anywhere in the text that has the expected
key (code fences and chatter around it are fine). A judge that answers with no such object, or
with a score outside 1..10, has failed for that example: its score is None with the reason,
never 0, so a broken judge never reads as a bad model. A rating r in 1..10 scores (r - 1) / 9.

Pairwise position bias: judges tend to prefer the reply they read first (or second). Each pair
is asked twice, the first model's reply as A and then as B (`combine_verdicts`). The first model
wins only when the judge prefers it in both orders, and loses only when it prefers the other in
both; every other combination (the orders disagree, or either says tie) is a tie. A judge that
always picks A therefore yields ties, not wins.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tuner.data.eval.examples import content_text

MIN_RATING = 1
MAX_RATING = 10

_SECTIONS = ("prompt", "reference", "rubric", "reply", "reply_a", "reply_b")
_CLOSING = re.compile("</(" + "|".join(_SECTIONS) + ")>")
_ESCAPED_CLOSING = r"<\\/\1>"

JUDGE_SYSTEM = (
    "You grade the replies of an AI assistant. Compare the reply with the reference answer "
    "(and follow the rubric when one is given). Judge meaning and correctness, not wording: a "
    "reply that says the same as the reference in other words is as good. Rate it from 1 "
    "(wrong, unrelated or empty) to 10 (as good as the reference). Answer with one JSON object "
    'and nothing else: {"score": <integer 1-10>, "reason": "<one sentence>"}.'
)
PAIRWISE_SYSTEM = (
    "You compare two replies of AI assistants to the same prompt. Decide which reply answers "
    "the prompt better (closer to the reference answer when one is given; following the rubric "
    "when one is given). The order in which the replies are shown means nothing. Answer with "
    'one JSON object and nothing else: {"winner": "A" or "B" or "tie", "reason": "<one '
    'sentence>"}.'
)

JUDGEMENT_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "score": {"type": "integer", "description": "1 (wrong) to 10 (as good as the reference)"},
        "reason": {"type": "string"},
    },
    "required": ["score", "reason"],
    "additionalProperties": False,
}
PREFERENCE_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "winner": {"type": "string", "enum": ["A", "B", "tie"]},
        "reason": {"type": "string"},
    },
    "required": ["winner", "reason"],
    "additionalProperties": False,
}


@dataclass(frozen=True, slots=True)
class Judgement:
    """The judge's answer on one reply: `rating` 1..10 and `score` (rating - 1) / 9, or both
    None with `failure` saying why the answer could not be used. `reason` is the judge's own."""

    score: float | None
    rating: int | None
    reason: str
    failure: str | None = None


class Winner(StrEnum):
    A = "A"
    B = "B"
    TIE = "tie"


@dataclass(frozen=True, slots=True)
class Preference:
    """The judge's answer on one ordered pair: `winner`, or None with `failure`."""

    winner: Winner | None
    reason: str
    failure: str | None = None


class PairOutcome(StrEnum):
    """The first model's result on one example against another model, both orders combined."""

    WIN = "win"
    TIE = "tie"
    LOSS = "loss"

    @property
    def score(self) -> float:
        """The pairwise score of the model this outcome belongs to: win 1, tie 0.5, loss 0."""
        return {PairOutcome.WIN: 1.0, PairOutcome.TIE: 0.5, PairOutcome.LOSS: 0.0}[self]

    @property
    def reversed(self) -> PairOutcome:
        """The same example seen from the other model."""
        return {
            PairOutcome.WIN: PairOutcome.LOSS,
            PairOutcome.TIE: PairOutcome.TIE,
            PairOutcome.LOSS: PairOutcome.WIN,
        }[self]


# -- requests ----------------------------------------------------------------------------------


def judge_messages(
    prompt: Sequence[Mapping[str, Any]],
    reference: str | None,
    reply: str,
    rubric: str | None = None,
) -> list[dict[str, str]]:
    """The system and user messages that ask the judge to rate `reply` for `prompt` against
    `reference` (its section is left out when None) and the optional `rubric`."""
    sections = [_section("prompt", render_prompt(prompt))]
    if reference is not None:
        sections.append(_section("reference", reference))
    if rubric:
        sections.append(_section("rubric", rubric))
    sections.append(_section("reply", reply))
    user = (
        "Rate the reply to this prompt.\n\n"
        + "\n\n".join(sections)
        + '\n\nAnswer with JSON: {"score": integer 1..10, "reason": string}.'
    )
    return [{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": user}]


def pairwise_messages(
    prompt: Sequence[Mapping[str, Any]],
    reference: str | None,
    reply_a: str,
    reply_b: str,
    rubric: str | None = None,
) -> list[dict[str, str]]:
    """The system and user messages that ask the judge which of two replies is better."""
    sections = [_section("prompt", render_prompt(prompt))]
    if reference is not None:
        sections.append(_section("reference", reference))
    if rubric:
        sections.append(_section("rubric", rubric))
    sections.append(_section("reply_a", reply_a))
    sections.append(_section("reply_b", reply_b))
    user = (
        "Which reply answers this prompt better?\n\n"
        + "\n\n".join(sections)
        + '\n\nAnswer with JSON: {"winner": "A" | "B" | "tie", "reason": string}.'
    )
    return [{"role": "system", "content": PAIRWISE_SYSTEM}, {"role": "user", "content": user}]


def judge_response_format() -> dict[str, Any]:
    """The `response_format` of a judge request, for services with structured output."""
    return _response_format("judgement", JUDGEMENT_SCHEMA)


def pairwise_response_format() -> dict[str, Any]:
    """The `response_format` of a pairwise request, for services with structured output."""
    return _response_format("preference", PREFERENCE_SCHEMA)


def _response_format(name: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": "json_schema",
        "json_schema": {"name": name, "strict": True, "schema": json.loads(json.dumps(schema))},
    }


def render_prompt(prompt: Sequence[Mapping[str, Any]]) -> str:
    """A prompt's messages as text for a judge: `role: text` blocks, a blank line apart. Parts
    that are not text show as `[image]`, tool calls as `[calls NAME]`."""
    blocks = []
    for message in prompt:
        role = message.get("role")
        text = content_text(message.get("content")) or ""
        content = message.get("content")
        if isinstance(content, list) and any(
            isinstance(part, dict) and part.get("type") == "image_url" for part in content
        ):
            text = f"{text} [image]".strip()
        calls = message.get("tool_calls")
        if isinstance(calls, list):
            names = [_call_name(call) for call in calls]
            text = f"{text} [calls {', '.join(names)}]".strip()
        blocks.append(f"{role if isinstance(role, str) else 'message'}: {text}")
    return "\n\n".join(blocks)


def _call_name(call: Any) -> str:
    function = call.get("function") if isinstance(call, dict) else None
    name = function.get("name") if isinstance(function, dict) else None
    return name if isinstance(name, str) else "a tool"


def _section(tag: str, text: str) -> str:
    return f"<{tag}>{_CLOSING.sub(_ESCAPED_CLOSING, text)}</{tag}>"


# -- answers -----------------------------------------------------------------------------------


def parse_judgement(text: str) -> Judgement:
    """Read the judge's answer: the first JSON object in `text` with a "score".

    A score of 1..10 (an integer, a whole float such as 8.0, or a string of one) is used; any
    other answer is a failure with the reason (never a score of 0).
    """
    found = find_json_object(text, "score")
    if found is None:
        return Judgement(None, None, "", "judge failed: no JSON with a score in its answer")
    reason = _reason(found)
    rating = _rating(found["score"])
    if rating is None:
        shown = json.dumps(found["score"], ensure_ascii=False)[:40]
        return Judgement(None, None, reason, f"judge failed: score {shown} is not 1..10")
    return Judgement((rating - MIN_RATING) / (MAX_RATING - MIN_RATING), rating, reason)


def parse_preference(text: str) -> Preference:
    """Read the judge's pairwise answer: the first JSON object in `text` with a "winner" of
    "A", "B" or "tie" (any case, surrounding spaces ignored); anything else is a failure."""
    found = find_json_object(text, "winner")
    if found is None:
        return Preference(None, "", "judge failed: no JSON with a winner in its answer")
    winner = found["winner"]
    value = winner.strip() if isinstance(winner, str) else None
    if value is not None:
        for choice in Winner:
            if value.casefold() == choice.value.casefold():
                return Preference(choice, _reason(found))
    shown = json.dumps(winner, ensure_ascii=False)[:40]
    return Preference(None, _reason(found), f"judge failed: winner {shown} is not A, B or tie")


def combine_verdicts(first_as_a: Preference, first_as_b: Preference) -> PairOutcome | None:
    """The first model's outcome on one example from the two orders it was judged in:
    `first_as_a` with its reply shown as A, `first_as_b` with it shown as B.

    Win only when both orders prefer it, loss only when both prefer the other; any other
    combination is a tie (see the module's note on position bias). None when either answer
    failed: the example is not graded by pairwise.
    """
    if first_as_a.winner is None or first_as_b.winner is None:
        return None
    in_a = {Winner.A: PairOutcome.WIN, Winner.B: PairOutcome.LOSS, Winner.TIE: PairOutcome.TIE}
    in_b = {Winner.B: PairOutcome.WIN, Winner.A: PairOutcome.LOSS, Winner.TIE: PairOutcome.TIE}
    one = in_a[first_as_a.winner]
    two = in_b[first_as_b.winner]
    return one if one == two else PairOutcome.TIE


def find_json_object(text: str, key: str) -> dict[str, Any] | None:
    """The first JSON object in `text` (at any `{`, nested ones included) that has `key`."""
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start >= 0:
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            value = None
        if isinstance(value, dict) and key in value:
            return value
        start = text.find("{", start + 1)
    return None


def _rating(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and MIN_RATING <= value <= MAX_RATING:
        return value
    return None


def _reason(found: Mapping[str, Any]) -> str:
    reason = found.get("reason")
    return reason if isinstance(reason, str) else ""
