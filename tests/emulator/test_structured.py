"""Structured output: replies that parse and keep to the requested schema, in both dialects."""

from __future__ import annotations

import json
from typing import Any, Literal

import openai
import pytest
import together
from jsonschema import Draft202012Validator
from openai import OpenAI
from pydantic import BaseModel, Field

from tuner.emulator import Emulator
from tuner.emulator.structured import ResponseFormat, parse_response_format, render

from .together_helpers import BASE, sdk

ASK = [{"role": "user", "content": "Where is my order LM-48213?"}]


class Address(BaseModel):
    city: str
    postcode: str = Field(min_length=5, max_length=5)


class Ticket(BaseModel):
    answer: str
    category: Literal["delivery", "refund", "other"]
    urgency: int = Field(ge=1, le=5)
    confidence: float = Field(ge=0, le=1)
    tags: list[str] = Field(min_length=1, max_length=3)
    address: Address | None
    escalate: bool


SCHEMAS: list[dict[str, Any]] = [
    {
        "type": "object",
        "properties": {
            "score": {"type": "integer", "minimum": 1, "maximum": 10},
            "reason": {"type": "string"},
        },
        "required": ["score", "reason"],
        "additionalProperties": False,
    },
    {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
                "minItems": 4,
            },
            "when": {"type": "string", "format": "date"},
            "kind": {"type": ["string", "null"], "enum": ["a", "b", None]},
            "even": {"type": "integer", "multipleOf": 2, "minimum": 7, "maximum": 9},
            "fixed": {"const": "yes"},
        },
        "required": ["items", "when", "kind", "even", "fixed"],
    },
    {
        "$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}}}},
        "type": "object",
        "properties": {"root": {"$ref": "#/$defs/node"}, "n": {"type": "integer", "maximum": -5}},
    },
    {"type": "array", "items": {"type": "string", "maxLength": 3}, "maxItems": 1},
]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_every_instance_keeps_to_its_schema(schema: dict[str, Any]) -> None:
    fmt = ResponseFormat("json_schema", "s", schema)
    for seed in range(20):
        text = render(fmt, text="Your order is on its way.", hints=None, seed=bytes([seed]))
        Draft202012Validator(schema).validate(json.loads(text))


def test_the_openai_sdk_parses_a_strict_schema(client: OpenAI) -> None:
    for model in ("gpt-4o-mini", "gpt-4.1"):
        parsed = client.chat.completions.parse(model=model, messages=ASK, response_format=Ticket)  # type: ignore[arg-type]
        ticket = parsed.choices[0].message.parsed
        assert isinstance(ticket, Ticket)
        assert ticket.answer  # the model's words go in the first free text field
        raw = parsed.choices[0].message.content or ""
        schema = openai.lib._pydantic.to_strict_json_schema(Ticket)
        Draft202012Validator(schema).validate(json.loads(raw))


def test_json_object_and_streaming(client: OpenAI) -> None:
    plain = client.chat.completions.create(
        model="gpt-4o-mini", messages=ASK, response_format={"type": "json_object"}
    )
    assert isinstance(json.loads(plain.choices[0].message.content or ""), dict)
    fmt = {
        "type": "json_schema",
        "json_schema": {"name": "s", "schema": SCHEMAS[1]},
    }
    whole = client.chat.completions.create(model="gpt-4o", messages=ASK, response_format=fmt)  # type: ignore[arg-type]
    stream = client.chat.completions.create(
        model="gpt-4o",
        messages=ASK,
        response_format=fmt,  # type: ignore[arg-type]
        stream=True,
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == whole.choices[0].message.content
    Draft202012Validator(SCHEMAS[1]).validate(json.loads(text))


def test_a_strict_schema_the_service_would_refuse_is_refused(client: OpenAI) -> None:
    loose = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    fmt = {"type": "json_schema", "json_schema": {"name": "s", "schema": loose, "strict": True}}
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=ASK, response_format=fmt)  # type: ignore[arg-type]
    assert "additionalProperties" in caught.value.message
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(
            model="gpt-4o",
            messages=ASK,
            response_format={"type": "json_schema", "json_schema": {"schema": loose}},  # type: ignore[typeddict-item]
        )


def test_together_honours_a_schema_too(emu: Emulator) -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "s", "schema": SCHEMAS[0]}}
    with sdk(emu) as client:
        reply = client.chat.completions.create(model=BASE, messages=ASK, response_format=fmt)  # type: ignore[arg-type]
        Draft202012Validator(SCHEMAS[0]).validate(json.loads(reply.choices[0].message.content))
        with pytest.raises(together.BadRequestError):
            client.chat.completions.create(
                model=BASE,
                messages=ASK,
                response_format={"type": "json_schema"},  # type: ignore[typeddict-item]
            )


def test_response_format_values() -> None:
    assert parse_response_format(None) is None
    assert parse_response_format({"type": "text"}) is None
    assert parse_response_format({"type": "json_object"}) == ResponseFormat("json_object")
    with pytest.raises(ValueError, match="Supported values"):
        parse_response_format({"type": "yaml"})
