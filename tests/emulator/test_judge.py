"""The judge: scores that follow the overlap with the reference, pairwise preferences, both
orders, prose without structured output; on either service."""

from __future__ import annotations

import json
import re
from typing import Any

from jsonschema import Draft202012Validator
from openai import OpenAI

from tuner.emulator import Emulator
from tuner.emulator.judge import score_for, sections

from .conftest import API_KEY
from .together_helpers import BASE, sdk

JUDGE = "gpt-4.1"
PROMPT = "Where is my order LM-70415? It has not arrived yet."
REFERENCE = (
    "Your order LM-70415 is on its way; follow it under My Orders. If it is not there by "
    "tonight, write to us again."
)
CLOSE = (
    "Your order LM-48213 is on its way; follow it under My Orders. If it is not there by "
    "tonight, write to us again."
)
FAR = "A small, clean dataset usually beats a large, noisy one. Start with fifty examples."

JUDGEMENT = {
    "type": "json_schema",
    "json_schema": {
        "name": "judgement",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {
                "score": {"type": "integer", "minimum": 1, "maximum": 10},
                "reason": {"type": "string"},
            },
            "required": ["score", "reason"],
            "additionalProperties": False,
        },
    },
}
PREFERENCE = {
    "type": "json_schema",
    "json_schema": {
        "name": "preference",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {
                "winner": {"type": "string", "enum": ["A", "B", "tie"]},
                "reason": {"type": "string"},
            },
            "required": ["winner", "reason"],
            "additionalProperties": False,
        },
    },
}


def _grade_prompt(reply: str, rubric: str | None = None) -> list[dict[str, str]]:
    parts = [f"<prompt>{PROMPT}</prompt>", f"<reference>{REFERENCE}</reference>"]
    if rubric:
        parts.append(f"<rubric>{rubric}</rubric>")
    parts.append(f"<reply>{reply}</reply>")
    text = "Grade the reply against the reference.\n" + "\n".join(parts)
    return [
        {"role": "system", "content": "You are a strict grader."},
        {"role": "user", "content": text},
    ]


def _pair_prompt(a: str, b: str, reference: str | None = REFERENCE) -> list[dict[str, str]]:
    text = f"Which reply is better?\n<prompt>{PROMPT}</prompt>\n"
    if reference is not None:
        text += f"<reference>{reference}</reference>\n"
    text += f"<reply_a>{a}</reply_a>\n<reply_b>{b}</reply_b>"
    return [{"role": "user", "content": text}]


def _verdict(client: Any, messages: list[dict[str, str]], fmt: dict[str, Any]) -> dict[str, Any]:
    reply = client.chat.completions.create(model=JUDGE, messages=messages, response_format=fmt)
    value = json.loads(reply.choices[0].message.content)
    Draft202012Validator(fmt["json_schema"]["schema"]).validate(value)
    return value


def test_a_close_reply_scores_higher_than_a_far_one(client: OpenAI) -> None:
    close = _verdict(client, _grade_prompt(CLOSE), JUDGEMENT)
    far = _verdict(client, _grade_prompt(FAR), JUDGEMENT)
    same = _verdict(client, _grade_prompt(REFERENCE), JUDGEMENT)
    assert same["score"] == 10 and close["score"] >= 8 and far["score"] <= 3
    assert close["reason"]
    # Deterministic: the same question, the same verdict.
    assert _verdict(client, _grade_prompt(CLOSE), JUDGEMENT) == close
    with_rubric = _verdict(client, _grade_prompt(CLOSE, "Polite and exact."), JUDGEMENT)
    assert with_rubric["score"] == close["score"] and "rubric" in with_rubric["reason"]


def test_without_structured_output_the_verdict_comes_in_prose(client: OpenAI) -> None:
    reply = client.chat.completions.create(model=JUDGE, messages=_grade_prompt(CLOSE))
    text = reply.choices[0].message.content or ""
    assert text.startswith("Here is my judgement: ")
    found = re.search(r"\{.*\}", text)
    assert found and json.loads(found.group(0))["score"] >= 8
    objects = client.chat.completions.create(
        model=JUDGE, messages=_grade_prompt(FAR), response_format={"type": "json_object"}
    )
    assert json.loads(objects.choices[0].message.content or "")["score"] <= 3


def test_pairwise_prefers_the_closer_reply_in_either_order(client: OpenAI) -> None:
    assert _verdict(client, _pair_prompt(CLOSE, FAR), PREFERENCE)["winner"] == "A"
    assert _verdict(client, _pair_prompt(FAR, CLOSE), PREFERENCE)["winner"] == "B"
    assert _verdict(client, _pair_prompt(CLOSE, CLOSE + " "), PREFERENCE)["winner"] == "tie"
    # Without a reference: a deterministic choice that does not depend on the order.
    first = _verdict(client, _pair_prompt(CLOSE, FAR, None), PREFERENCE)["winner"]
    second = _verdict(client, _pair_prompt(FAR, CLOSE, None), PREFERENCE)["winner"]
    assert {first, second} == {"A", "B"}


def test_position_bias_prefers_reply_a() -> None:
    with Emulator(speed=1000, seed=3, position_bias=100.0) as emu:
        client = OpenAI(base_url=emu.base_url, api_key=API_KEY, max_retries=0)
        assert _verdict(client, _pair_prompt(CLOSE, FAR), PREFERENCE)["winner"] == "A"
        assert _verdict(client, _pair_prompt(FAR, CLOSE), PREFERENCE)["winner"] == "A"
        assert _verdict(client, _pair_prompt(FAR, CLOSE, None), PREFERENCE)["winner"] == "A"


def test_the_judge_on_together(emu: Emulator) -> None:
    with sdk(emu) as client:
        reply = client.chat.completions.create(
            model=BASE,
            messages=_grade_prompt(CLOSE),  # type: ignore[arg-type]
            response_format=JUDGEMENT,  # type: ignore[arg-type]
        )
        assert json.loads(reply.choices[0].message.content)["score"] >= 8


def test_sections_and_scores() -> None:
    found = sections("<reply>a <b>bold</b>\n</reply> <reference> r </reference><reply>x</reply>")
    assert found == {"reply": "a <b>bold</b>", "reference": "r"}
    assert [score_for(x) for x in (0, 30, 66, 95, 100)] == [1, 1, 6, 10, 10]
