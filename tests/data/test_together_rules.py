"""Together's formats, one example per rule: a line that breaks it and a line that passes.

Each case names the code, the severity and the line; OpenAI's rules for the same lines are
checked alongside where they differ, to show the service switch is real."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tuner.data.rules.check import check_example
from tuner.data.rules.problems import DatasetFormat, Problem, Severity

E, W = Severity.ERROR, Severity.WARNING
SYSTEM = {"role": "system", "content": "You are terse."}
USER = {"role": "user", "content": "Hi"}
ASSISTANT = {"role": "assistant", "content": "Hello."}


def together(obj: Any, line: int = 7):
    return check_example(orjson.dumps(obj), line, "together")


def codes(obj: Any) -> list[str]:
    return [p.code for p in together(obj).problems]


def only(obj: Any, code: str, line: int = 7) -> Problem:
    result = together(obj, line)
    assert all(p.line == line for p in result.problems)
    found = [p for p in result.problems if p.code == code]
    assert len(found) == 1, [p.code for p in result.problems]
    return found[0]


# -- the four formats --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("obj", "fmt"),
    [
        ({"messages": [SYSTEM, USER, ASSISTANT]}, DatasetFormat.CHAT),
        ({"prompt": "2+2?", "completion": "4"}, DatasetFormat.INSTRUCTION),
        ({"text": "Once upon a time."}, DatasetFormat.TEXT),
        (
            {
                "input": {"messages": [USER]},
                "preferred_output": [ASSISTANT],
                "non_preferred_output": [{"role": "assistant", "content": "Go away."}],
            },
            DatasetFormat.PREFERENCE,
        ),
    ],
)
def test_each_format_passes_clean(obj: dict[str, Any], fmt: DatasetFormat) -> None:
    result = together(obj)
    assert result.problems == [] and result.format is fmt


@pytest.mark.parametrize("obj", [{"prompt": "2+2?", "completion": "4"}, {"text": "Once."}])
def test_openai_refuses_instruction_and_text_with_its_message(obj: dict[str, Any]) -> None:
    result = check_example(orjson.dumps(obj), 7)
    assert result.format is None
    assert [p.code for p in result.problems] == ["missing_messages_list"]


def test_two_formats_on_one_line_are_refused() -> None:
    problem = only({"messages": [USER, ASSISTANT], "text": "x"}, "ambiguous_format")
    assert problem.severity is E
    assert "conversational ('messages') and plain text ('text')" in problem.message
    assert together({"messages": [USER, ASSISTANT], "text": "x"}).format is None


def test_a_line_in_no_format() -> None:
    problem = only({"question": "a", "answer": "b"}, "unknown_format")
    assert problem.severity is E and "'question'" in problem.message
    typo = only({"mesages": [USER, ASSISTANT]}, "unexpected_key")
    assert "did you mean 'messages'?" in typo.message


def test_half_an_instruction_names_the_missing_key() -> None:
    problem = only({"prompt": "2+2?"}, "message_missing_key")
    assert problem.severity is E and "no 'completion'" in problem.message
    assert together({"prompt": "2+2?"}).format is DatasetFormat.INSTRUCTION


@pytest.mark.parametrize(
    ("obj", "code"),
    [
        ({"prompt": 5, "completion": "4"}, "invalid_content_part"),
        ({"prompt": "2+2?", "completion": None}, "missing_content"),
        ({"text": {"body": "x"}}, "invalid_content_part"),
    ],
)
def test_instruction_and_text_values_must_be_text(obj: dict[str, Any], code: str) -> None:
    assert only(obj, code).severity is E


def test_empty_text_warns() -> None:
    assert only({"text": ""}, "empty_content").severity is W


# -- keys Together does not read ---------------------------------------------------------------


def test_tools_are_the_one_extra_key_of_a_conversation() -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    assert codes({"messages": [USER, ASSISTANT], "tools": tools}) == []
    problem = only({"messages": [USER, ASSISTANT], "id": 17}, "extra_key")
    assert problem.severity is W and "Together ignores other keys" in problem.message
    assert only({"prompt": "a", "completion": "b", "tools": tools}, "extra_key").severity is W


def test_openai_only_top_level_keys_are_explained() -> None:
    functions = only({"messages": [USER, ASSISTANT], "functions": []}, "extra_key")
    assert "give them as 'tools'" in functions.message
    parallel = only({"messages": [USER, ASSISTANT], "parallel_tool_calls": True}, "extra_key")
    assert "ignores" in parallel.message


def test_a_typo_of_a_missing_extra_key_is_an_error() -> None:
    problem = only({"messages": [USER, ASSISTANT], "tols": []}, "unexpected_key")
    assert problem.severity is E and "did you mean 'tools'?" in problem.message


# -- preference --------------------------------------------------------------------------------


def preference(**changes: Any) -> dict[str, Any]:
    obj = {
        "input": {"messages": [SYSTEM, USER]},
        "preferred_output": [ASSISTANT],
        "non_preferred_output": [{"role": "assistant", "content": "Go away."}],
    }
    obj.update(changes)
    return obj


def test_preference_input_may_not_end_with_the_assistant() -> None:
    obj = preference(input={"messages": [USER, ASSISTANT]})
    problem = only(obj, "input_ends_with_assistant")
    assert problem.severity is E and problem.message_index == 1
    # OpenAI only warns about the same line
    openai = [p for p in check_example(orjson.dumps(obj), 7).problems]
    assert [(p.code, p.severity) for p in openai] == [("input_ends_with_assistant", W)]


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"preferred_output": ASSISTANT}, "a JSON object"),
        ({"preferred_output": [ASSISTANT, ASSISTANT]}, "2 items"),
        ({"non_preferred_output": [USER]}, "'user' message"),
        ({"non_preferred_output": [{"role": "assistant"}]}, "no 'content'"),
    ],
)
def test_each_output_is_one_assistant_message(changes: dict[str, Any], fragment: str) -> None:
    problem = only(preference(**changes), "invalid_preference_output")
    assert problem.severity is E and fragment in problem.message


def test_a_missing_output_or_input() -> None:
    obj = preference()
    del obj["non_preferred_output"]
    assert "no 'non_preferred_output'" in only(obj, "invalid_preference_output").message
    obj = preference()
    del obj["input"]
    assert "no 'input'" in only(obj, "missing_messages_list").message


def test_preference_input_follows_the_conversation_rules() -> None:
    obj = preference(input={"messages": [USER, USER]})
    assert only(obj, "invalid_turn_order").message_index == 1


def test_preference_tools_live_in_the_input() -> None:
    tools = [{"type": "function", "function": {"name": "f"}}]
    assert codes(preference(input={"messages": [USER], "tools": tools})) == []
    assert only(preference(input={"messages": [USER], "x": 1}), "extra_key").severity is W


# -- what every service shares, said Together's way --------------------------------------------


def test_blank_lines_are_harmless_but_noted() -> None:
    result = check_example(b"  ", 3, "together")
    assert result.is_blank
    assert [(p.code, p.severity) for p in result.problems] == [("blank_line", W)]
    assert "Together's client skips it" in result.problems[0].message


@pytest.mark.parametrize("token", ["<|eot_id|>", "<|im_end|>", "<|start_header_id|>"])
def test_open_model_control_tokens_in_text_warn(token: str) -> None:
    obj = {"messages": [{"role": "user", "content": f"say {token}"}, ASSISTANT]}
    problem = only(obj, "special_token_text")
    assert problem.severity is W and problem.message_index == 0
    assert token in problem.message and "open models" in problem.message
    text = only({"text": f"a {token} b"}, "special_token_text")
    assert text.message_index is None


def test_openai_tokens_that_open_models_lack_are_not_flagged_for_together() -> None:
    assert codes({"messages": [{"role": "user", "content": "<|fim_prefix|>"}, ASSISTANT]}) == []


def test_an_unknown_service_is_a_callers_mistake() -> None:
    from tuner.data.service_kinds import UnknownService

    with pytest.raises(UnknownService, match="openai, azure, together"):
        check_example(b"{}", 1, "mistral")


def test_azure_takes_openais_rules() -> None:
    raw = orjson.dumps({"prompt": "a", "completion": "b"})
    assert check_example(raw, 1, "azure").problems == check_example(raw, 1).problems
