"""Together's function-calling rules: `tools` definitions and the assistant's `tool_calls`."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tuner.data.rules.check import check_example
from tuner.data.rules.problems import Problem, Severity

E = Severity.ERROR
USER = {"role": "user", "content": "Weather in Ankara?"}
TOOLS = [{"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}]


def call(**function: Any) -> dict[str, Any]:
    body = {"name": "weather", "arguments": '{"city": "Ankara"}', **function}
    return {"type": "function", "function": body}


def example(calls: Any, tools: Any = TOOLS) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "messages": [
            USER,
            {"role": "assistant", "tool_calls": calls},
            {"role": "tool", "content": "18°C"},
            {"role": "assistant", "content": "18°C and sunny."},
        ]
    }
    if tools is not None:
        obj["tools"] = tools
    return obj


def problems(obj: Any) -> list[Problem]:
    return check_example(orjson.dumps(obj), 2, "together").problems


def only(obj: Any, code: str) -> Problem:
    found = [p for p in problems(obj) if p.code == code]
    assert len(found) == 1, [p.code for p in problems(obj)]
    assert found[0].severity is E and found[0].line == 2
    return found[0]


def test_a_tool_call_without_an_id_passes() -> None:
    assert problems(example([call()])) == []
    assert problems(example([call()], tools=None)) == []  # no tools: any name goes


@pytest.mark.parametrize(
    ("tools", "fragment"),
    [
        ({"weather": {}}, "must be a list"),
        ([], "empty list"),
        ([{"type": "retrieval"}], "must be 'function'"),
        ([{"type": "function"}], "needs 'function'"),
        ([{"type": "function", "function": {"description": "x"}}], "string 'function.name'"),
    ],
)
def test_tools_definitions(tools: Any, fragment: str) -> None:
    assert fragment in only(example([call()], tools=tools), "invalid_tools").message


@pytest.mark.parametrize(
    ("calls", "fragment"),
    [
        ({"type": "function"}, "must be a list"),
        (["weather"], "not an object"),
        ([{"function": {"name": "weather"}}], "needs a 'type'"),
        ([{"type": "function"}], "needs 'function'"),
        ([call(name=7)], "string 'function.name'"),
        ([call(name="forecast")], "not one of the example's tools (weather)"),
        ([call(arguments={"city": "Ankara"})], "must be a string of JSON"),
        ([call(arguments="{city: Ankara}")], "is not valid JSON"),
        ([call(arguments="[1, 2]")], "must hold an object"),
    ],
)
def test_tool_calls(calls: Any, fragment: str) -> None:
    problem = only(example(calls), "invalid_tool_calls")
    assert problem.message_index == 1 and fragment in problem.message


def test_calls_of_other_types_are_not_looked_into() -> None:
    assert problems(example([{"type": "code_interpreter", "input": "1+1"}])) == []
