"""Per-example checks: what a fine-tuning service and its data-preparation guide reject.

`check_example(raw, line, service)` parses one JSONL line and returns every finding for it,
by the rules of the service the file will go to: OpenAI's (also Azure OpenAI's) or Together
AI's (`together_rules`). It is the hot loop of validation (hundreds of thousands of lines), so
it does plain dict and list work, no regular expressions per message, and only walks strings
for special tokens when the raw bytes could contain one. Parsing and the JSON-level findings
(blank lines, invalid JSON, repeated keys, a line that is not an object) are the same for every
service; the switch to a service's rules is one branch per line.

This module holds the entry point and the shape of a supervised (chat) example; the rules
for the parts live beside it, one concern per module: `json_values` (parsing, duplicate keys,
why a line is not JSON), `shape_rules` (top-level keys), `message_rules` (one message),
`tool_rules` (tools and calls) and `preference_rules` (DPO examples); Together's in
`together_rules` (formats), `together_messages`, `together_content` and `together_tools`. The
names other modules import from here are re-exported.

The accepted shapes come from the official OpenAPI description (`FineTuneChatRequestInput`,
`FineTunePreferenceRequestInput`, `FineTuneChatCompletionRequestAssistantMessage`) and the
cookbook "Data preparation and analysis for chat model fine-tuning".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from tuner.data.jsonl.json_values import (
    JsonFault,
    canonical_json,
    describe_decode_error,
    duplicate_key_reason,
    json_type,
    repeated_key,
)
from tuner.data.rules.messages import ROLES, check_messages
from tuner.data.rules.preference import check_preference
from tuner.data.rules.problems import DatasetFormat, Problem, error, warning
from tuner.data.rules.shape import (
    CHAT_KEYS,
    PREFERENCE_INPUT_KEYS,
    PREFERENCE_KEYS,
    check_no_messages,
    extra_key,
)
from tuner.data.rules.together import check_together_example
from tuner.data.rules.tools import check_top_level_tools
from tuner.data.service_kinds import OPENAI, RulesFamily, facts_for

__all__ = [
    "BOM",
    "CHAT_KEYS",
    "OPEN_MODEL_SPECIAL_TOKENS",
    "PREFERENCE_INPUT_KEYS",
    "PREFERENCE_KEYS",
    "ROLES",
    "SPECIAL_TOKENS",
    "ExampleCheck",
    "check_example",
    "json_type",
    "stray_bom",
]

BOM = b"\xef\xbb\xbf"

# The markup of gpt-oss's harmony chat format (o200k_harmony), in both lists below.
_HARMONY_TOKENS = (
    "<|start|>",
    "<|end|>",
    "<|message|>",
    "<|channel|>",
    "<|constrain|>",
    "<|return|>",
    "<|call|>",
)

# Special-token strings of OpenAI's tokenizers (cl100k_base, o200k_base, o200k_harmony) and
# of the ChatML markup. In training text they are encoded as ordinary characters.
SPECIAL_TOKENS: tuple[str, ...] = (
    "<|endoftext|>",
    "<|startoftext|>",
    "<|endofprompt|>",
    "<|fim_prefix|>",
    "<|fim_middle|>",
    "<|fim_suffix|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|im_sep|>",
    *_HARMONY_TOKENS,
)
_SPECIAL_RE = re.compile("|".join(re.escape(t) for t in SPECIAL_TOKENS))

# Control tokens of the open models' chat templates (Llama 3, Qwen's ChatML, gpt-oss's harmony).
# Their tokenizers read these strings in the rendered text as the tokens themselves unless told
# not to, so one inside a message can end a turn early.
OPEN_MODEL_SPECIAL_TOKENS: tuple[str, ...] = (
    "<|begin_of_text|>",
    "<|end_of_text|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|eot_id|>",
    "<|eom_id|>",
    "<|python_tag|>",
    "<|finetune_right_pad_id|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|endoftext|>",
    *_HARMONY_TOKENS,
)
_OPEN_SPECIAL_RE = re.compile("|".join(re.escape(t) for t in OPEN_MODEL_SPECIAL_TOKENS))


@dataclass(slots=True)
class ExampleCheck:
    """What one line holds and what is wrong with it.

    `obj` is the parsed JSON (None when it did not parse), `format` the dataset shape it was
    recognised as (None when it is neither), `is_blank` marks an empty or whitespace line
    (not an example: callers should not count it). `canonical` is bytes that are equal for
    equal examples (their sorted compact JSON), for the duplicate-example rule.
    """

    obj: Any = None
    format: DatasetFormat | None = None
    problems: list[Problem] = field(default_factory=list)
    is_blank: bool = False
    canonical: bytes | None = None


def check_example(raw: bytes, line: int, service: str = OPENAI) -> ExampleCheck:
    """Parse and check one JSONL line (1-based `line`) by the rules of `service` (`openai`,
    `azure` or `together`); never raises for the line's sake (an unknown service is a caller's
    mistake and raises `UnknownService`).

    Returns an `ExampleCheck` whose problems carry `line` and, where a single message is at
    fault, its 0-based `message_index`.
    """
    rules = facts_for(service).rules
    try:
        return _check_example(raw, line, rules)
    except Exception as exc:  # a bug in a rule must not stop a whole file's validation
        result = ExampleCheck()
        result.problems.append(
            error("internal_error", f"tuner could not check this line ({exc!r})", line)
        )
        return result


def _check_example(raw: bytes, line: int, rules: RulesFamily = RulesFamily.OPENAI) -> ExampleCheck:
    result = ExampleCheck()
    together = rules is RulesFamily.TOGETHER
    problems = result.problems
    if raw.startswith(BOM):
        raw = raw[3:]
        if line != 1:
            problems.append(stray_bom(line))
    if not raw or raw.isspace():
        result.is_blank = True
        why = (
            "Together's client skips it, but other tools may not"
            if together
            else "the service may refuse the file"
        )
        problems.append(
            warning(
                "blank_line",
                f"blank line: it is not an example and {why}; "
                "delete it (`tuner convert` writes a clean copy)",
                line,
            )
        )
        return result
    # `json_values.parse_document`, inlined: this is the hot loop.
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        problems.append(_decode_problem(raw, describe_decode_error(raw, exc), line))
        return result
    result.obj = obj
    canonical = canonical_json(obj)
    result.canonical = canonical if canonical is not None else raw.strip()
    if isinstance(obj, (dict, list)):  # a tuple: faster than a union in the hot loop
        key = repeated_key(raw, canonical)
        if key is not None:
            problems.append(error("duplicate_key", duplicate_key_reason(key), line))
    if not isinstance(obj, dict):
        problems.append(
            error(
                "data_type",
                f"the line is a JSON {json_type(obj)}, not an object; each line must be one "
                'example like {"messages": [...]}',
                line,
            )
        )
        return result

    if together:
        result.format = check_together_example(obj, line, problems)
        if result.format is not None and (b"|" in raw or (b"\\" in raw and b"\\u007" in raw)):
            _check_special_tokens(obj, result.format, line, problems, _OPEN_SPECIAL_RE, _OPEN)
        return result
    if "messages" in obj:
        result.format = DatasetFormat.CHAT
        _check_chat(obj, line, problems)
    elif "input" in obj or "preferred_output" in obj or "non_preferred_output" in obj:
        result.format = DatasetFormat.PREFERENCE
        check_preference(obj, line, problems)
    else:
        check_no_messages(obj, line, problems)
        return result

    # Every special token contains "|": written plainly, or escaped as \u007c. Single-byte
    # searches are memchr-fast, so clean lines cost almost nothing here.
    if b"|" in raw or (b"\\" in raw and b"\\u007" in raw):
        _check_special_tokens(obj, result.format, line, problems, _SPECIAL_RE, _OPENAI)
    return result


def stray_bom(line: int) -> Problem:
    """The warning for a UTF-8 byte-order mark at the start of a line other than the first.

    A mark there is almost always left by joining files (`cat a.jsonl b.jsonl`); the line is
    read without it, as `tuner convert` writes it, but a parser that reads line by line (the
    together SDK's own check, Python's `json.loads`) refuses the line."""
    return warning(
        "byte_order_mark",
        "the line starts with a UTF-8 byte-order mark (U+FEFF), as left by joining files; "
        "tuner reads the line without it, but a line-by-line JSON parser refuses it: "
        "`tuner convert` writes a copy without it",
        line,
    )


def _decode_problem(raw: bytes, fault: JsonFault, line: int) -> Problem:
    if fault.code == "invalid_utf8":
        column = (fault.byte_offset or 0) + 1
        return error(
            "invalid_utf8",
            f"bytes at column {column:,} are {fault.reason}; save the file as UTF-8",
            line,
        )
    where = f" at column {fault.offset + 1:,}" if fault.offset is not None else ""
    hint = ""
    if fault.reason.startswith("the text ends") and raw.lstrip()[:1] in (b"{", b"["):
        hint = (
            "; if the example continues on the next lines, the file is not JSONL: "
            "`tuner convert` puts each example on one line"
        )
    return error("invalid_json", f"not valid JSON{where}: {fault.reason}{hint}", line)


# -- chat (supervised) ------------------------------------------------------------------------


def _check_chat(obj: dict[str, Any], line: int, problems: list[Problem]) -> None:
    for key in obj:
        if key not in CHAT_KEYS:
            problems.append(extra_key(key, CHAT_KEYS, obj, line))
    check_top_level_tools(obj, line, problems, allow_functions=True)
    messages = obj["messages"]
    if not isinstance(messages, list) or not messages:
        what = "empty" if isinstance(messages, list) else f"a {json_type(messages)}"
        problems.append(
            error(
                "missing_messages_list",
                f"'messages' is {what}; it must be a non-empty list of messages",
                line,
            )
        )
        return
    roles = check_messages(messages, line, problems)
    if "assistant" not in roles:
        problems.append(
            error(
                "example_missing_assistant_message",
                "no assistant message: add the reply the model should learn",
                line,
            )
        )
    else:
        trained = False
        for message, role in zip(messages, roles, strict=True):
            if role == "assistant" and message.get("weight", 1) != 0:
                trained = True
                break
        if not trained:
            problems.append(
                warning(
                    "no_trained_assistant",
                    "every assistant message has weight 0, so nothing in this example is "
                    "trained; set weight 1 on at least one",
                    line,
                )
            )
    if "system" not in roles:
        problems.append(
            warning(
                "missing_system_message",
                "no system message; train with the system prompt you will use in production",
                line,
            )
        )
    if "user" not in roles:
        problems.append(
            warning(
                "missing_user_message",
                "no user message; the model learns replies without seeing what they answer",
                line,
            )
        )


# -- special tokens ---------------------------------------------------------------------------


_OPENAI = (
    "a special token of OpenAI's tokenizers; it is trained as plain characters and will not "
    "act as a control token"
)
_OPEN = (
    "a control token of open models' chat templates (Llama 3, Qwen, gpt-oss); their tokenizers "
    "may read it as that token, not as text, and end the turn there: remove it"
)


def _check_special_tokens(
    obj: dict[str, Any],
    fmt: DatasetFormat | None,
    line: int,
    problems: list[Problem],
    pattern: re.Pattern[str],
    meaning: str,
) -> None:
    messages: Any = obj.get("messages")
    if fmt is DatasetFormat.PREFERENCE:
        inp = obj.get("input")
        messages = inp.get("messages") if isinstance(inp, dict) else None
    seen: set[str] = set()
    if isinstance(messages, list):
        for index, message in enumerate(messages):
            found = _special_in(message, pattern)
            if found:
                seen.add(found)
                problems.append(_special_problem(found, line, index, meaning))
    rest = {k: v for k, v in obj.items() if k not in ("messages", "input")}
    if fmt is DatasetFormat.PREFERENCE and isinstance(obj.get("input"), dict):
        rest["input"] = {k: v for k, v in obj["input"].items() if k != "messages"}
    found = _special_in(rest, pattern)
    if found and found not in seen:
        problems.append(_special_problem(found, line, None, meaning))


def _special_problem(token: str, line: int, index: int | None, meaning: str) -> Problem:
    where = f"message {index}" if index is not None else "the example"
    return warning(
        "special_token_text",
        f"{where} contains the text '{token}', {meaning}",
        line,
        index,
    )


def _special_in(value: Any, pattern: re.Pattern[str] = _SPECIAL_RE) -> str | None:
    """The first special-token string inside `value`'s strings (keys included), or None."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "<|" in item:
                match = pattern.search(item)
                if match:
                    return match.group(0)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None
