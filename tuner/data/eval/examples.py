"""An eval file read as examples: what to ask a model, what it should answer, and a stable key.

An eval file is chat JSONL, the format tuner validates for training: each line's last assistant
turn is the reference, and the messages before it are the prompt a model is asked. Lines are
read with tuner's own reader (`lines.iter_lines`) and checked by the validator
(`rules.check_example`), so a line the validator calls broken is reported here the same way,
with the file and line, and the other lines are still read. Two findings that matter for
training only are not faults here: a line with no assistant turn is a prompt without a
reference (a golden file may give it one), and an assistant `weight` is ignored.

The key identifies an example by its prompt, whitespace normalised, so a golden file recorded
from the same prompts (`--reference GOLDEN.jsonl`), an earlier run, and a training file can be
matched to this file's examples even if their lines moved or their spacing changed. Two examples
with the same prompt share a key; `EvalExample.ident` tells them apart by occurrence.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson

from tuner.data.jsonl.lines import iter_lines
from tuner.data.migrate.content import parts_text, role_of
from tuner.data.rules.check import check_example
from tuner.data.rules.file import preflight
from tuner.data.rules.problems import DatasetFormat
from tuner.data.service_kinds import OPENAI

# Findings of the validator that concern training only: not faults of an eval line.
_TRAINING_ONLY = frozenset({"example_missing_assistant_message", "invalid_weight"})
# Keys of a training message that a chat request does not take.
_TRAINING_KEYS = ("weight",)


class EvalFileError(Exception):
    """The whole file cannot be read as an eval file; the message is one line naming it."""


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line that is not a usable example: `path:line: message`, never fatal to the others."""

    path: str
    line: int
    message: str

    def located(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class EvalExample:
    """One example of an eval file.

    `prompt` is the messages before the last assistant turn, as a chat request takes them
    (training-only keys such as `weight` removed); `reference` the text of that last assistant
    turn, or None when the example has none (no assistant turn, or one with no text, only tool
    calls). `tools` is the example's own `tools` list, for a prompt that calls tools. `key` is
    the hash of the whitespace-normalised prompt; `occurrence` counts examples with the same key
    in this file (1 for the first), and `ident` joins the two into the id results are kept by.
    """

    line: int
    prompt: tuple[Mapping[str, Any], ...]
    reference: str | None
    key: str
    occurrence: int = 1
    tools: tuple[Mapping[str, Any], ...] | None = None

    @property
    def ident(self) -> str:
        """The example's id in results: its key, with `#N` for the Nth repeat of a prompt."""
        return self.key if self.occurrence == 1 else f"{self.key}#{self.occurrence}"


@dataclass(frozen=True, slots=True)
class EvalFile:
    """The examples of an eval file in line order, and the lines that could not be used."""

    path: Path
    examples: tuple[EvalExample, ...]
    bad_lines: tuple[BadLine, ...]


@dataclass(frozen=True, slots=True)
class GoldenMatch:
    """Examples whose references came from a golden file, and those it had no reply for.

    `missing` lists the lines of examples whose prompt the golden file does not hold; their
    reference is None (they cannot be graded against the old model).
    """

    examples: tuple[EvalExample, ...]
    missing: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class TrainingOverlap:
    """How many eval examples' prompts also appear in a training file (`lines`: their lines).

    A score on examples the model was trained on says little about new prompts.
    """

    count: int
    lines: tuple[int, ...]
    training_examples: int


# -- keys --------------------------------------------------------------------------------------


def normalise_whitespace(text: str) -> str:
    """Every run of whitespace as one space, none at the ends."""
    return " ".join(text.split())


def prompt_key(messages: Sequence[Any]) -> str:
    """The stable key of a prompt: a hash of its messages with whitespace normalised.

    Strings are compared with their whitespace runs as one space and trimmed; a content list of
    text parts only counts as its text; training-only keys (`weight`) and key order do not
    count. Everything else (roles, names, images, tool calls) does.
    """
    normalised = [_normalised_message(message) for message in messages]
    try:
        canonical = orjson.dumps(normalised, option=orjson.OPT_SORT_KEYS)
    except (TypeError, orjson.JSONEncodeError):  # nested too deeply for orjson to write
        canonical = repr(normalised).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(canonical, digest_size=16).hexdigest()


def split_turns(messages: Sequence[Any]) -> tuple[list[Any], Any | None]:
    """(prompt, last assistant message): the messages before the last assistant turn and that
    turn; (all messages, None) when there is no assistant turn."""
    for index in range(len(messages) - 1, -1, -1):
        if role_of(messages[index]) == "assistant":
            return list(messages[:index]), messages[index]
    return list(messages), None


def content_text(content: Any) -> str | None:
    """The text of a message's content as the model reads it: a string as it is, a list of
    parts as its text parts joined; None when it holds no text at all."""
    if isinstance(content, str):
        return content
    whole = parts_text(content)
    if whole is not None:
        return whole
    if isinstance(content, list):
        texts = [
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        ]
        return "".join(texts) if texts else None
    return None


# -- reading -----------------------------------------------------------------------------------


def iter_eval_lines(
    path: str | os.PathLike[str], service: str = OPENAI
) -> Iterator[EvalExample | BadLine]:
    """Every non-blank line of `path` as an `EvalExample` or a `BadLine`, in order, one line in
    memory at a time. `occurrence` is not counted here (every example gets 1): `read_eval_file`
    counts it.

    Raises `EvalFileError` when the whole file is unusable (not UTF-8 JSONL, a JSON array) and
    `OSError` when it cannot be read.
    """
    shown = str(path)
    problem = preflight(path, shown)
    if problem is not None:
        raise EvalFileError(f"{shown}: {problem.message}")
    for line, raw in iter_lines(path):
        assert line is not None  # from the start of the file, lines are numbered
        item = _read_line(raw, line, shown, service)
        if item is not None:
            yield item


def read_eval_file(path: str | os.PathLike[str], service: str = OPENAI) -> EvalFile:
    """Read an eval file: its examples (with `occurrence` counted) and its bad lines.

    Raises `EvalFileError` when the whole file is unusable and `OSError` when it cannot be read.
    """
    examples: list[EvalExample] = []
    bad: list[BadLine] = []
    seen: dict[str, int] = {}
    for item in iter_eval_lines(path, service):
        if isinstance(item, BadLine):
            bad.append(item)
            continue
        count = seen.get(item.key, 0) + 1
        seen[item.key] = count
        if count > 1:
            item = _with(item, occurrence=count)
        examples.append(item)
    return EvalFile(Path(path), tuple(examples), tuple(bad))


def example_from_object(obj: Any, line: int) -> EvalExample | None:
    """The example a parsed chat line holds (`{"messages": [...]}`), or None when it holds no
    message list. For callers that already parsed a line (a golden file's writer, a split)."""
    if not isinstance(obj, dict):
        return None
    messages = obj.get("messages")
    if not isinstance(messages, list) or not messages:
        return None
    prompt, last = split_turns(messages)
    reference = content_text(last.get("content")) if isinstance(last, dict) else None
    tools = obj.get("tools")
    return EvalExample(
        line=line,
        prompt=tuple(_request_message(message) for message in prompt),
        reference=reference,
        key=prompt_key(prompt),
        tools=tuple(tools) if isinstance(tools, list) and tools else None,
    )


def _read_line(raw: bytes, line: int, shown: str, service: str) -> EvalExample | BadLine | None:
    check = check_example(raw, line, service)
    if check.is_blank:
        return None
    for problem in check.problems:
        if problem.is_error and problem.code not in _TRAINING_ONLY:
            return BadLine(shown, line, problem.message)
    if check.format is not DatasetFormat.CHAT:
        what = f"a {check.format} example" if check.format else "not a chat example"
        return BadLine(shown, line, f"{what}; an eval file holds chat examples with 'messages'")
    example = example_from_object(check.obj, line)
    if example is None:
        return BadLine(shown, line, "no messages to ask a model")
    if not example.prompt:
        return BadLine(shown, line, "nothing before the assistant turn to ask a model")
    return example


def _with(example: EvalExample, **changes: Any) -> EvalExample:
    return replace(example, **changes)


def _request_message(message: Any) -> Mapping[str, Any]:
    if isinstance(message, dict) and any(key in message for key in _TRAINING_KEYS):
        return {k: v for k, v in message.items() if k not in _TRAINING_KEYS}
    return message


def _normalised_message(message: Any) -> Any:
    if not isinstance(message, dict):
        return _normalised(message)
    result = {}
    for key, value in message.items():
        if key in _TRAINING_KEYS:
            continue
        if key == "content":
            whole = parts_text(value)
            if whole is not None:
                value = whole
        result[key] = _normalised(value)
    return result


def _normalised(value: Any) -> Any:
    """`value` with every string's whitespace normalised (iteratively: no recursion limit)."""
    if isinstance(value, str):
        return normalise_whitespace(value)
    if not isinstance(value, (dict, list)):
        return value
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any]] = [(value, root, 0)]
    while stack:
        item, parent, slot = stack.pop()
        if isinstance(item, str):
            parent[slot] = normalise_whitespace(item)
        elif isinstance(item, dict):
            copy: dict[Any, Any] = {}
            parent[slot] = copy
            for key, child in item.items():
                copy[key] = None
                stack.append((child, copy, key))
        elif isinstance(item, list):
            items: list[Any] = [None] * len(item)
            parent[slot] = items
            for index, child in enumerate(item):
                stack.append((child, items, index))
        else:
            parent[slot] = item
    return root[0]


# -- golden files and training files -----------------------------------------------------------


def match_references(examples: Sequence[EvalExample], golden: EvalFile) -> GoldenMatch:
    """`examples` with their references taken from `golden` (a recorded golden file), matched
    by prompt key: the Nth example with a prompt takes the Nth golden reply to it (or the last
    one, when the golden file has fewer). An example the golden file has no reply for keeps no
    reference and is listed in `missing`.
    """
    replies: dict[str, list[str | None]] = {}
    for golden_example in golden.examples:
        replies.setdefault(golden_example.key, []).append(golden_example.reference)
    matched: list[EvalExample] = []
    missing: list[int] = []
    for example in examples:
        found = replies.get(example.key)
        reference = found[min(example.occurrence, len(found)) - 1] if found else None
        if reference is None:
            missing.append(example.line)
        matched.append(_with(example, reference=reference))
    return GoldenMatch(tuple(matched), tuple(missing))


def training_overlap(
    examples: Sequence[EvalExample], training_path: str | os.PathLike[str], service: str = OPENAI
) -> TrainingOverlap:
    """How many of `examples` have a prompt (same normalised key) that is also a prompt of the
    training file at `training_path`. Streams the training file; its bad lines are skipped.

    Raises `EvalFileError` or `OSError` as `iter_eval_lines` does.
    """
    wanted: dict[str, list[int]] = {}
    for example in examples:
        wanted.setdefault(example.key, []).append(example.line)
    found: set[str] = set()
    training = 0
    for item in iter_eval_lines(training_path, service):
        if isinstance(item, BadLine):
            continue
        training += 1
        if item.key in wanted:
            found.add(item.key)
    lines = sorted(line for key in found for line in wanted[key])
    return TrainingOverlap(len(lines), tuple(lines), training)
