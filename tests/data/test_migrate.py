"""Converting a training file for another service: every conversion, what is left out and why,
the change log, streaming, and the property that matters: what is written passes the target's
rules, and a line nothing had to change is written byte for byte."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuner.data.analysis.analyse import analyse_file
from tuner.data.catalog.choice import default_catalog
from tuner.data.migrate.convert import (
    ConversionCancelled,
    ConversionTarget,
    convert_file,
    convert_line,
)
from tuner.data.migrate.notes import MESSAGES, ChangeLog, LineNotes
from tuner.data.rules.check import check_example

LLAMA = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
GPT = "gpt-4o-mini-2024-07-18"
TOGETHER = ConversionTarget("together", LLAMA, default_catalog("together"))
OPENAI = ConversionTarget("openai", GPT, default_catalog("openai"))
IMAGE = "data:image/png;base64,iVBORw0KGgo="


def line(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def convert(obj: Any, target: ConversionTarget = TOGETHER) -> tuple[Any, LineNotes]:
    data, notes = convert_line(line(obj), 7, target)
    return (orjson.loads(data) if data is not None else None), notes


def chat(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"messages": list(messages), **extra}


def sys_(text: str = "Be brief.", **extra: Any) -> dict[str, Any]:
    return {"role": "system", "content": text, **extra}


def user(text: Any = "Hi?", **extra: Any) -> dict[str, Any]:
    return {"role": "user", "content": text, **extra}


def bot(text: Any = "Hello.", **extra: Any) -> dict[str, Any]:
    return {"role": "assistant", "content": text, **extra}


def passes(data: Any, target: ConversionTarget = TOGETHER) -> bool:
    check = check_example(orjson.dumps(data), 1, target.service)
    return not [p for p in check.problems if p.is_error]


# -- toward Together AI --------------------------------------------------------------------------


def test_a_clean_line_is_written_byte_for_byte() -> None:
    raw = (
        b'{"messages": [ {"role": "user", "content": "Hi?"},  '
        b'{"role": "assistant", "content": "Hello."} ]}'
    )
    data, notes = convert_line(raw, 1, TOGETHER)
    assert data == raw + b"\n" and not notes.changed


def test_name_is_removed_and_said() -> None:
    out, notes = convert(chat(sys_(), user(name="ayse"), bot(name="bot")))
    assert out == chat(sys_(), user(), bot())
    assert notes.codes == ["name_dropped"] and passes(out)


def test_a_refusal_without_content_becomes_the_content() -> None:
    out, notes = convert(chat(user(), bot(None, refusal="I can't help with that.")))
    assert out["messages"][1] == bot("I can't help with that.")
    assert notes.codes == ["refusal_to_content"] and passes(out)


def test_a_refusal_beside_content_is_removed() -> None:
    out, notes = convert(chat(user(), bot("Sure.", refusal="no")))
    assert out["messages"][1] == bot("Sure.") and notes.codes == ["refusal_dropped"]


def test_refusal_parts_become_text() -> None:
    parts = [{"type": "refusal", "refusal": "No."}]
    out, notes = convert(chat(user(), bot(parts)))
    # A text-only part list is then plain text, as Together wants without images.
    assert out["messages"][1] == bot("No.")
    assert notes.codes == ["refusal_parts_to_text", "parts_to_text"] and passes(out)


def test_legacy_function_calls_become_tool_calls() -> None:
    call = {"name": "weather", "arguments": '{"city": "Izmir"}'}
    functions = [{"name": "weather", "parameters": {"type": "object"}}]
    example = chat(
        user("Weather in Izmir?"),
        bot(None, function_call=call),
        {"role": "function", "name": "weather", "content": '{"temp": 21}'},
        bot("21 degrees."),
        functions=functions,
    )
    out, notes = convert(example)
    assert out == chat(
        user("Weather in Izmir?"),
        bot(
            None,
            tool_calls=[
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "weather", "arguments": '{"city": "Izmir"}'},
                }
            ],
        ),
        {"role": "tool", "content": '{"temp": 21}', "tool_call_id": "call_1"},
        bot("21 degrees."),
        tools=[{"type": "function", "function": functions[0]}],
    )
    assert set(notes.codes) == {"functions_to_tools", "function_call_to_tool_calls"}
    assert passes(out)


def test_keys_together_does_not_read_are_removed() -> None:
    out, notes = convert(chat(user(), bot(), parallel_tool_calls=False, source="crm"))
    assert out == chat(user(), bot())
    assert notes.codes == ["parallel_tool_calls_dropped", "extra_key_dropped"]
    assert notes.details["extra_key_dropped"] == "'source'"


def test_several_system_messages_are_merged_first() -> None:
    out, notes = convert(chat(sys_("A."), user("1"), bot("2"), sys_("B."), user("3"), bot("4")))
    assert out == chat(sys_("A.\n\nB."), user("1"), bot("2"), user("3"), bot("4"))
    assert notes.codes == ["system_merged"] and passes(out)


def test_a_late_system_message_is_moved_first_and_turns_merged() -> None:
    out, notes = convert(chat(user("1"), sys_("S."), user("2"), bot("3")))
    assert out == chat(sys_("S."), user("1\n\n2"), bot("3"))
    assert notes.codes == ["system_moved", "turns_merged"] and passes(out)


def test_consecutive_replies_trained_alike_are_merged() -> None:
    out, notes = convert(chat(user(), bot("a"), bot("b")))
    assert out == chat(user(), bot("a\n\nb")) and notes.codes == ["turns_merged"]


def test_replies_trained_differently_cannot_be_merged_and_are_left_out() -> None:
    data, notes = convert_line(line(chat(user(), bot("a", weight=0), bot("b"))), 3, TOGETHER)
    assert data is None and notes.dropped == "refused_by_target"
    assert (
        "line 3: message 2 (assistant) follows another assistant"
        in notes.details["refused_by_target"]
    )


def test_a_weighted_reply_gives_the_inputs_weight_0() -> None:
    out, notes = convert(chat(sys_(), user("1"), bot("2", weight=0), user("3"), bot("4")))
    assert out == chat(
        sys_(weight=0), user("1", weight=0), bot("2", weight=0), user("3", weight=0), bot("4")
    )
    assert notes.codes == ["inputs_weighted"] and passes(out)
    # What Together then trains is what OpenAI trained: the one unweighted reply.
    problems = check_example(orjson.dumps(out), 1, "together").problems
    assert "inputs_trained" not in {p.code for p in problems}


def test_images_make_every_content_a_part_list() -> None:
    parts = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": IMAGE}},
    ]
    out, notes = convert(chat(sys_(), user(parts), bot("A cat.")))
    assert out["messages"][0]["content"] == [{"type": "text", "text": "Be brief."}]
    assert out["messages"][1]["content"] == parts
    assert out["messages"][2]["content"] == [{"type": "text", "text": "A cat."}]
    assert notes.codes == ["content_to_parts"] and passes(out)


def test_an_image_link_leaves_the_example_out() -> None:
    parts = [{"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]
    out, notes = convert(chat(user(parts), bot()))
    assert out is None and notes.dropped == "image_links"


def test_images_for_a_model_without_vision_leave_the_example_out() -> None:
    blind = ConversionTarget("together", LLAMA, default_catalog("together"), images=False)
    parts = [{"type": "image_url", "image_url": {"url": IMAGE}}]
    out, notes = convert(chat(user(parts), bot()), blind)
    assert out is None and notes.dropped == "images_unsupported"


def test_tools_for_a_model_without_tools() -> None:
    plain = ConversionTarget("together", LLAMA, default_catalog("together"), tools=False)
    tools = [{"type": "function", "function": {"name": "f"}}]
    call = [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    calling = chat(
        user(),
        bot(None, tool_calls=call),
        {"role": "tool", "content": "1", "tool_call_id": "c"},
        bot("1"),
        tools=tools,
    )
    out, notes = convert(calling, plain)
    assert out is None and notes.dropped == "tools_unsupported"
    out, notes = convert(chat(user(), bot(), tools=tools), plain)
    assert out == chat(user(), bot()) and notes.codes == ["tools_dropped"]


def test_an_empty_tools_list_is_removed() -> None:
    out, notes = convert(chat(user(), bot(), tools=[]))
    assert out == chat(user(), bot()) and notes.codes == ["empty_tools_dropped"]


def test_preference_examples() -> None:
    example = {
        "input": {"messages": [sys_(), user(name="u"), bot("x", weight=1), user("again")]},
        "preferred_output": [bot(None, refusal="No.")],
        "non_preferred_output": [bot("Sure!", name="b")],
    }
    out, notes = convert(example)
    assert out == {
        "input": {"messages": [sys_(), user(), bot("x"), user("again")]},
        "preferred_output": [bot("No.")],
        "non_preferred_output": [bot("Sure!")],
    }
    assert set(notes.codes) == {"name_dropped", "preference_weight_dropped", "refusal_to_content"}
    assert passes(out)


def test_a_preference_input_ending_with_a_reply_is_left_out_with_together_s_reason() -> None:
    example = {
        "input": {"messages": [user(), bot()]},
        "preferred_output": [bot("a")],
        "non_preferred_output": [bot("b")],
    }
    out, notes = convert(example)
    assert out is None and notes.dropped == "refused_by_target"
    assert "ends with an assistant message" in notes.details["refused_by_target"]


def test_an_example_over_the_limit_is_left_out() -> None:
    short = ConversionTarget("together", LLAMA, default_catalog("together"), token_limit=50)
    out, notes = convert(chat(user("word " * 200), bot()), short)
    assert out is None and notes.dropped == "over_token_limit"
    assert notes.details["over_token_limit"].startswith("line 7 has ")
    detail = notes.details["over_token_limit"]
    assert "tuner's estimate" in detail and detail.endswith("over the limit of 50")
    kept, _ = convert(chat(user("short"), bot()), short)
    assert kept is not None


def test_blank_and_broken_lines_are_left_out() -> None:
    assert convert_line(b"   ", 1, TOGETHER)[1].dropped == "blank_line"
    data, notes = convert_line(b'{"messages": [', 2, TOGETHER)
    assert data is None and notes.details["invalid_line"] == "line 2 is not valid JSON"
    data, notes = convert_line(b"[1, 2]", 3, TOGETHER)
    assert data is None and notes.details["invalid_line"] == "line 3 is a JSON array"


# -- toward OpenAI -------------------------------------------------------------------------------


def test_instruction_examples_become_a_conversation() -> None:
    out, notes = convert({"prompt": "2+2?", "completion": "4"}, OPENAI)
    assert out == chat(user("2+2?"), bot("4"))
    assert notes.codes == ["instruction_to_messages"] and passes(out, OPENAI)


def test_plain_text_examples_are_left_out() -> None:
    out, notes = convert({"text": "Once upon a time"}, OPENAI)
    assert out is None and notes.dropped == "text_not_convertible"


def test_input_weights_toward_openai() -> None:
    out, notes = convert(chat(sys_(weight=0), user(weight=0), bot(weight=1)), OPENAI)
    assert out == chat(sys_(), user(), bot(weight=1))
    assert notes.codes == ["input_weights_dropped"] and passes(out, OPENAI)
    from_together = ConversionTarget("openai", GPT, default_catalog("openai"), source="together")
    out, notes = convert(chat(sys_(), user(weight=1), bot(weight=1)), from_together)
    assert out == chat(sys_(), user(), bot(weight=1))
    # Together trained the user message (weight 1) and the system one (no weight beside weights).
    assert notes.codes == ["input_training_lost"]


def test_tool_calls_get_ids_toward_openai() -> None:
    call = {"type": "function", "function": {"name": "f", "arguments": "{}"}}
    example = chat(
        user(),
        bot(None, tool_calls=[call, call]),
        {"role": "tool", "content": "1"},
        {"role": "tool", "content": "2"},
        bot("done"),
        tools=[{"type": "function", "function": {"name": "f"}}],
    )
    out, notes = convert(example, OPENAI)
    ids = [c["id"] for c in out["messages"][1]["tool_calls"]]
    assert ids == ["call_1", "call_2"]
    assert [m.get("tool_call_id") for m in out["messages"][2:4]] == ids
    assert notes.codes == ["tool_call_ids_added"] and passes(out, OPENAI)


def test_an_openai_file_is_unchanged_toward_openai() -> None:
    raw = line(chat(sys_(), user(name="x"), bot(weight=0), user(), bot()))
    data, notes = convert_line(raw, 1, OPENAI)
    assert data == raw + b"\n" and not notes.changed


# -- the change log ------------------------------------------------------------------------------


def test_the_log_keeps_five_lines_and_the_count() -> None:
    log = ChangeLog(target="Together AI", model=LLAMA)
    for number in range(1, 13):
        notes = LineNotes()
        notes.add("name_dropped")
        log.record(number, notes)
    dropped = LineNotes()
    dropped.add("name_dropped")
    dropped.drop("refused_by_target", "line 20: bad")
    log.record(20, dropped)  # left out: counts only for why
    first, second = log.changes()
    assert first.code == "name_dropped" and first.lines == (1, 2, 3, 4, 5)
    assert first.count == 12 and first.where() == "lines 1, 2, 3, 4, 5 and 7 more"
    assert "Together AI's chat templates" in first.message and not first.dropped
    assert (
        second.dropped and second.where() == "line 20" and "(first: line 20: bad)" in second.message
    )


def test_every_message_reads_with_its_context() -> None:
    for code, (sentence, _) in MESSAGES.items():
        text = sentence.format(target="Together AI", model=LLAMA, detail="x")
        assert "{" not in text and "}" not in text and not text.endswith("."), code


# -- whole files ---------------------------------------------------------------------------------


def write(path: Path, rows: list[Any]) -> Path:
    path.write_bytes(b"".join(line(row) + b"\n" for row in rows))
    return path


def test_convert_file_streams_says_every_change_and_passes_the_rules(tmp_path: Path) -> None:
    rows = [chat(sys_(), user(f"q{i}", name="n"), bot(f"a{i}")) for i in range(12)]
    rows[3] = chat(user(), bot("a", weight=0), bot("b"))  # cannot be converted
    rows[5] = {"text": "raw"}  # Together takes it, but the file mixes formats: left as is
    src = write(tmp_path / "train.jsonl", rows)
    src.write_bytes(src.read_bytes() + b"\n")  # a blank line at the end
    dst = tmp_path / "out.jsonl"
    seen: list[tuple[int, int]] = []

    result = convert_file(src, dst, TOGETHER, progress=lambda d, t: seen.append((d, t)))

    assert result.examples_in == 12 and result.examples_out == 11 and result.dropped == 1
    assert result.sha256 == hashlib.sha256(dst.read_bytes()).hexdigest()
    assert seen[-1] == (src.stat().st_size, src.stat().st_size)
    codes = {c.code: c for c in result.changes}
    assert codes["name_dropped"].count == 10 and codes["name_dropped"].lines == (1, 2, 3, 5, 7)
    assert codes["refused_by_target"].lines == (4,)
    assert codes["blank_line"].lines == (13,)
    assert result.token_note is not None  # Llama's tokens are estimated
    # The mixed formats are a file-level matter: the analysis of the output names them.
    report = analyse_file(dst, LLAMA, service="together", catalog=default_catalog("together"))
    assert [p.code for p in report.errors] == ["mixed_formats"]


def test_an_interrupted_conversion_leaves_no_output(tmp_path: Path) -> None:
    import threading

    src = write(tmp_path / "train.jsonl", [chat(user(), bot())] * 3)
    stop = threading.Event()
    stop.set()
    with pytest.raises(ConversionCancelled):
        convert_file(src, tmp_path / "out.jsonl", TOGETHER, cancel=stop)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.jsonl"]


# -- properties ----------------------------------------------------------------------------------

texts = st.text(max_size=12)
contents = texts | st.lists(
    st.fixed_dictionaries({"type": st.just("text"), "text": texts}), min_size=1, max_size=2
)
optional = {
    "name": st.sampled_from(["a", "b"]),
    "weight": st.sampled_from([0, 1]),
    "refusal": texts,
}
messages = st.builds(
    lambda role, content, extra: {"role": role, "content": content, **extra},
    st.sampled_from(["system", "user", "assistant", "user", "assistant"]),
    contents | st.none(),
    st.fixed_dictionaries({}, optional=optional),
)
examples = st.builds(
    lambda msgs, extra: {"messages": msgs, **extra},
    st.lists(messages, min_size=1, max_size=6),
    st.fixed_dictionaries(
        {}, optional={"parallel_tool_calls": st.booleans(), "extra": texts, "tools": st.just([])}
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(examples, st.sampled_from([TOGETHER, OPENAI]))
def test_what_is_written_passes_the_target_s_rules(example: Any, target: ConversionTarget) -> None:
    raw = line(example)
    data, notes = convert_line(raw, 1, target)
    if data is None:
        assert notes.dropped is not None  # never left out in silence
        return
    check = check_example(data, 1, target.service)
    assert not [p for p in check.problems if p.is_error], check.problems
    if not notes.changed:
        assert data == raw + b"\n"  # nothing said, nothing changed


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            ["messages", "input", "prompt", "text", "tools", "functions", "preferred_output"]
        ),
        json_values,
        max_size=4,
    )
)
def test_any_object_is_converted_or_left_out_never_raises(obj: Any) -> None:
    for target in (TOGETHER, OPENAI):
        data, notes = convert_line(line(obj), 1, target)
        assert (data is None) == (notes.dropped is not None)
