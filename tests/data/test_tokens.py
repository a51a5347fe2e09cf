"""Per-example token counts: the cookbook's rule, exact encodings, never an exception."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuner.data.catalog.choice import default_catalog
from tuner.data.tokens import count as tokens
from tuner.data.tokens.count import (
    ExampleTokens,
    TokenCounter,
    approximate_token_count,
    counter_for_model,
)
from tuner.data.tokens.encodings import EncodingUnavailable, load_encoding

TURKISH = (
    "Merhaba! Bugün hava nasıl? Çok güzel, teşekkür ederim. İstanbul'da yağmur yağıyor; "
    "şöyle böyle."
)


def exact(name: str) -> TokenCounter:
    return TokenCounter(load_encoding(name), approximate=False)


def by_formula(name: str, messages: list[dict[str, str]]) -> int:
    """The cookbook's loop, for all-string messages."""
    encoding = load_encoding(name)
    n = 3
    for message in messages:
        n += 3
        for key, value in message.items():
            n += len(encoding.encode(value, disallowed_special=()))
            if key == "name":
                n += 1
    return n


HAND_EXAMPLE = {
    "messages": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "What is 2+2?", "name": "alice"},
        {"role": "assistant", "content": "4"},
    ]
}


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
def test_hand_computed_example(name: str) -> None:
    # Both encodings: "system"/"user"/"assistant"/"alice"/"4" are 1 token each,
    # "You are a helpful assistant." is 6, "What is 2+2?" is 7.
    # 3 + (3 + 1 + 6) + (3 + 1 + 7 + 1 + 1 [name]) + (3 + 1 + 1) = 31
    assert exact(name).count_chat(HAND_EXAMPLE) == ExampleTokens(31, 1, 1)


@pytest.mark.parametrize(("name", "expected"), [("o200k_base", 34), ("cl100k_base", 49)])
def test_hand_computed_turkish(name: str, expected: int) -> None:
    # o200k_base: 27 tokens for the sentence, cl100k_base: 42; 3 + (3 + 1 + n).
    example = {"messages": [{"role": "user", "content": TURKISH}]}
    assert exact(name).count_chat(example).total == expected


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
@pytest.mark.parametrize(
    "messages",
    [
        [{"role": "user", "content": TURKISH}, {"role": "assistant", "content": "Güzel! 🌧️☔"}],
        [
            {"role": "system", "content": "Answer in Python."},
            {"role": "user", "content": "Squares?", "name": "dev_42"},
            {"role": "assistant", "content": "```python\nprint([i * i for i in range(10)])\n```"},
        ],
        [{"role": "user", "content": "emoji 😀🎉👩🏽‍💻 " * 20, "name": "Ayşe"}],
        [{"role": "user", "content": "Say <|endoftext|> and <|fim_middle|> <|endofprompt|>"}],
    ],
)
def test_counts_follow_the_cookbook(name: str, messages: list[dict[str, str]]) -> None:
    assert exact(name).count_chat({"messages": messages}).total == by_formula(name, messages)


def test_special_token_text_is_counted_as_text() -> None:
    counter = exact("o200k_base")
    example = {"messages": [{"role": "assistant", "content": "<|endoftext|>"}]}
    counts = counter.count_chat(example)
    assert counts.assistant == 7  # "<|endoftext|>" as plain text, not the one special token
    assert counts.total == 3 + 3 + 1 + 7


def test_assistant_and_trained_tokens() -> None:
    counter = exact("o200k_base")
    example = {
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "one two three", "weight": 0},
            {"role": "user", "content": "again"},
            {"role": "assistant", "content": "four five", "weight": 1},
        ]
    }
    counts = counter.count_chat(example)
    assert counts.assistant == 3 + 2
    assert counts.trained_assistant == 2
    # weight is a flag, not text: the same example without it counts the same total.
    unweighted = {
        "messages": [{k: v for k, v in m.items() if k != "weight"} for m in example["messages"]]
    }
    assert counter.count_chat(unweighted).total == counts.total


def test_content_parts_count_their_text_only() -> None:
    counter = exact("o200k_base")
    parts = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in"},
                    {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
                    {"type": "text", "text": " this picture?"},
                ],
            },
            {"role": "assistant", "content": [{"type": "text", "text": "A cat."}]},
        ]
    }
    plain = {
        "messages": [
            {"role": "user", "content": "What is in"},
            {"role": "user", "content": " this picture?"},
            {"role": "assistant", "content": "A cat."},
        ]
    }
    counts = counter.count_chat(parts)
    # The plain version has one more message (3 + role token) than the parts version.
    assert counts.total == counter.count_chat(plain).total - 4
    assert counts.assistant == counter.count_text("A cat.")


def test_tool_calls_and_tools_are_serialized_compactly() -> None:
    counter = exact("o200k_base")
    tool_calls = [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "İzmir"}'},
        }
    ]
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]
    example = {
        "messages": [
            {"role": "user", "content": "Weather?"},
            {"role": "assistant", "content": None, "tool_calls": tool_calls},
            {"role": "tool", "tool_call_id": "call_1", "content": "20°C"},
        ],
        "tools": tools,
    }
    compact = {"separators": (",", ":"), "ensure_ascii": False}
    expected = (
        3
        + (3 + 1 + counter.count_text("Weather?"))
        + (3 + 1 + counter.count_text(json.dumps(tool_calls, **compact)))
        + (3 + 1 + counter.count_text("call_1") + counter.count_text("20°C"))
        + counter.count_text(json.dumps(tools, **compact))
    )
    counts = counter.count_chat(example)
    assert counts.total == expected
    assert counts.assistant == 0  # the cookbook counts assistant *content*


@pytest.mark.parametrize(
    "example",
    [
        None,
        [],
        "text",
        {},
        {"messages": None},
        {"messages": "hello"},
        {"messages": [None, 3, "x"]},
        {"messages": [{"role": 5, "content": "hi"}]},
        {"messages": [{"role": "user"}]},
        {"messages": [{"role": "assistant", "content": 42, "weight": "yes"}]},
        {"messages": [{"role": "user", "content": [None, 1, {"type": "text", "text": 5}]}]},
        {"messages": [{"role": "user", "content": "x", "name": None}], "tools": "not a list"},
        {"messages": [{"role": "user", "content": "\ud800 lone surrogate"}]},
    ],
)
def test_malformed_examples_never_raise(example: object) -> None:
    for counter in (exact("o200k_base"), TokenCounter(None, approximate=True)):
        counts = counter.count_chat(example)
        assert counts.total >= 0
        counter.count_preference(example)


def test_malformed_counts_what_is_countable() -> None:
    counter = exact("o200k_base")
    assert counter.count_chat(None) == ExampleTokens(0, 0, 0)
    assert counter.count_chat({}).total == 3
    assert counter.count_chat({"messages": [{"role": "user"}]}).total == 3 + 3 + 1
    assert counter.count_chat({"messages": [{"role": 5, "content": "hi"}]}).total == 3 + 3 + 1


@settings(max_examples=60, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
    )
)
def test_arbitrary_json_never_raises(example: object) -> None:
    counter = exact("o200k_base")
    counter.count_chat(example)
    counter.count_chat({"messages": example})
    counter.count_chat({"messages": [example]})
    counter.count_preference({"input": example, "preferred_output": example})


def test_preference_example() -> None:
    counter = exact("o200k_base")
    example = {
        "input": {"messages": [{"role": "user", "content": "Hello?"}], "tools": []},
        "preferred_output": [{"role": "assistant", "content": "Hi there!"}],
        "non_preferred_output": [{"role": "assistant", "content": "What."}],
    }
    hi, what = counter.count_text("Hi there!"), counter.count_text("What.")
    counts = counter.count_preference(example)
    assert counts.total == 3 + (3 + 1 + counter.count_text("Hello?")) + (4 + hi) + (4 + what)
    assert counts.assistant == counts.trained_assistant == hi + what


def test_approximate_counter() -> None:
    counter = TokenCounter(None, approximate=False)
    assert counter.approximate  # no encoding is always approximate
    assert counter.encoding_name is None
    assert approximate_token_count("abcdefgh") == 2
    assert approximate_token_count("ş") == 1
    assert counter.count_chat({"messages": [{"role": "user", "content": "abcdefgh"}]}).total == 9


@pytest.mark.parametrize(
    ("model", "encoding", "base"),
    [
        ("ft:gpt-4o-mini-2024-07-18:org:suffix:id", "o200k_base", "gpt-4o-mini-2024-07-18"),
        (
            "ft:gpt-4o-mini-2024-07-18:org:suffix:id:ckpt-step-42",
            "o200k_base",
            "gpt-4o-mini-2024-07-18",
        ),
        ("ft:gpt-3.5-turbo-0125:org:suffix:abc123", "cl100k_base", "gpt-3.5-turbo-0125"),
        ("gpt-4.1-mini", "o200k_base", "gpt-4.1-mini-2025-04-14"),
    ],
)
def test_counter_for_known_models(model: str, encoding: str, base: str) -> None:
    counter, resolution = counter_for_model(model, default_catalog())
    assert counter.encoding_name == encoding
    assert not counter.approximate
    assert resolution.base_id == base
    assert resolution.notice is None


def test_counter_for_unknown_model_is_approximate_with_notice() -> None:
    counter, resolution = counter_for_model("llama-9-405b", default_catalog())
    assert counter.encoding_name == "o200k_base"
    assert counter.approximate
    assert resolution.info is None
    assert resolution.notice is not None and "estimate" in resolution.notice


def test_counter_for_known_family_is_exact_without_prices() -> None:
    counter, resolution = counter_for_model("gpt-4o-2099-01-01", default_catalog())
    assert (counter.encoding_name, counter.approximate) == ("o200k_base", False)
    assert resolution.info is None and "prices" in (resolution.notice or "")


def test_counter_without_any_vocabulary_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable(name: str, path: Path | None = None) -> None:
        raise EncodingUnavailable("the vocabulary is gone")

    monkeypatch.setattr(tokens, "load_counting_encoding", unavailable)
    counter, resolution = counter_for_model("gpt-4o-mini", default_catalog())
    assert counter.encoding is None and counter.approximate
    assert "the vocabulary is gone" in (resolution.notice or "")
    assert counter.count_chat(HAND_EXAMPLE).total > 0


def test_refused_user_file_falls_back_to_builtin(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tiktoken"
    bad.write_bytes(b"aGk= 0\n")
    counter, resolution = counter_for_model("gpt-4o-mini", default_catalog(), bad)
    assert counter.encoding_name == "o200k_base" and not counter.approximate
    assert str(bad) in (resolution.notice or "")


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base"])
def test_long_texts_are_counted_in_segments_exactly(name: str) -> None:
    """A 100 MB content must not become a 30-million-int list; the segments add up exactly."""
    from tuner.data.tokens.count import split_at_piece_starts

    enc = load_encoding(name)
    words = [
        "Merhaba",
        "dünya!",
        "  çift",
        "boşluk",
        "\n\nyeni",
        "satır",
        "can't",
        "12345",
        "ÇOK",
        "güzel.",
        "x" * 50,
        "<|endoftext|>",
        "naïve",
        "日本語",
        "  ",
        "\t",
        "ok",
    ]
    rng = random.Random(5)
    text = " ".join(rng.choice(words) for _ in range(40_000))
    parts = list(split_at_piece_starts(text, size=997))
    assert "".join(parts) == text and len(parts) > 100
    assert sum(len(enc.encode_ordinary(p)) for p in parts) == len(enc.encode_ordinary(text))
    assert list(split_at_piece_starts("a" * 5000, size=100)) == ["a" * 5000]  # no safe cut


def test_a_huge_content_is_counted_like_a_small_one() -> None:
    catalog = default_catalog()
    counter, _ = counter_for_model("gpt-4o-mini-2024-07-18", catalog)
    text = "kelime ve söz " * 200_000  # 2.8 M characters: the segmented path
    enc = load_encoding("o200k_base")
    assert counter.count_text(text) == len(enc.encode_ordinary(text))


def test_a_cap_keeps_counts_exact_below_it_and_stops_past_it() -> None:
    counter = exact("o200k_base")
    small = {"messages": [{"role": "user", "content": "Merhaba dünya " * 50}]}
    assert counter.count_chat(small, cap=65_536) == counter.count_chat(small)
    huge = {
        "messages": [
            {"role": "user", "content": "Q" * 20_000_000},  # one piece: no space, no digit
            {"role": "assistant", "content": "kısa"},
        ]
    }
    counts = counter.count_chat(huge, cap=65_536)
    assert counts.lower_bound and counts.total > 65_536


def test_messages_past_the_cap_are_not_counted() -> None:
    counter = exact("o200k_base")
    many = {"messages": [{"role": "user", "content": "kelime " * 300} for _ in range(2_000)]}
    capped = counter.count_chat(many, cap=1_000)
    assert capped.lower_bound and 1_000 < capped.total < counter.count_chat(many).total


def test_values_nested_deeper_than_orjson_writes_are_counted() -> None:
    deep: object = "x"
    for _ in range(600):
        deep = [deep]
    example = {"messages": [{"role": "assistant", "content": "ok", "tool_calls": deep}]}
    counts = exact("o200k_base").count_chat(example)
    assert counts.total > 600 // 8  # the brackets are counted, nothing raised


# -- Together's models and formats -------------------------------------------------------------


def test_counter_for_a_together_model_is_an_estimate_with_its_template() -> None:
    counter, resolution = counter_for_model(
        "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference", default_catalog("together")
    )
    assert counter.encoding_name == "cl100k_base" and counter.approximate
    assert counter.template.name == "llama3"
    assert resolution.notice is None  # a known model: the estimate is said by count_note
    assert resolution.count_note == (
        "estimated with cl100k_base: tuner has no Llama 3 tokenizer offline"
    )


def test_instruction_examples_count_prompt_and_completion() -> None:
    counter = exact("cl100k_base")
    enc = load_encoding("cl100k_base")
    example = {"prompt": "Translate: good morning", "completion": TURKISH}
    counts = counter.count_instruction(example)
    completion = len(enc.encode_ordinary(TURKISH))
    prompt = len(enc.encode_ordinary("Translate: good morning"))
    overhead = counter.template.text_overhead
    assert counts == ExampleTokens(overhead + prompt + completion, completion, completion)


def test_plain_text_examples_count_their_text() -> None:
    counter = exact("o200k_base")
    counts = counter.count_plain_text({"text": TURKISH})
    expected = counter.template.text_overhead + len(load_encoding("o200k_base").encode(TURKISH))
    assert counts == ExampleTokens(expected, 0, 0)


def test_instruction_and_text_never_raise_on_odd_values() -> None:
    counter = exact("cl100k_base")
    assert counter.count_instruction([1, 2]).total == 0
    assert counter.count_instruction({"prompt": 5, "completion": None}).total == 2
    assert counter.count_plain_text({"text": [{"type": "text", "text": "hi"}]}).total == 3


def test_a_long_text_example_stops_at_the_cap() -> None:
    counter = exact("cl100k_base")
    counts = counter.count_plain_text({"text": "word " * 400_000}, cap=1_000)
    assert counts.lower_bound and counts.total > 1_000
