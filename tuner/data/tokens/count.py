"""Token counts per training example, the way OpenAI's data-preparation guidance computes them.

(Together's models are counted the same way with their family's template figures instead of
the cookbook's: see `chat_templates` for the figures and `together_catalog` for the encodings.)

The cookbook "Data preparation and analysis for chat model fine-tuning" counts an example as

    3 (priming) + for each message: 3 + len(encode(value)) for every value + 1 if it has a name

where "every value" includes the role string (`"user"` is one token). It assumes every value is
a string; real files are not so tidy, so tuner decides, and the rule is the same everywhere:

- a string value is encoded as plain text: special-token strings such as `<|endoftext|>` are
  counted as the text they are (`encode_ordinary`), never refused;
- `content` given as a list of parts counts the `text` of its text parts (and bare strings);
  image, audio and file parts count 0 here — the service prices them separately;
- `weight`, and any number, boolean or null, counts 0 (it is a training flag, not text);
- any other dict or list (`tool_calls`, `function_call`, `audio`, ...) is serialized as compact
  JSON and encoded, a close over-estimate of how the service renders it;
- a message with a `name` key gets the cookbook's extra token;
- top-level `tools` / `functions` are serialized as compact JSON and added once per example.

Together's instruction examples (`prompt`, `completion`) and plain-text ones (`text`) have no chat
template: their text, plus the template's `text_overhead`; a completion counts as the assistant
part (it is what is trained), plain text has none.

`assistant` is the cookbook's `num_assistant_tokens`: the tokens of assistant messages' content
(text only). `trained_assistant` is the same over assistant messages whose `weight` is not 0.

Huge examples: given its model's per-example limit as `cap`, `count_chat` counts exactly up to
it and then stops (`ExampleTokens.lower_bound`): past the limit the service cuts the example
anyway, and a 200 MB line with no spaces must not take minutes and gigabytes to say so
(`token_segments` explains how long texts are cut and bounded).

Counting never raises on a malformed example: the validator reports what is wrong, this counts
what is countable (a message that is not an object counts nothing).

Speed: one `encode_ordinary` call per string. Measured on 10,000 system/user/assistant examples
of ~400 tokens, it counts ~19,500 examples/s with o200k_base; `encode_ordinary_batch` (a thread
pool per call) was 5-15x slower, per example or over the whole set.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import tiktoken

from tuner.data.catalog.chat_templates import OPENAI_TEMPLATE, ChatTemplate, chat_template
from tuner.data.catalog.lookup import Catalog, encoding_name_for
from tuner.data.catalog.models import Resolution
from tuner.data.jsonl.json_values import compact_json
from tuner.data.tokens.encodings import EncodingUnavailable, load_counting_encoding, max_token_bytes
from tuner.data.tokens.segments import SEGMENT_CHARS, count_within, split_at_piece_starts

__all__ = [
    "UNKNOWN_LIMIT_CAP",
    "ExampleTokens",
    "TokenCounter",
    "approximate_token_count",
    "counter_for_model",
    "split_at_piece_starts",
]

_TOOL_KEYS = ("tools", "functions")

# For a model with no published per-example limit, counting stops exactly past this many tokens
# per example (the figure is then a lower bound, and said to be one).
UNKNOWN_LIMIT_CAP = 1_000_000
_NO_CAP = sys.maxsize


@dataclass(frozen=True, slots=True)
class ExampleTokens:
    """The counts for one example; `total` is what is billed (before the model's cap).

    `lower_bound` is True when counting stopped early: past the cap it was given, or in a run
    of text too long to tokenize. `total` is then at least what it says, and more than the cap
    unless the cap is above 65,536 tokens.
    """

    total: int
    assistant: int
    trained_assistant: int
    lower_bound: bool = False


_CACHE_MAX_CHARS = 1024
_CACHE_MAX_ENTRIES = 4096
_SEGMENT_CHARS = SEGMENT_CHARS


class _Tally:
    """One example's counting budget, and whether any count in it is only a lower bound."""

    __slots__ = ("cap", "lower")

    def __init__(self, cap: int | None) -> None:
        self.cap = cap if cap is not None else _NO_CAP
        self.lower = False


def approximate_token_count(text: str) -> int:
    """A last-resort estimate when no vocabulary can be loaded: ~4 UTF-8 bytes per token."""
    return (len(text.encode("utf-8", "surrogatepass")) + 3) // 4


class TokenCounter:
    """Counts examples with one encoding; `approximate` says whether the figures are estimates.

    `encoding=None` means no vocabulary could be loaded: counts come from
    `approximate_token_count` and `approximate` is always True. `template` is the chat markup
    counted around the messages (OpenAI's cookbook figures unless told otherwise).
    """

    __slots__ = (
        "_count_text",
        "_default_system",
        "_max_token_bytes",
        "_per_example",
        "_per_message",
        "_per_name",
        "_skip_keys",
        "_text_overhead",
        "approximate",
        "encoding",
        "template",
    )

    def __init__(
        self,
        encoding: tiktoken.Encoding | None,
        approximate: bool,
        template: ChatTemplate = OPENAI_TEMPLATE,
    ) -> None:
        self.encoding = encoding
        self.approximate = approximate or encoding is None
        self.template = template
        self._max_token_bytes = 0
        if encoding is None:
            self._count_text: Callable[[str], int] = approximate_token_count
        else:
            encode = encoding.encode_ordinary  # special tokens are plain text here
            cache: dict[str, int] = {}

            def count(text: str) -> int:
                # Roles, names and the system prompt repeat in nearly every example of a real
                # dataset; remembering short strings skips their BPE work. Bounded so a file of
                # unique texts costs at most a few MB.
                if len(text) > _CACHE_MAX_CHARS:
                    if len(text) > _SEGMENT_CHARS:
                        return sum(len(encode(part)) for part in split_at_piece_starts(text))
                    return len(encode(text))
                n = cache.get(text)
                if n is None:
                    if len(cache) >= _CACHE_MAX_ENTRIES:
                        cache.clear()
                    n = cache[text] = len(encode(text))
                return n

            self._count_text = count
        self._per_message = template.per_message
        self._per_name = template.per_name
        self._skip_keys = frozenset({"weight"} if template.renders_name else {"weight", "name"})
        # The template's fixed text is counted once, with the same encoding as the messages.
        self._per_example = template.per_example + (
            self._count_text(template.system_preamble) if template.system_preamble else 0
        )
        self._default_system: int | None = None
        if template.default_system is not None:
            self._default_system = (
                template.per_message
                + self._count_text("system")
                + (self._count_text(template.default_system) if template.default_system else 0)
            )
        self._text_overhead = template.text_overhead

    @property
    def encoding_name(self) -> str | None:
        return self.encoding.name if self.encoding is not None else None

    def count_text(self, text: str) -> int:
        """Tokens of `text` as plain text (special-token strings included as text), exactly."""
        return self._count_text(text)

    def _text(self, text: str, tally: _Tally, budget: int) -> int:
        """Tokens of `text`; a long one is counted exactly only up to `budget` (see _Tally)."""
        if len(text) <= _SEGMENT_CHARS or self.encoding is None:
            return self._count_text(text)
        if not self._max_token_bytes:
            self._max_token_bytes = max_token_bytes(self.encoding)
        encode = self.encoding.encode_ordinary
        n, lower = count_within(encode, text, budget, self._max_token_bytes)
        tally.lower = tally.lower or lower
        return n

    def _content_tokens(self, content: object, tally: _Tally, budget: int) -> int:
        """Tokens of a message's `content`: a string, or the text of its text parts."""
        if isinstance(content, str):
            return self._text(content, tally, budget)
        if isinstance(content, list):
            n = 0
            for part in content:
                if isinstance(part, dict) and part.get("type", "text") == "text":
                    part = part.get("text")
                if isinstance(part, str):
                    n += self._text(part, tally, budget - n)
            return n
        return 0

    def _value_tokens(self, key: object, value: object, tally: _Tally, budget: int) -> int:
        if isinstance(value, str):
            return self._text(value, tally, budget)
        if key == "content":
            return self._content_tokens(value, tally, budget)
        if isinstance(value, dict | list):
            return self._text(compact_json(value).decode(), tally, budget)
        return 0

    def _messages(self, messages: object, tally: _Tally, spent: int) -> tuple[int, int, int]:
        """(tokens of the messages, assistant content tokens, trained assistant tokens).

        `spent` is what the example has counted before these messages; once past the cap,
        the remaining messages are not counted (the tally records that).
        """
        if not isinstance(messages, list):
            return 0, 0, 0
        count = self._count_text
        cap = tally.cap
        per_message = self._per_message
        per_name = self._per_name
        skip = self._skip_keys
        total = assistant = trained = 0
        for message in messages:
            if spent + total > cap:
                tally.lower = True
                break
            if not isinstance(message, dict):
                continue
            n = per_message
            content_tokens = 0
            for key, value in message.items():
                if key in skip:
                    continue
                if isinstance(value, str) and len(value) <= _SEGMENT_CHARS:
                    v = count(value)
                else:
                    v = self._value_tokens(key, value, tally, cap - spent - total - n)
                if key == "content":
                    content_tokens = v
                elif key == "name":
                    n += per_name
                n += v
            total += n
            if message.get("role") == "assistant":
                assistant += content_tokens
                if message.get("weight", 1) != 0:
                    trained += content_tokens
        return total, assistant, trained

    def _tools(self, container: Mapping[str, object], tally: _Tally, spent: int) -> int:
        n = 0
        for key in _TOOL_KEYS:
            value = container.get(key)
            if value:
                n += self._value_tokens(key, value, tally, tally.cap - spent - n)
        return n

    def count_chat(self, example: object, cap: int | None = None) -> ExampleTokens:
        """Counts for a supervised example `{"messages": [...], "tools": [...]?}`.

        With a `cap` (the model's per-example limit), counting is exact up to it and stops
        soon after: the result is then a lower bound (`lower_bound`), in bounded time.
        """
        if not isinstance(example, dict):
            return ExampleTokens(0, 0, 0)
        tally = _Tally(cap)
        given = example.get("messages")
        total = self._per_example + self._tools(example, tally, 0)
        if self._default_system is not None:
            total += self._template_system(given)
        messages, assistant, trained = self._messages(given, tally, total)
        total += messages
        return ExampleTokens(total, assistant, trained, tally.lower)

    def _template_system(self, messages: object) -> int:
        """The system block a template writes into an example that does not start with one."""
        if isinstance(messages, list) and messages:
            first = messages[0]
            if isinstance(first, dict) and first.get("role") == "system":
                return 0
        return self._default_system or 0

    def count_preference(self, example: object, cap: int | None = None) -> ExampleTokens:
        """Counts for a DPO example: `input` (messages and tools) + both outputs.

        `total` = 3 + input messages + input tools + `preferred_output` + `non_preferred_output`
        messages, each message by the chat rule: both completions are processed in training, so
        both are counted. `assistant` and `trained_assistant` are the output messages' content
        (a DPO output has no `weight`, so every one is trained). `cap` as for `count_chat`.
        """
        if not isinstance(example, dict):
            return ExampleTokens(0, 0, 0)
        tally = _Tally(cap)
        total = self._per_example
        given = example.get("input")
        if isinstance(given, dict):
            total += self._tools(given, tally, total)
            if self._default_system is not None:
                total += self._template_system(given.get("messages"))
            messages, _, _ = self._messages(given.get("messages"), tally, total)
            total += messages
        assistant = 0
        for key in ("preferred_output", "non_preferred_output"):
            output, output_assistant, _ = self._messages(example.get(key), tally, total)
            total += output
            assistant += output_assistant
        return ExampleTokens(total, assistant, assistant, tally.lower)

    def count_instruction(self, example: object, cap: int | None = None) -> ExampleTokens:
        """Counts for an instruction example `{"prompt": ..., "completion": ...}` (Together):
        both texts plus the start and end tokens; the completion is the trained part."""
        if not isinstance(example, dict):
            return ExampleTokens(0, 0, 0)
        tally = _Tally(cap)
        total = self._text_overhead
        total += self._content_tokens(example.get("prompt"), tally, tally.cap - total)
        completion = self._content_tokens(example.get("completion"), tally, tally.cap - total)
        total += completion
        return ExampleTokens(total, completion, completion, tally.lower)

    def count_plain_text(self, example: object, cap: int | None = None) -> ExampleTokens:
        """Counts for a plain-text example `{"text": ...}` (Together's "general" format): its
        text plus the start and end tokens; it has no assistant part."""
        if not isinstance(example, dict):
            return ExampleTokens(0, 0, 0)
        tally = _Tally(cap)
        total = self._text_overhead
        total += self._content_tokens(example.get("text"), tally, tally.cap - total)
        return ExampleTokens(total, 0, 0, tally.lower)


def counter_for_model(
    model_id: str, catalog: Catalog, tiktoken_file: Path | None = None
) -> tuple[TokenCounter, Resolution]:
    """The counter to use for `model_id`, and how the model was resolved. Never raises.

    A known model or family gets its exact encoding. An unknown model gets o200k_base marked
    approximate (the resolution's notice says so). If a given `tiktoken_file` is refused, the
    built-in vocabulary is used and the notice says why; if no vocabulary can be loaded at all,
    counts fall back to ~4 bytes per token, again with a notice.
    """
    resolution = catalog.resolve(model_id)
    name, exact = encoding_name_for(model_id, catalog)
    problems: list[str] = []
    encoding: tiktoken.Encoding | None = None
    attempts: list[Path | None] = [tiktoken_file, None] if tiktoken_file is not None else [None]
    for path in attempts:
        try:
            encoding = load_counting_encoding(name, path)
            break
        except EncodingUnavailable as exc:
            problems.append(str(exc))
    if encoding is None:
        problems.append("token counts are rough estimates (about 4 bytes per token)")
    if problems:
        notice = "; ".join(([resolution.notice] if resolution.notice else []) + problems)
        resolution = replace(resolution, notice=notice)
    template = chat_template(resolution.chat_template)
    return TokenCounter(encoding, approximate=not exact, template=template), resolution
