"""One-line summaries of examples for the list rows: roles, first user words, bad lines."""

from __future__ import annotations

import json

from tuner.data.durations import format_size
from tuner.data.summary import MAX_SUMMARY_BYTES, summarise_line


def line(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


def test_chat_roles_and_first_user_words() -> None:
    s = summarise_line(
        line(
            {
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Where is\n my   order?"},
                    {"role": "assistant", "content": "On its way."},
                    {"role": "user", "content": "Thanks"},
                    {"role": "assistant", "content": "You're welcome."},
                ]
            }
        )
    )
    assert s.roles == "S U A U A"
    assert s.text == "Where is my order?"
    assert not s.bad


def test_content_parts_tools_and_unknown_roles() -> None:
    s = summarise_line(
        line(
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": "What is this?"},
                            {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
                        ],
                    },
                    {"role": "assistant", "tool_calls": []},
                    {"role": "tool", "content": "{}"},
                    {"role": "wizard"},
                    "oops",
                ]
            }
        )
    )
    assert s.roles == "U A T ? ?"
    assert s.text == "What is this? [image]"


def test_preference_example() -> None:
    s = summarise_line(
        line(
            {
                "input": {"messages": [{"role": "user", "content": "Hi"}]},
                "preferred_output": [{"role": "assistant", "content": "Hello!"}],
                "non_preferred_output": [{"role": "assistant", "content": "What."}],
            }
        )
    )
    assert s.roles == "U → A|A"
    assert s.text == "Hi"


def test_bad_lines_are_summaries_not_exceptions() -> None:
    assert summarise_line(b"").blank
    assert summarise_line(b"   ").blank
    assert summarise_line(b'{"messages": [').text.startswith("(not valid JSON)")
    assert summarise_line(b'{"x": "\xff"}').text == "(not UTF-8)"
    assert summarise_line(b"[1, 2]").text == "(a JSON array, not an object)"
    assert summarise_line(b'{"prompt": "a"}').text == "(no messages: prompt)"
    assert summarise_line(b'{"messages": []}').bad
    assert summarise_line(b"\xef\xbb\xbf" + line({"messages": [{"role": "user"}]})).roles == "U"


def test_huge_line_is_not_parsed() -> None:
    s = summarise_line(b"x" * (MAX_SUMMARY_BYTES + 1))
    assert s.bad and "not summarised" in s.text


def test_format_size() -> None:
    assert format_size(812) == "812 B"
    assert format_size(3_400) == "3.4 KB"
    assert format_size(100_000_000) == "100 MB"
    assert format_size(1_200_000_000) == "1.2 GB"


def test_deep_nesting_is_summarised_as_such() -> None:
    deep = b'{"a":' * 3000 + b"1" + b"}" * 3000
    summary = summarise_line(deep)
    assert summary.bad and summary.text.startswith("(not valid JSON: nested too deeply)")
    assert summarise_line(b"[" * 3000 + b"]" * 3000).text.startswith(
        "(not valid JSON: nested too deeply)"
    )


def test_together_instruction_and_text_rows() -> None:
    instruction = line({"prompt": "Translate:\n  good   morning", "completion": "günaydın"})
    row = summarise_line(instruction, "together")
    assert (row.roles, row.text, row.bad) == ("P → C", "Translate: good morning", False)
    plain = summarise_line(line({"text": "Once upon a time."}), "together")
    assert (plain.roles, plain.text, plain.bad) == ("T", "Once upon a time.", False)
    assert summarise_line(instruction).bad  # not an example OpenAI takes
    assert summarise_line(instruction, "azure").bad
