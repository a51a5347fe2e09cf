"""Together's conversation rules, one example per rule: roles, turn order, keys, weights."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tuner.data.rules.check import check_example
from tuner.data.rules.problems import Problem, Severity

E, W = Severity.ERROR, Severity.WARNING
SYSTEM = {"role": "system", "content": "You are terse."}
USER = {"role": "user", "content": "Hi"}
ASSISTANT = {"role": "assistant", "content": "Hello."}
CALL = {
    "role": "assistant",
    "tool_calls": [
        {"type": "function", "function": {"name": "weather", "arguments": '{"city": "Ankara"}'}}
    ],
}
RESULT = {"role": "tool", "content": "18°C", "tool_call_id": "c1"}
TOOLS = [{"type": "function", "function": {"name": "weather", "parameters": {}}}]


def problems(*messages: Any, **top: Any) -> list[Problem]:
    raw = orjson.dumps({"messages": list(messages), **top})
    return check_example(raw, 4, "together").problems


def codes(*messages: Any, **top: Any) -> list[str]:
    return [p.code for p in problems(*messages, **top)]


def only(code: str, *messages: Any, **top: Any) -> Problem:
    found = [p for p in problems(*messages, **top) if p.code == code]
    assert len(found) == 1, codes(*messages, **top)
    assert found[0].line == 4
    return found[0]


# -- roles and the order of turns --------------------------------------------------------------


@pytest.mark.parametrize(
    "messages",
    [
        [SYSTEM, USER, ASSISTANT],
        [USER, ASSISTANT],
        [USER, ASSISTANT, USER, ASSISTANT],
        [SYSTEM, USER, CALL, RESULT, ASSISTANT],
        [USER, CALL, RESULT, RESULT, ASSISTANT, USER, ASSISTANT],
        [USER, CALL, RESULT, USER, ASSISTANT],
    ],
)
def test_orders_together_takes(messages: list[dict[str, Any]]) -> None:
    assert codes(*messages, tools=TOOLS) == []


@pytest.mark.parametrize(
    ("messages", "index", "fragment"),
    [
        ([ASSISTANT, USER, ASSISTANT], 0, "opens the conversation"),
        ([USER, USER, ASSISTANT], 1, "follows another user message"),
        ([USER, ASSISTANT, ASSISTANT], 2, "follows another assistant message"),
        ([SYSTEM, ASSISTANT], 1, "follows the system message"),
        ([USER, SYSTEM, ASSISTANT], 1, "comes after the start"),
        ([USER, RESULT, ASSISTANT], 1, "does not answer"),
        ([USER, ASSISTANT, RESULT, ASSISTANT], 2, "does not answer"),
    ],
)
def test_orders_together_refuses(messages: list[dict[str, Any]], index: int, fragment: str) -> None:
    problem = only("invalid_turn_order", *messages)
    assert problem.severity is E and problem.message_index == index
    assert fragment in problem.message and "alternate user and assistant" in problem.message


def test_openai_takes_the_orders_together_refuses() -> None:
    raw = orjson.dumps({"messages": [SYSTEM, USER, USER, ASSISTANT]})
    assert "invalid_turn_order" not in [p.code for p in check_example(raw, 4).problems]


@pytest.mark.parametrize(
    ("role", "fragment"),
    [
        ("function", "answer an assistant's 'tool_calls' with 'tool' messages"),
        ("developer", "use 'system'"),
        ("asistant", "did you mean 'assistant'?"),
        (3, "must be a string"),
    ],
)
def test_roles_together_does_not_take(role: object, fragment: str) -> None:
    problem = only("unrecognized_role", USER, {"role": role, "content": "x", "name": "f"})
    assert problem.severity is E and problem.message_index == 1 and fragment in problem.message


def test_a_message_needs_a_role_and_an_object() -> None:
    assert only("message_missing_key", USER, {"content": "x"}).message_index == 1
    assert only("message_missing_key", "hi", USER, ASSISTANT).message_index == 0


def test_at_least_one_assistant_message() -> None:
    assert only("example_missing_assistant_message", SYSTEM, USER).severity is E


@pytest.mark.parametrize("messages", [[], "hi"])
def test_messages_must_be_a_non_empty_list(messages: object) -> None:
    raw = orjson.dumps({"messages": messages})
    assert [p.code for p in check_example(raw, 4, "together").problems] == ["missing_messages_list"]


# -- content and tool calls --------------------------------------------------------------------


def test_content_is_required_except_beside_tool_calls() -> None:
    missing = only("message_missing_key", {"role": "user"}, ASSISTANT)
    assert missing.message_index == 0 and missing.severity is E
    null = only("missing_content", USER, {"role": "assistant", "content": None})
    assert "or 'tool_calls'" in null.message
    assert codes(USER, {**CALL, "content": None}, RESULT, ASSISTANT, tools=TOOLS) == []


def test_only_assistants_make_tool_calls() -> None:
    problem = only(
        "message_unrecognized_key", {**USER, "tool_calls": CALL["tool_calls"]}, ASSISTANT
    )
    assert problem.message_index == 0 and problem.severity is E


def test_empty_content_warns() -> None:
    assert only("empty_content", USER, {"role": "assistant", "content": ""}).severity is W


# -- OpenAI's fields that Together does not read -----------------------------------------------


def test_a_name_is_ignored_once_per_example() -> None:
    problem = only(
        "ignored_key", {**USER, "name": "ayse"}, {**ASSISTANT, "name": "bot"}, USER, ASSISTANT
    )
    assert problem.severity is W and problem.message_index == 0
    assert "(and 1 more message)" in problem.message and "never sees it" in problem.message


def test_function_call_is_an_error_because_its_call_would_be_lost() -> None:
    call = {"role": "assistant", "content": "Checking.", "function_call": {"name": "f"}}
    problem = only("unsupported_key", USER, call)
    assert problem.severity is E and problem.message_index == 1 and "tool_calls" in problem.message


def test_refusal_and_unknown_keys_are_ignored_with_a_hint() -> None:
    refusal = only("ignored_key", USER, {**ASSISTANT, "refusal": "no"})
    assert "does not read it" in refusal.message
    typo = only("ignored_key", USER, {**ASSISTANT, "wieght": 1})
    assert "did you mean 'weight'?" in typo.message
    stray = only("ignored_key", {**USER, "tool_call_id": "c1"}, ASSISTANT)
    assert "only on tool messages" in stray.message


# -- weights -----------------------------------------------------------------------------------


@pytest.mark.parametrize("weight", [2, -1, 0.5, True, "1"])
def test_a_weight_is_0_or_1(weight: object) -> None:
    problem = only("invalid_weight", {**USER, "weight": 0}, {**ASSISTANT, "weight": weight})
    assert problem.severity is E and problem.message_index == 1


def test_weights_on_every_message_train_what_they_say() -> None:
    assert codes({**SYSTEM, "weight": 0}, {**USER, "weight": 0}, {**ASSISTANT, "weight": 1}) == []
    # Together honours a weight on any message: training on a user turn is the user's choice
    assert codes({**USER, "weight": 1}, {**ASSISTANT, "weight": 1}) == []


def test_a_weight_turns_training_on_for_unweighted_inputs() -> None:
    problem = only("inputs_trained", SYSTEM, USER, {**ASSISTANT, "weight": 1})
    assert problem.severity is W and problem.message_index == 0
    assert "messages 0, 1" in problem.message and "weight 0" in problem.message


def test_all_weights_zero_trains_nothing() -> None:
    problem = only("nothing_trained", {**USER, "weight": 0}, {**ASSISTANT, "weight": 0})
    assert problem.severity is W


def test_no_weights_train_the_replies_without_a_warning() -> None:
    assert codes(SYSTEM, USER, ASSISTANT) == []
    # Together's checker drops null values, so a null weight is no weight
    assert codes(SYSTEM, USER, {**ASSISTANT, "weight": None}) == []
