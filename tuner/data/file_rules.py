"""Per-file checks, computed from aggregates so they work over streamed and parallel validation.

Validation workers each fold their lines into a `FileFacts`; the facts are merged (in any
order) and `check_file` turns them into file-level findings: too few examples, duplicates,
mixed formats. `sniff_json_container` catches the commonest wrong shape before any line is
read: a JSON array or pretty-printed objects instead of one example per line.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tuner.data.problems import DatasetFormat, Problem, error, warning
from tuner.data.rules import ExampleCheck

MIN_EXAMPLES = 10  # the service refuses fewer
RECOMMENDED_EXAMPLES = 50  # OpenAI's guidance: improvements show from 50-100 examples
_SNIFF_BYTES = 64 * 1024


def example_hash(obj: Any) -> int:
    """A 64-bit hash of an example's canonical JSON: equal JSON (whitespace, key order) -> equal."""
    try:
        canonical = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        canonical = repr(obj).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(canonical, digest_size=8).digest(), "little")


@dataclass(slots=True)
class FileFacts:
    """What the file-level rules need to know, folded line by line and mergeable across workers.

    `examples` counts non-blank lines (the service treats each as an example, broken or not).
    `first_line_of` maps each distinct example's hash to the first line holding it; `_dups`
    keeps (line, hash) for the later copies, so merging in any order finds the same pairs.
    """

    examples: int = 0
    blank_lines: int = 0
    format_counts: dict[str, int] = field(default_factory=dict)
    format_first_line: dict[str, int] = field(default_factory=dict)
    first_line_of: dict[int, int] = field(default_factory=dict)
    _dups: list[tuple[int, int]] = field(default_factory=list)

    def add(self, check: ExampleCheck, line: int) -> None:
        """Fold in one checked line."""
        if check.is_blank:
            self.blank_lines += 1
            return
        self.examples += 1
        if check.format is not None:
            self.add_format(check.format, line)
        if isinstance(check.obj, dict):
            self.add_hash(example_hash(check.obj), line)

    def add_format(self, fmt: DatasetFormat | str, line: int) -> None:
        key = str(fmt)
        self.format_counts[key] = self.format_counts.get(key, 0) + 1
        first = self.format_first_line.get(key)
        if first is None or line < first:
            self.format_first_line[key] = line

    def add_hash(self, digest: int, line: int) -> None:
        first = self.first_line_of.get(digest)
        if first is None:
            self.first_line_of[digest] = line
        elif line < first:
            self.first_line_of[digest] = line
            self._dups.append((first, digest))
        else:
            self._dups.append((line, digest))

    def merge(self, other: FileFacts) -> FileFacts:
        """Fold `other` (e.g. a worker's facts) into self and return self; order-independent."""
        self.examples += other.examples
        self.blank_lines += other.blank_lines
        for key, count in other.format_counts.items():
            self.format_counts[key] = self.format_counts.get(key, 0) + count
        for key, line in other.format_first_line.items():
            first = self.format_first_line.get(key)
            if first is None or line < first:
                self.format_first_line[key] = line
        self._dups.extend(other._dups)
        for digest, line in other.first_line_of.items():
            self.add_hash(digest, line)
        return self

    def duplicates(self) -> list[tuple[int, int]]:
        """(line, first_line) for every line that repeats an earlier example, by line."""
        first = self.first_line_of
        return sorted((line, first[digest]) for line, digest in self._dups)


def check_file(facts: FileFacts, path: str | os.PathLike[str]) -> list[Problem]:
    """File-level findings from merged facts: size, duplicates and mixed formats."""
    name = Path(path).name
    problems: list[Problem] = []
    n = facts.examples
    if n == 0:
        what = f" ({facts.blank_lines} blank lines)" if facts.blank_lines else ""
        problems.append(error("empty_file", f"{name} has no examples{what}", None))
        return problems
    if n < MIN_EXAMPLES:
        problems.append(
            error(
                "too_few_examples",
                f"{name} has {n} example{'s' if n != 1 else ''}; the service needs at least "
                f"{MIN_EXAMPLES}",
                None,
            )
        )
    elif n < RECOMMENDED_EXAMPLES:
        problems.append(
            warning(
                "few_examples",
                f"{name} has {n} examples; OpenAI recommends starting with 50 to 100 "
                "well-crafted examples",
                None,
            )
        )
    formats = [key for key, count in facts.format_counts.items() if count]
    if len(formats) > 1:
        formats.sort(key=lambda key: facts.format_first_line[key])
        minority = min(formats, key=lambda key: facts.format_counts[key])
        parts = ", ".join(
            f"{facts.format_counts[key]} {key} (first at line {facts.format_first_line[key]})"
            for key in formats
        )
        problems.append(
            error(
                "mixed_formats",
                f"{name} mixes example formats: {parts}; a file must be all chat "
                "(supervised) or all preference (DPO)",
                facts.format_first_line[minority],
            )
        )
    for line, first in facts.duplicates():
        problems.append(
            warning(
                "duplicate_example",
                f"line {line} duplicates line {first}; repeats weigh that example more",
                line,
            )
        )
    return problems


def sniff_json_container(path: str | os.PathLike[str]) -> Problem | None:
    """A `not_jsonl` error if the file is a JSON array or pretty-printed objects, else None.

    Reads only the first 64 KB. A `.json` file that holds one object per line is fine. When
    this returns a problem, per-line validation of the file would only repeat it line by line.
    """
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(_SNIFF_BYTES)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    text = head.lstrip()
    if not text:
        return None
    first_line, _, rest = text.partition(b"\n")
    first_line = first_line.strip()
    kind = None
    if text[:1] == b"[":
        kind = _array_kind(first_line, rest)
    elif (
        text[:1] == b"{"
        and not _parses(first_line)
        and (first_line == b"{" or _spans_lines(text) or _continues(rest))
    ):
        kind = "pretty-printed JSON (objects spread over several lines)"
    if kind is None:
        return None
    out = (
        path.with_suffix(".jsonl") if path.suffix != ".jsonl" else path.with_suffix(".clean.jsonl")
    )
    command = f"tuner convert {shlex.quote(str(path))} {shlex.quote(str(out))}"
    return error(
        "not_jsonl",
        f"{path.name} is {kind}, not JSONL (one example per line); convert it with: {command}",
        None,
    )


def _array_kind(first_line: bytes, rest: bytes) -> str | None:
    try:
        value = orjson.loads(first_line)
    except orjson.JSONDecodeError:
        return "a JSON array"
    # One line holding a whole array of examples is an array file; a line holding some other
    # array is a JSONL line with a wrong type, reported per line.
    examples = isinstance(value, list) and value and all(isinstance(v, dict) for v in value)
    if examples and not rest.strip():
        return "a JSON array on one line"
    return None


def _parses(line: bytes) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def _spans_lines(text: bytes) -> bool:
    try:
        decoded = text.decode("utf-8", "replace")
        _, end = json.JSONDecoder().raw_decode(decoded)
    except ValueError:
        return False
    return "\n" in decoded[:end]


def _continues(rest: bytes) -> bool:
    """The next non-blank line looks like the inside of an object, not a new example."""
    for line in rest.split(b"\n", 20)[:20]:
        stripped = line.strip()
        if stripped:
            return stripped[:1] in (b'"', b"}", b"]", b"[")
    return False
