"""The example preview: turns, tools, weights, images, preference examples, raw and bad lines."""

from __future__ import annotations

import io
import json

from rich.console import Console

from tuner.data.rules.problems import error
from tuner.ui.widgets.conversation import RAW_LIMIT, build_preview


def render(renderable, width: int = 80) -> str:
    console = Console(width=width, record=True, color_system=None, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def line(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


TOOLS_EXAMPLE = {
    "tools": [{"type": "function", "function": {"name": "get_order", "parameters": {}}}],
    "messages": [
        {"role": "system", "content": "You look orders up."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Where is this parcel?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * 3000}},
            ],
        },
        {
            "role": "assistant",
            "weight": 0,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_order", "arguments": '{"id": "LM-1"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": '{"status": "shipped"}'},
        {"role": "assistant", "content": "It has shipped. " + "Long words wrap. " * 30},
    ],
}


def test_chat_turns_tools_weights_and_images() -> None:
    raw = line(TOOLS_EXAMPLE)
    text = render(build_preview(4, raw, len(raw), tokens=321))
    assert "line 4 · 321 tokens · chat · 5 messages" in text
    assert "TOOLS" in text and "get_order" in text
    assert "SYSTEM" in text and "You look orders up." in text
    assert "[image: inline data, 3.0 KB]" in text
    assert "weight 0 · not trained" in text
    assert '→ get_order({"id": "LM-1"})  [call_1]' in text
    assert "result of call_1" in text and '{"status": "shipped"}' in text
    # A long turn is wrapped, never cut: every repetition is there.
    assert text.count("Long words wrap.") == 30


def test_preference_example_shows_input_preferred_and_rejected() -> None:
    raw = line(
        {
            "input": {"messages": [{"role": "user", "content": "Tea?"}]},
            "preferred_output": [{"role": "assistant", "content": "Yes, please."}],
            "non_preferred_output": [{"role": "assistant", "content": "No."}],
        }
    )
    text = render(build_preview(1, raw, len(raw)))
    assert "preference (DPO)" in text
    order = [
        text.index(word) for word in ("INPUT", "Tea?", "PREFERRED", "Yes, please.", "REJECTED")
    ]
    assert order == sorted(order)


def test_raw_view_is_pretty_json() -> None:
    raw = line(TOOLS_EXAMPLE)
    text = render(build_preview(1, raw, len(raw), show_raw=True))
    assert '  "messages": [' in text and "raw JSON" in text


def test_bad_lines_show_problem_and_text() -> None:
    raw = b'{"messages": [oops'
    problem = error("invalid_json", "not valid JSON at column 15", 3)
    text = render(build_preview(3, raw, len(raw), [problem]))
    assert "✗ invalid_json: not valid JSON at column 15" in text
    assert '{"messages": [oops' in text
    assert "not valid JSON" in render(build_preview(3, b"[1, 2", 5))
    assert "not UTF-8" in render(build_preview(3, b'{"a": "\xff"}', 10))
    assert "blank line" in render(build_preview(3, b"  ", 2))
    assert "not an example" in render(build_preview(3, b"[1, 2]", 6))


def test_huge_line_shows_its_start_and_how_much_is_left() -> None:
    head = b'{"messages": [{"role": "user", "content": "' + b"x" * RAW_LIMIT
    total = 100_000_000
    text = render(build_preview(1, head, total))
    assert "line 1 · 100 MB" in text
    assert "MB more)" in text
    assert len(text) < 2 * RAW_LIMIT
