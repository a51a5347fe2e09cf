"""Per-file checks, computed from aggregates so they work over streamed and parallel validation.

Validation workers each fold their lines into a `FileFacts`; the facts are merged (in any
order) and `check_file` turns them into file-level findings: too few examples, duplicates,
mixed formats. `preflight` catches, from the first bytes, what would make every line wrong:
a file in UTF-16 or UTF-32 (one error instead of one per line), and a JSON array or
pretty-printed objects instead of one example per line.
"""

from __future__ import annotations

import hashlib
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tuner.data.example_hashes import FirstLines
from tuner.data.jsonl.json_scan import value_end
from tuner.data.rules.check import ExampleCheck
from tuner.data.rules.problem_log import PROBLEMS_KEPT_PER_CODE
from tuner.data.rules.problems import DatasetFormat, Problem, error, warning
from tuner.data.service_kinds import OPENAI, RulesFamily, facts_for
from tuner.data.wording import plural

MIN_EXAMPLES = 10  # the service refuses fewer
RECOMMENDED_EXAMPLES = 50  # OpenAI's guidance: improvements show from 50-100 examples
# Together's SDK checks for one example at least (`MIN_SAMPLES = 1` in together/lib/constants.py)
# and its documentation recommends no number.
TOGETHER_MIN_EXAMPLES = 1

# What a file-level message calls each format, by service: OpenAI knows two, Together four.
_OPENAI_MIX = "a file must be all chat (supervised) or all preference (DPO)"
_TOGETHER_MIX = (
    "Together needs every example in one format (conversational, instruction, plain text or "
    "preference)"
)
_SNIFF_BYTES = 64 * 1024
# The duplicate lines kept (with the line each repeats) to be reported; the rest are counted.
DUPLICATES_KEPT = PROBLEMS_KEPT_PER_CODE


def example_hash(obj: Any) -> int:
    """A 64-bit hash of an example's canonical JSON: equal JSON (whitespace, key order) -> equal."""
    try:
        canonical = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    except (TypeError, orjson.JSONEncodeError):  # nested too deeply for orjson to write
        try:
            canonical = repr(obj).encode("utf-8", "surrogatepass")
        except RecursionError:
            canonical = b"%d" % id(obj)  # never equal to another example's
    return canonical_hash(canonical)


def check_digest(check: ExampleCheck) -> int | None:
    """The hash of a checked line's example for the duplicate rule, None when it is not an
    object (not an example the rule compares)."""
    if not isinstance(check.obj, dict):
        return None
    canonical = check.canonical
    return canonical_hash(canonical) if canonical is not None else example_hash(check.obj)


def canonical_hash(canonical: bytes) -> int:
    """The 64-bit hash of bytes that are equal for equal examples (`ExampleCheck.canonical`)."""
    return int.from_bytes(hashlib.blake2b(canonical, digest_size=8).digest(), "little")


@dataclass(slots=True)
class FileFacts:
    """What the file-level rules need to know, folded line by line and mergeable across workers.

    `examples` counts non-blank lines (the service treats each as an example, broken or not).
    `first_lines` maps each distinct example's hash to the first line holding it (a compact
    table with a limit: `example_hashes`). `duplicate_count` counts every line that repeats an
    earlier example; `_dups` keeps (line, hash) for the first `DUPLICATES_KEPT` of them by line
    (more between trims), so memory does not grow with the file and merging finds the same
    pairs in any order.
    """

    examples: int = 0
    blank_lines: int = 0
    format_counts: dict[str, int] = field(default_factory=dict)
    format_first_line: dict[str, int] = field(default_factory=dict)
    first_lines: FirstLines = field(default_factory=FirstLines)
    duplicate_count: int = 0
    _dups: list[tuple[int, int]] = field(default_factory=list)
    _dup_ceiling: int = 1 << 62  # a line past it cannot be among the first kept

    def add(self, check: ExampleCheck, line: int) -> None:
        """Fold in one checked line."""
        self.add_line(line, check.is_blank, check.format, check_digest(check))

    def add_line(
        self, line: int, blank: bool, fmt: DatasetFormat | None, digest: int | None
    ) -> None:
        """Fold in one line from what was found in it: blank or not, its format, the hash of
        its example (None when it is not an object)."""
        if blank:
            self.blank_lines += 1
            return
        self.examples += 1
        if fmt is not None:
            self.add_format(fmt, line)
        if digest is not None:
            self.add_hash(digest, line)

    def add_format(self, fmt: DatasetFormat | str, line: int) -> None:
        key = str(fmt)
        self.format_counts[key] = self.format_counts.get(key, 0) + 1
        first = self.format_first_line.get(key)
        if first is None or line < first:
            self.format_first_line[key] = line

    def add_hash(self, digest: int, line: int) -> None:
        first = self.first_lines.get_or_add(digest, line)
        if first is None:
            return
        if line < first:
            self.first_lines.replace(digest, line)
            self._add_duplicate(first, digest)
        else:
            self._add_duplicate(line, digest)

    def _add_duplicate(self, line: int, digest: int) -> None:
        self.duplicate_count += 1
        if line > self._dup_ceiling:
            return  # after the first DUPLICATES_KEPT already kept: counted only
        dups = self._dups
        dups.append((line, digest))
        if len(dups) >= 2 * DUPLICATES_KEPT:
            dups.sort()
            del dups[DUPLICATES_KEPT:]
            self._dup_ceiling = dups[-1][0]

    @property
    def untracked(self) -> int:
        """Examples left out of the duplicate check: past the table's distinct limit."""
        return self.first_lines.untracked

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
        self.first_lines.untracked += other.first_lines.untracked
        # Duplicates `other` found among its own lines: counted, the first ones kept.
        for line, digest in other._dups:
            self._add_duplicate(line, digest)
        self.duplicate_count += other.duplicate_count - len(other._dups)
        for digest, line in other.first_lines.items():
            self.add_hash(digest, line)
        return self

    def duplicates(self) -> list[tuple[int, int]]:
        """(line, first_line) for the first `DUPLICATES_KEPT` lines that repeat an earlier
        example, by line (`duplicate_count` counts them all)."""
        first = self.first_lines.get
        kept = sorted(self._dups)[:DUPLICATES_KEPT]
        return [(line, first(digest) or 0) for line, digest in kept]


def check_file(
    facts: FileFacts, path: str | os.PathLike[str], service: str = OPENAI
) -> list[Problem]:
    """File-level findings from merged facts, by `service`'s rules: size, duplicates and mixed
    formats."""
    name = Path(path).name
    problems: list[Problem] = []
    n = facts.examples
    openai = facts_for(service).rules is RulesFamily.OPENAI
    if n == 0:
        what = f" ({facts.blank_lines} blank lines)" if facts.blank_lines else ""
        problems.append(error("empty_file", f"{name} has no examples{what}", None))
        return problems
    # Together takes a file of one example (TOGETHER_MIN_EXAMPLES) and recommends no number.
    if openai and n < MIN_EXAMPLES:
        problems.append(
            error(
                "too_few_examples",
                f"{name} has {n} example{'s' if n != 1 else ''}; the service needs at least "
                f"{MIN_EXAMPLES}",
                None,
            )
        )
    elif openai and n < RECOMMENDED_EXAMPLES:
        problems.append(
            warning(
                "few_examples",
                f"{name} has {plural(n, 'example')}; OpenAI recommends starting with 50 to 100 "
                "well-crafted examples",
                None,
            )
        )
    formats = [key for key, count in facts.format_counts.items() if count]
    if len(formats) > 1:
        formats.sort(key=lambda key: facts.format_first_line[key])
        minority = min(formats, key=lambda key: facts.format_counts[key])
        rule = _OPENAI_MIX if openai else _TOGETHER_MIX
        parts = ", ".join(
            f"{facts.format_counts[key]} {key} (first at line {facts.format_first_line[key]})"
            for key in formats
        )
        problems.append(
            error(
                "mixed_formats",
                f"{name} mixes example formats: {parts}; {rule}",
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


# Byte-order marks, longest first (UTF-32 LE starts like UTF-16 LE).
_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32 (big-endian)"),
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian)"),
    (b"\xfe\xff", "UTF-16 (big-endian)"),
    (b"\xff\xfe", "UTF-16 (little-endian)"),
)
# Without a mark, JSON's first character ({ or [, ASCII) gives the encoding away by its zeros.
# (zeros in a code unit, where the ASCII byte sits in it, the encoding)
_ZERO_PATTERNS = (
    (b"\x00\x00\x00", 3, "UTF-32 (big-endian, no byte-order mark)"),
    (b"\x00\x00\x00", 0, "UTF-32 (little-endian, no byte-order mark)"),
    (b"\x00", 1, "UTF-16 (big-endian, no byte-order mark)"),
    (b"\x00", 0, "UTF-16 (little-endian, no byte-order mark)"),
)


def foreign_encoding(head: bytes) -> str | None:
    """The name of the Unicode encoding the file starting with `head` is in, when it is UTF-16
    or UTF-32 (by its byte-order mark, or by the zeros around a leading { or [); else None.

    Such a file read as UTF-8 makes every line look broken; the one useful message is that the
    whole file must be saved as UTF-8.
    """
    for mark, name in _BOMS:
        if head.startswith(mark):
            return name
    for zeros, at, name in _ZERO_PATTERNS:
        width = len(zeros) + 1
        unit = head[:width]
        if len(unit) == width and unit[at : at + 1] in (b"{", b"["):
            rest = unit[:at] + unit[at + 1 :]
            if rest == zeros:
                return name
    return None


def preflight(path: str | os.PathLike[str], shown: str | None = None) -> Problem | None:
    """The one whole-file error that makes per-line checks pointless, or None.

    A file in UTF-16 or UTF-32 (`wrong_encoding`), or a JSON array or pretty-printed objects
    (`not_jsonl`, see `sniff_json_container`). `shown` is the name to use in messages (the
    path as the user gave it), by default `path`. Reads only the first 64 KB.
    """
    path = Path(path)
    shown_path = Path(shown) if shown is not None else path
    with open(path, "rb") as f:
        head = f.read(_SNIFF_BYTES)
    encoding = foreign_encoding(head)
    if encoding is not None:
        return error(
            "wrong_encoding",
            f"{shown_path.name} is encoded as {encoding}: save it as UTF-8 (the service reads "
            "UTF-8 only)",
            None,
        )
    return _container_problem(head, shown_path, convertible=shown is None)


def sniff_json_container(path: str | os.PathLike[str], shown: str | None = None) -> Problem | None:
    """A `not_jsonl` error if the file is a JSON array or pretty-printed objects, else None.

    Reads only the first 64 KB. A `.json` file that holds one object per line is fine, and so is
    a first line that is complete but broken (too deep, bad quotes): per-line checks report it.
    When this returns a problem, per-line validation of the file would only repeat it line by
    line.
    """
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(_SNIFF_BYTES)
    shown_path = Path(shown) if shown is not None else path
    return _container_problem(head, shown_path, convertible=shown is None)


def _container_problem(head: bytes, path: Path, *, convertible: bool) -> Problem | None:
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    text = head.lstrip()
    if not text:
        return None
    first_line, _, rest = text.partition(b"\n")
    first_line = first_line.strip()
    kind = None
    if text[:1] == b"[":
        kind = _array_kind(text, first_line, rest)
    elif (
        text[:1] == b"{"
        and not _parses(first_line)
        and (first_line == b"{" or _spans_lines(text) or _continues(rest))
    ):
        kind = "pretty-printed JSON (objects spread over several lines)"
    if kind is None:
        return None
    if convertible:
        out = (
            path.with_suffix(".jsonl")
            if path.suffix != ".jsonl"
            else path.with_suffix(".clean.jsonl")
        )
        how = f"convert it with: tuner convert {shlex.quote(str(path))} {shlex.quote(str(out))}"
    else:
        how = "save it to a file and convert it with: tuner convert FILE OUT.jsonl"
    return error(
        "not_jsonl", f"{path.name} is {kind}, not JSONL (one example per line); {how}", None
    )


def _array_kind(text: bytes, first_line: bytes, rest: bytes) -> str | None:
    end = value_end(text)
    if end is None or b"\n" in text[:end]:
        return "a JSON array"
    # The first line holds a whole value. One line holding an array of examples and nothing
    # after it is an array file; any other line (some other array, or one too deep or broken to
    # parse) is a JSONL line, reported per line.
    try:
        value = orjson.loads(first_line)
    except orjson.JSONDecodeError:
        return None
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
    """The value at the start of `text` is complete and spreads over more than one line."""
    end = value_end(text)
    return end is not None and b"\n" in text[:end]


def _continues(rest: bytes) -> bool:
    """The next non-blank line looks like the inside of an object, not a new example."""
    for line in rest.split(b"\n", 20)[:20]:
        stripped = line.strip()
        if stripped:
            return stripped[:1] in (b'"', b"}", b"]", b"[")
    return False
