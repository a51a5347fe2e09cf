"""One hand-written example per rule: exact code, severity, line and message index."""

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


def chat(*messages: Any, **top: Any) -> bytes:
    return orjson.dumps({"messages": list(messages), **top})


def preference(inp: Any = None, preferred: Any = None, non_preferred: Any = None, **top: Any):
    obj = {
        "input": {"messages": [SYSTEM, USER]} if inp is None else inp,
        "preferred_output": [ASSISTANT] if preferred is None else preferred,
        "non_preferred_output": [{"role": "assistant", "content": "Go away."}]
        if non_preferred is None
        else non_preferred,
        **top,
    }
    return orjson.dumps(obj)


def codes(raw: bytes, line: int = 7) -> list[str]:
    return [p.code for p in check_example(raw, line).problems]


def only(raw: bytes, code: str, line: int = 7) -> Problem:
    """The single problem with `code`, after checking every problem has the right line."""
    result = check_example(raw, line)
    assert all(p.line == line for p in result.problems)
    found = [p for p in result.problems if p.code == code]
    assert len(found) == 1, [p.code for p in result.problems]
    return found[0]


def test_a_clean_chat_example_has_no_problems() -> None:
    result = check_example(chat(SYSTEM, USER, ASSISTANT), 1)
    assert result.problems == []
    assert result.format is DatasetFormat.CHAT
    assert result.obj["messages"][2]["content"] == "Hello."
    assert not result.is_blank


def test_a_bom_on_the_first_line_is_ignored() -> None:
    assert codes(b"\xef\xbb\xbf" + chat(SYSTEM, USER, ASSISTANT), line=1) == []


def test_a_bom_past_the_first_line_is_read_through_with_a_warning() -> None:
    """Joined files leave a mark at the start of a later line: the example is read, and the
    line is named."""
    result = check_example(b"\xef\xbb\xbf" + chat(SYSTEM, USER, ASSISTANT), 7)
    (problem,) = result.problems
    assert (problem.code, problem.severity, problem.line) == ("byte_order_mark", W, 7)
    assert result.format is DatasetFormat.CHAT


@pytest.mark.parametrize("raw", [b"", b"   ", b"\t"])
def test_blank_line(raw: bytes) -> None:
    result = check_example(raw, 3)
    assert result.is_blank
    assert result.obj is None and result.format is None
    (problem,) = result.problems
    assert (problem.code, problem.severity, problem.line) == ("blank_line", W, 3)


def test_invalid_json() -> None:
    p = only(b'{"messages": [}', "invalid_json")
    assert p.severity is E and "column" in p.message


def test_invalid_json_trailing_comma_hint() -> None:
    p = only(chat(SYSTEM, USER, ASSISTANT) + b",", "invalid_json")
    assert "comma" in p.message


def test_invalid_json_multiline_object_hint() -> None:
    assert "tuner convert" in only(b"{", "invalid_json").message


def test_invalid_utf8_is_not_invalid_json() -> None:
    p = only(b'{"messages": "\xff\xfe"}', "invalid_utf8")
    assert p.severity is E
    assert codes(b'{"messages": "\xff\xfe"}') == ["invalid_utf8"]


@pytest.mark.parametrize("raw", [b"[1, 2]", b'"text"', b"42", b"null", b"true"])
def test_data_type(raw: bytes) -> None:
    assert only(raw, "data_type").severity is E


def test_missing_messages_list() -> None:
    assert only(b'{"conversation": []}', "missing_messages_list").severity is E
    assert only(b'{"messages": []}', "missing_messages_list").severity is E
    assert only(b'{"messages": "hi"}', "missing_messages_list").severity is E


def test_legacy_prompt_completion_is_explained() -> None:
    p = only(b'{"prompt": "a", "completion": "b"}', "missing_messages_list")
    assert "legacy" in p.message


def test_unexpected_key_suggests_messages() -> None:
    p = only(b'{"mesages": []}', "unexpected_key")
    assert p.severity is E and "'messages'" in p.message
    assert "missing_messages_list" not in codes(b'{"mesages": []}')


def test_message_missing_role() -> None:
    p = only(chat(SYSTEM, {"content": "x"}, ASSISTANT), "message_missing_key")
    assert (p.severity, p.message_index) == (E, 1)


def test_message_missing_content() -> None:
    p = only(chat(SYSTEM, {"role": "user"}, ASSISTANT), "message_missing_key")
    assert (p.severity, p.message_index) == (E, 1)


def test_message_not_an_object() -> None:
    p = only(chat(SYSTEM, "hello", ASSISTANT), "message_missing_key")
    assert p.message_index == 1


def test_tool_message_needs_tool_call_id() -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    raw = chat(
        SYSTEM, USER, {"role": "assistant", "tool_calls": [call]}, {"role": "tool", "content": "1"}
    )
    p = only(raw + b"", "message_missing_key")
    assert p.message_index == 3 and "tool_call_id" in p.message


def test_message_unrecognized_key() -> None:
    p = only(chat(SYSTEM, {**USER, "extra": 1}, ASSISTANT), "message_unrecognized_key")
    assert (p.severity, p.message_index) == (E, 1)
    assert "'extra'" in p.message


def test_key_of_another_role_is_unrecognized() -> None:
    p = only(chat(SYSTEM, {**USER, "tool_call_id": "x"}, ASSISTANT), "message_unrecognized_key")
    assert p.message_index == 1 and "tool" in p.message


def test_unrecognized_role_with_suggestion() -> None:
    p = only(chat(SYSTEM, USER, {"role": "asistant", "content": "x"}), "unrecognized_role")
    assert (p.severity, p.message_index) == (E, 2)
    assert "'asistant'" in p.message and "did you mean 'assistant'" in p.message


def test_developer_role_is_not_accepted_for_supervised() -> None:
    p = only(chat({"role": "developer", "content": "x"}, USER, ASSISTANT), "unrecognized_role")
    assert p.message_index == 0 and "reinforcement" in p.message


def test_legacy_function_role_is_accepted() -> None:
    raw = chat(
        SYSTEM,
        USER,
        {"role": "assistant", "content": None, "function_call": {"name": "f", "arguments": "{}"}},
        {"role": "function", "name": "f", "content": "42"},
        ASSISTANT,
    )
    assert codes(raw) == []


def test_missing_content_null() -> None:
    p = only(chat(SYSTEM, {"role": "user", "content": None}, ASSISTANT), "missing_content")
    assert (p.severity, p.message_index) == (E, 1)


def test_assistant_null_content_allowed_with_tool_calls() -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    raw = chat(
        SYSTEM,
        USER,
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "1"},
        ASSISTANT,
        tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}],
        parallel_tool_calls=False,
    )
    assert codes(raw) == []


def test_assistant_null_content_without_calls() -> None:
    p = only(chat(SYSTEM, USER, {"role": "assistant", "content": None}), "missing_content")
    assert p.message_index == 2


def test_empty_content_list_is_missing_content() -> None:
    p = only(chat(SYSTEM, {"role": "user", "content": []}, ASSISTANT), "missing_content")
    assert p.message_index == 1


def test_empty_string_content_warns() -> None:
    p = only(chat(SYSTEM, USER, {"role": "assistant", "content": ""}), "empty_content")
    assert (p.severity, p.message_index) == (W, 2)


def test_example_missing_assistant_message() -> None:
    p = only(chat(SYSTEM, USER), "example_missing_assistant_message")
    assert p.severity is E and p.message_index is None


@pytest.mark.parametrize("weight", [2, -1, 0.5, "1", True, None])
def test_invalid_weight_value(weight: object) -> None:
    raw = chat(SYSTEM, USER, {**ASSISTANT, "weight": weight}, ASSISTANT)
    p = only(raw, "invalid_weight")
    assert (p.severity, p.message_index) == (E, 2)


def test_weight_on_user_message() -> None:
    p = only(chat(SYSTEM, {**USER, "weight": 1}, ASSISTANT), "invalid_weight")
    assert p.message_index == 1 and "only assistant" in p.message
    assert "message_unrecognized_key" not in codes(chat(SYSTEM, {**USER, "weight": 1}, ASSISTANT))


def test_valid_weights() -> None:
    raw = chat(SYSTEM, USER, {**ASSISTANT, "weight": 0}, USER, {**ASSISTANT, "weight": 1})
    assert codes(raw) == []


def test_no_trained_assistant() -> None:
    p = only(chat(SYSTEM, USER, {**ASSISTANT, "weight": 0}), "no_trained_assistant")
    assert p.severity is W


@pytest.mark.parametrize(
    "calls",
    [
        [],
        "call",
        [{"type": "function", "function": {"name": "f", "arguments": "{}"}}],
        [{"id": "1", "type": "code", "function": {"name": "f", "arguments": "{}"}}],
        [{"id": "1", "type": "function", "function": {"name": "f", "arguments": {"a": 1}}}],
        [{"id": "1", "type": "function"}],
    ],
)
def test_invalid_tool_calls(calls: object) -> None:
    raw = chat(SYSTEM, USER, {"role": "assistant", "content": "x", "tool_calls": calls})
    p = only(raw, "invalid_tool_calls")
    assert (p.severity, p.message_index) == (E, 2)


@pytest.mark.parametrize(
    "tools",
    [
        {"type": "function"},
        [{"type": "retrieval"}],
        [{"type": "function", "function": {"name": "has space"}}],
        [{"type": "function", "function": {"name": "f", "parameters": "x"}}],
    ],
)
def test_invalid_tools(tools: object) -> None:
    p = only(chat(SYSTEM, USER, ASSISTANT, tools=tools), "invalid_tools")
    assert p.severity is E and p.message_index is None


def test_parallel_tool_calls_must_be_boolean() -> None:
    assert only(chat(SYSTEM, USER, ASSISTANT, parallel_tool_calls="yes"), "invalid_tools")


@pytest.mark.parametrize("call", ["f", {"arguments": "{}"}, {"name": "f", "arguments": {}}])
def test_invalid_function_call(call: object) -> None:
    raw = chat(SYSTEM, USER, {"role": "assistant", "content": "x", "function_call": call})
    p = only(raw, "invalid_function_call")
    assert (p.severity, p.message_index) == (E, 2)


@pytest.mark.parametrize("functions", [[], {"name": "f"}, [{"description": "no name"}]])
def test_invalid_functions(functions: object) -> None:
    p = only(chat(SYSTEM, USER, ASSISTANT, functions=functions), "invalid_functions")
    assert p.severity is E


def test_valid_content_parts() -> None:
    user = {
        "role": "user",
        "content": [
            {"type": "text", "text": "What is this?"},
            {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
        ],
    }
    assistant = {"role": "assistant", "content": [{"type": "text", "text": "A cat."}]}
    assert codes(chat(SYSTEM, user, assistant)) == []


@pytest.mark.parametrize(
    ("message", "index"),
    [
        ({"role": "user", "content": [{"type": "audio", "data": "x"}]}, 1),
        ({"role": "user", "content": [{"type": "text"}]}, 1),
        ({"role": "user", "content": [{"type": "image_url", "image_url": "u"}]}, 1),
        ({"role": "user", "content": ["plain string"]}, 1),
        ({"role": "user", "content": 5}, 1),
        ({"role": "assistant", "content": [{"type": "image_url", "image_url": {"url": "u"}}]}, 1),
    ],
)
def test_invalid_content_part(message: dict[str, Any], index: int) -> None:
    p = only(chat(SYSTEM, message, ASSISTANT), "invalid_content_part")
    assert (p.severity, p.message_index) == (E, index)


def test_extra_top_level_key_warns() -> None:
    p = only(chat(SYSTEM, USER, ASSISTANT, metadata={"id": 1}), "extra_key")
    assert p.severity is W and "'metadata'" in p.message


def test_typo_next_to_messages_is_unexpected_key() -> None:
    p = only(chat(SYSTEM, USER, ASSISTANT, tool=[]), "unexpected_key")
    assert p.severity is E and "'tools'" in p.message


def test_near_duplicate_of_a_present_key_is_only_extra() -> None:
    assert only(chat(SYSTEM, USER, ASSISTANT, message=[]), "extra_key").severity is W


def test_missing_system_and_user_messages_warn() -> None:
    assert only(chat(USER, ASSISTANT), "missing_system_message").severity is W
    assert only(chat(SYSTEM, ASSISTANT), "missing_user_message").severity is W


@pytest.mark.parametrize("token", ["<|endoftext|>", "<|im_start|>", "<|fim_prefix|>"])
def test_special_token_text(token: str) -> None:
    raw = chat(SYSTEM, {"role": "user", "content": f"say {token} now"}, ASSISTANT)
    p = only(raw, "special_token_text")
    assert (p.severity, p.message_index) == (W, 1)
    assert token in p.message


def test_special_token_written_with_json_escapes() -> None:
    raw = chat(SYSTEM, USER, ASSISTANT).replace(b'"Hello."', b'"\\u003c|endoftext|>"')
    assert only(raw, "special_token_text").message_index == 2


def test_special_token_fully_escaped() -> None:
    escaped = b'"\\u003c\\u007Cim_start\\u007c>"'
    raw = chat(SYSTEM, USER, ASSISTANT).replace(b'"Hello."', escaped)
    assert b"|" not in raw
    assert "<|im_start|>" in only(raw, "special_token_text").message


def test_special_token_in_content_part_and_tools() -> None:
    parts = {"role": "user", "content": [{"type": "text", "text": "<|im_end|>"}]}
    assert only(chat(SYSTEM, parts, ASSISTANT), "special_token_text").message_index == 1
    tool = [{"type": "function", "function": {"name": "f", "description": "<|endoftext|>"}}]
    assert (
        only(chat(SYSTEM, USER, ASSISTANT, tools=tool), "special_token_text").message_index is None
    )


def test_lookalike_text_is_not_a_special_token() -> None:
    raw = chat(SYSTEM, {"role": "user", "content": "a <|b|> c | <| d"}, ASSISTANT)
    assert codes(raw) == []


# -- preference (DPO) --------------------------------------------------------------------------


def test_a_clean_preference_example() -> None:
    result = check_example(preference(), 2)
    assert result.problems == []
    assert result.format is DatasetFormat.PREFERENCE


def test_preference_with_tools_in_input() -> None:
    inp = {
        "messages": [USER],
        "tools": [{"type": "function", "function": {"name": "f"}}],
        "parallel_tool_calls": True,
    }
    assert codes(preference(inp=inp)) == []


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"preferred": []}, "0 items"),
        ({"preferred": [ASSISTANT, ASSISTANT]}, "2 items"),
        ({"preferred": ASSISTANT}, "wrap it in a list"),
        ({"non_preferred": [USER]}, "'user'"),
        ({"non_preferred": "text"}, "a string"),
    ],
)
def test_invalid_preference_output(kwargs: dict[str, Any], fragment: str) -> None:
    p = only(preference(**kwargs), "invalid_preference_output")
    assert p.severity is E and fragment in p.message


def test_missing_preference_output() -> None:
    raw = orjson.dumps({"input": {"messages": [USER]}, "preferred_output": [ASSISTANT]})
    p = only(raw, "invalid_preference_output")
    assert "non_preferred_output" in p.message


def test_preference_output_message_is_checked() -> None:
    p = only(preference(preferred=[{"role": "assistant", "content": None}]), "missing_content")
    assert p.message_index is None


def test_preference_input_must_hold_messages() -> None:
    assert only(preference(inp=[USER]), "missing_messages_list").severity is E
    assert only(preference(inp={"messages": []}), "missing_messages_list").severity is E


def test_preference_input_messages_checked_like_chat() -> None:
    p = only(preference(inp={"messages": [{"role": "usr", "content": "x"}]}), "unrecognized_role")
    assert p.message_index == 0


def test_preference_input_ending_with_assistant_warns() -> None:
    p = only(preference(inp={"messages": [USER, ASSISTANT]}), "input_ends_with_assistant")
    assert (p.severity, p.message_index) == (W, 1)


def test_preference_extra_keys() -> None:
    assert only(preference(metadata=1), "extra_key").severity is W
    inp = {"messages": [USER], "functions": []}
    assert "'input.functions'" in only(preference(inp=inp), "extra_key").message


def test_every_problem_message_is_one_readable_line() -> None:
    raw = chat(
        {"role": "developer", "content": None, "x": 1},
        {"role": 5, "content": [{"type": "zzz"}]},
        {"role": "assistant", "weight": 3, "tool_calls": 1},
        metadata=1,
    )
    problems = check_example(raw, 1).problems
    assert problems
    for p in problems:
        assert p.message and "\n" not in p.message and p.line == 1


def test_a_repeated_key_is_an_error_and_the_rest_is_still_checked() -> None:
    first = {
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]
    }
    raw = orjson.dumps(first)[:-1] + b', "messages": [{"role": "user", "content": "hi"}]}'
    problems = check_example(raw, 3).problems
    (duplicate,) = [p for p in problems if p.code == "duplicate_key"]
    assert duplicate.line == 3 and duplicate.message == (
        'the key "messages" appears twice in one object; the service would keep only the last'
    )
    # What the service would read, the last list, is checked too.
    assert "example_missing_assistant_message" in [p.code for p in problems]


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ('{"messages": [{"role": "user", "content": “Merhaba”}]}'.encode(), "curly quote"),
        (b"{'messages': []}", "single quotes"),
        (b'{"messages": [] "tools": []}', "a comma is missing"),
        (b'{"n": ' + b"1" * 5000 + b"}", "a number with too many digits (5,000)"),
        (b'{"a":' * 2000 + b"1" + b"}" * 2000, "nested too deeply"),
    ],
)
def test_invalid_json_names_the_likely_cause(raw: bytes, words: str) -> None:
    (problem,) = check_example(raw, 1).problems
    assert problem.code == "invalid_json" and words in problem.message
    assert problem.message.startswith("not valid JSON at column ")
