"""Each family's template figures give the count of the example rendered by that template."""

from __future__ import annotations

import re

import pytest

from tuner.data.catalog.chat_templates import (
    CHAT_TEMPLATES,
    LLAMA3_TEMPLATE,
    OPENAI_TEMPLATE,
    QWEN25_TEMPLATE,
    chat_template,
)
from tuner.data.tokens.count import TokenCounter
from tuner.data.tokens.encodings import load_encoding

SPECIAL = re.compile(
    r"<\|begin_of_text\|>|<\|start_header_id\|>|<\|end_header_id\|>|<\|eot_id\|>"
    r"|<\|im_start\|>|<\|im_end\|>"
)
SYSTEM = {"role": "system", "content": "You answer in one sentence."}
TURNS = [
    {"role": "user", "content": "Where is my order 4521?"},
    {"role": "assistant", "content": "It left the depot this morning."},
    {"role": "user", "content": "Thanks!"},
    {"role": "assistant", "content": "You're welcome."},
]


def rendered_tokens(text: str) -> int:
    """Tokens of a rendered template: each control token is one, the text between is cl100k's."""
    enc = load_encoding("cl100k_base")
    pieces = SPECIAL.split(text)
    return len(SPECIAL.findall(text)) + sum(len(enc.encode_ordinary(p)) for p in pieces)


def llama31(messages: list[dict[str, str]]) -> str:
    """Meta's Llama 3.1 template, for messages without tools."""
    system = messages[0]["content"] if messages[0]["role"] == "system" else ""
    rest = messages[1:] if messages[0]["role"] == "system" else messages
    out = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
    out += "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
    out += system + "<|eot_id|>"
    for m in rest:
        out += f"<|start_header_id|>{m['role']}<|end_header_id|>\n\n{m['content']}<|eot_id|>"
    return out


def qwen25(messages: list[dict[str, str]]) -> str:
    """Qwen 2.5's ChatML template, for messages without tools."""
    out = ""
    if messages[0]["role"] != "system":
        out += (
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful "
            "assistant.<|im_end|>\n"
        )
    for m in messages:
        out += f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n"
    return out


@pytest.mark.parametrize("system", [True, False])
@pytest.mark.parametrize(
    ("template", "render"), [(LLAMA3_TEMPLATE, llama31), (QWEN25_TEMPLATE, qwen25)]
)
def test_a_template_counts_what_it_renders(template, render, system: bool) -> None:
    messages = ([SYSTEM] if system else []) + TURNS
    counter = TokenCounter(load_encoding("cl100k_base"), approximate=True, template=template)
    assert counter.count_chat({"messages": messages}).total == rendered_tokens(render(messages))


def test_open_templates_do_not_render_a_name() -> None:
    counter = TokenCounter(load_encoding("cl100k_base"), True, template=LLAMA3_TEMPLATE)
    plain = {"messages": [SYSTEM, *TURNS]}
    named = {"messages": [SYSTEM, {**TURNS[0], "name": "Ayşe"}, *TURNS[1:]]}
    assert counter.count_chat(named).total == counter.count_chat(plain).total


def test_openai_figures_are_the_cookbooks() -> None:
    assert (OPENAI_TEMPLATE.per_example, OPENAI_TEMPLATE.per_message) == (3, 3)
    assert OPENAI_TEMPLATE.per_name == 1 and OPENAI_TEMPLATE.default_system is None


def test_lookup() -> None:
    assert set(CHAT_TEMPLATES) == {"openai", "llama3", "qwen2.5"}
    assert chat_template("llama3") is LLAMA3_TEMPLATE
    assert chat_template(None) is OPENAI_TEMPLATE
    assert chat_template("unknown") is OPENAI_TEMPLATE
