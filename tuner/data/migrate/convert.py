"""Convert a training file for another fine-tuning service, line by line, saying every change.

    result = convert_file(src, dst, ConversionTarget("together", model, catalog, token_limit=n))

Moving a fine-tune from one service to another (`tuner migrate`, `tuner.api.migrate.move`) needs the
same examples in the form the other service takes. What has to change is decided by the target's
rules, whatever the file came from: toward Together AI by `migrate_together`, toward OpenAI (and
Azure OpenAI) by `migrate_openai`. Then every line is held to the target's rules
(`rules.check_example`) and its per-example token limit:

- a line that still breaks a rule is left out, with the target's own reason, never passed on
  broken (the target would refuse the whole file, or fail the job, for it);
- an example over the model's limit is left out (the service would cut it off or refuse it);
- a line nothing had to change is written byte for byte as it was read (less a byte-order
  mark, a carriage return, surrounding blanks).

Everything is streamed (the output is written as it is read, through `atomic_file`, so an
interrupted conversion leaves no half file), and memory stays bounded whatever the file's size:
the changes are folded per kind (`migrate_notes.ChangeLog`) into a handful of line numbers and a
count each. File-level rules (enough examples, one format) are the caller's to check on the
output (`analysis.analyse.analyse_file`), as for any file.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from tuner.data.catalog.lookup import Catalog
from tuner.data.jsonl.atomic_file import output_target, write_atomically
from tuner.data.jsonl.lines import iter_lines
from tuner.data.migrate.content import Abilities
from tuner.data.migrate.notes import Change, ChangeLog, LineNotes
from tuner.data.migrate.to_openai import to_openai
from tuner.data.migrate.to_together import to_together
from tuner.data.rules.check import BOM, check_example, json_type
from tuner.data.rules.problems import DatasetFormat
from tuner.data.service_kinds import RulesFamily, facts_for, service_name
from tuner.data.tokens.count import TokenCounter, counter_for_model

__all__ = [
    "Change",
    "ConversionCancelled",
    "ConversionResult",
    "ConversionTarget",
    "convert_file",
    "convert_line",
]

# Progress is reported about this often (bytes read), and cancellation checked every line.
_PROGRESS_BYTES = 1 << 20

ProgressCallback = Callable[[int, int], None]


class ConversionCancelled(Exception):
    """`convert_file`'s `cancel` was set; the output was not written."""


@dataclass(frozen=True)
class ConversionTarget:
    """The service and model a file is converted for.

    `service` is a profile kind (`openai`, `azure`, `together`): its rules decide. `catalog` is
    that service's model table (the token counter and, when the service does not say, the
    per-example limits). `token_limit` and `preference_token_limit` are the longest examples the
    service trains on, when it says (Together's `models/limits`); None: the catalog's.
    `images` and `tools`: whether the model takes them (None: not known, kept). `source` is
    the service the file was trained on (a profile kind; None: unknown), whose rules say what
    its weights meant.
    """

    service: str
    model: str
    catalog: Catalog
    token_limit: int | None = None
    preference_token_limit: int | None = None
    images: bool | None = None
    tools: bool | None = None
    source: str | None = None

    @property
    def name(self) -> str:
        """The service as people call it: `Together AI`, `OpenAI`."""
        return service_name(self.service)

    def limits(self) -> tuple[int | None, int | None]:
        """(supervised, preference) per-example limits: the service's, else the catalog's."""
        info = self.catalog.resolve(self.model).info
        limit = self.token_limit
        if limit is None and info is not None:
            limit = info.token_limit()
        preference = self.preference_token_limit
        if preference is None and info is not None:
            preference = info.token_limit(preference=True)
        return limit, preference if preference is not None else limit


@dataclass
class ConversionResult:
    """What `convert_file` did: lines read, examples in and out, the changes, the output's
    sha256 (of the bytes written), and how tokens were counted for the limit (None: exactly)."""

    source: Path
    output: Path
    lines: int = 0
    examples_in: int = 0
    examples_out: int = 0
    changes: list[Change] = field(default_factory=list)
    sha256: str = ""
    token_note: str | None = None

    @property
    def dropped(self) -> int:
        """Examples left out (blank lines are not examples)."""
        return self.examples_in - self.examples_out


class _Converter:
    """Converts one line at a time for one target; holds the counter and the limits."""

    def __init__(self, target: ConversionTarget) -> None:
        self.target = target
        self.service = target.service
        self.together = facts_for(target.service).rules is RulesFamily.TOGETHER
        self.abilities = Abilities(images=target.images, tools=target.tools)
        source = target.source
        self.from_together = source is not None and facts_for(source).rules is RulesFamily.TOGETHER
        self.counter: TokenCounter = counter_for_model(target.model, target.catalog)[0]
        self.limit, self.preference_limit = target.limits()
        self.how = "tuner's estimate of its tokens" if self.counter.approximate else "tuner's count"

    def line(self, raw: bytes, line: int, notes: LineNotes) -> bytes | None:
        """The line to write for `raw` (with its newline), or None when it is left out."""
        if raw.startswith(BOM):
            raw = raw[len(BOM) :]
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            notes.drop("blank_line")
            return None
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            notes.drop("invalid_line", f"line {line} is not valid JSON")
            return None
        if not isinstance(obj, dict):
            notes.drop("invalid_line", f"line {line} is a JSON {json_type(obj)}")
            return None
        if self.together:
            converted = to_together(obj, notes, self.abilities)
        else:
            converted = to_openai(obj, notes, self.abilities, from_together=self.from_together)
        if converted is None:
            return None
        data = raw.strip() + b"\n" if not notes.changed else _dumps(converted)
        check = check_example(data, line, self.service)
        errors = [p for p in check.problems if p.is_error]
        if errors:
            notes.drop("refused_by_target", f"line {line}: {errors[0].message}")
            return None
        over = self._over_limit(check.obj, check.format)
        if over is not None:
            notes.drop("over_token_limit", f"line {line} has {over}")
            return None
        return data

    def _over_limit(self, obj: Any, fmt: DatasetFormat | None) -> str | None:
        """How many tokens the example has when that is over the model's limit, else None."""
        preference = fmt is DatasetFormat.PREFERENCE
        limit = self.preference_limit if preference else self.limit
        if limit is None or fmt is None:
            return None
        counter = self.counter
        if fmt is DatasetFormat.CHAT:
            tokens = counter.count_chat(obj, limit)
        elif preference:
            tokens = counter.count_preference(obj, limit)
        elif fmt is DatasetFormat.INSTRUCTION:
            tokens = counter.count_instruction(obj, limit)
        else:
            tokens = counter.count_plain_text(obj, limit)
        if tokens.total <= limit:
            return None
        amount = f"more than {limit:,}" if tokens.lower_bound else f"{tokens.total:,}"
        return f"{amount} tokens by {self.how}, over the limit of {limit:,}"


def _dumps(obj: Any) -> bytes:
    return orjson.dumps(obj, option=orjson.OPT_APPEND_NEWLINE)


def convert_line(raw: bytes, line: int, target: ConversionTarget) -> tuple[bytes | None, LineNotes]:
    """One line converted for `target`: (the bytes to write with their newline, or None when
    it is left out; what was done). For tests and previews; `convert_file` streams a file."""
    notes = LineNotes()
    return _Converter(target).line(raw, line, notes), notes


def convert_file(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    target: ConversionTarget,
    *,
    cancel: threading.Event | None = None,
    progress: ProgressCallback | None = None,
) -> ConversionResult:
    """Convert `src` into `dst` (replaced whole, or left as it was on failure) for `target`.

    Raises `OSError` when `src` cannot be read, `OutputError` when `dst` cannot be written,
    `ConversionCancelled` when `cancel` is set. `progress(bytes_read, total)` is called from the
    converting thread now and then.
    """
    src, dst = Path(src), Path(dst)
    converter = _Converter(target)
    log = ChangeLog(target=target.name, model=target.model)
    result = ConversionResult(src, dst)
    if converter.counter.approximate:
        result.token_note = converter.how
    digest = hashlib.sha256()
    total = os.path.getsize(src)

    def write(out: BinaryIO) -> bool:
        done = reported = 0
        for number, raw in iter_lines(src):
            assert number is not None  # read from the start: numbered
            if cancel is not None and cancel.is_set():
                raise ConversionCancelled(str(src))
            notes = LineNotes()
            data = converter.line(raw, number, notes)
            result.lines = number
            if notes.dropped != "blank_line":
                result.examples_in += 1
            if data is not None:
                out.write(data)
                digest.update(data)
                result.examples_out += 1
            log.record(number, notes)
            done += len(raw) + 1
            if progress is not None and done - reported >= _PROGRESS_BYTES:
                reported = done
                progress(min(done, total), total)
        if progress is not None:
            progress(total, total)
        return True

    write_atomically(output_target(dst, force=True), write)
    result.changes = log.changes()
    result.sha256 = digest.hexdigest()
    return result
