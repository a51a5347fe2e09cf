"""The tokens a chat template adds around an example's messages, by model family.

A training example is not billed as the bare text of its messages: the service renders it with
the model's chat template first, and the markup counts. Each figure here is read off the
family's published template, and tuner counts the template's literal texts (a preamble, a
default system prompt) with the same encoding as the messages.

- `openai`: OpenAI's cookbook ("Data preparation and analysis for chat model fine-tuning"):
  3 per example (the reply's priming), 3 per message besides its role's own tokens, 1 for a
  `name`. tuner also uses it for the open models whose template it does not model (Mistral,
  gpt-oss), which the catalog says.
- `llama3`: Meta's Llama 3.1 template (`tokenizer_config.json` of meta-llama/Llama-3.1-8B-
  Instruct): `<|begin_of_text|>` once; each message is
  `<|start_header_id|>ROLE<|end_header_id|>\\n\\nCONTENT<|eot_id|>` (4 tokens besides the
  role's); the system block is always written, with "Cutting Knowledge Date: December 2023\\n
  Today Date: 26 Jul 2024\\n\\n" before the system prompt, even when the example has none; a
  message's `name` is not rendered.
- `qwen2.5`: Qwen 2.5's ChatML template: each message is `<|im_start|>ROLE\\nCONTENT<|im_end|>\\n`
  (4 tokens besides the role's), no start-of-text token, and an example that does not begin with
  a system message gets "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."
  as one; `name` is not rendered.

Tools are counted as compact JSON whatever the family (each template wraps them in its own
prose, which tuner does not reproduce). Instruction (`prompt`/`completion`) and plain-text
examples have no template: they are counted as their text plus `text_overhead` (the start- and
end-of-text tokens a tokenizer adds: Llama 3 adds both, Qwen only the end), an assumption, as
Together does not document it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChatTemplate:
    """What one family's chat template adds to an example, in tokens or in text to count.

    `default_system` is the system message the template writes when an example does not start
    with one ("" for a block with no text), None when it writes none. `system_preamble` is text
    written into every example's system block.
    """

    name: str
    description: str
    per_example: int
    per_message: int
    per_name: int
    renders_name: bool = True
    system_preamble: str = ""
    default_system: str | None = None
    text_overhead: int = 2


OPENAI_TEMPLATE = ChatTemplate(
    "openai", "OpenAI's cookbook figures", per_example=3, per_message=3, per_name=1
)
LLAMA3_TEMPLATE = ChatTemplate(
    "llama3",
    "Llama 3.1's chat template",
    per_example=1,
    per_message=4,
    per_name=0,
    renders_name=False,
    system_preamble="Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n",
    default_system="",
    text_overhead=2,
)
QWEN25_TEMPLATE = ChatTemplate(
    "qwen2.5",
    "Qwen 2.5's chat template",
    per_example=0,
    per_message=4,
    per_name=0,
    renders_name=False,
    default_system="You are Qwen, created by Alibaba Cloud. You are a helpful assistant.",
    text_overhead=1,
)

CHAT_TEMPLATES: dict[str, ChatTemplate] = {
    t.name: t for t in (OPENAI_TEMPLATE, LLAMA3_TEMPLATE, QWEN25_TEMPLATE)
}


def chat_template(name: str | None) -> ChatTemplate:
    """The template called `name`; OpenAI's figures for None or a name tuner does not know."""
    if name is None:
        return OPENAI_TEMPLATE
    return CHAT_TEMPLATES.get(name, OPENAI_TEMPLATE)
