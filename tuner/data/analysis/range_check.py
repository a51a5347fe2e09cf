"""Check and count the lines of one byte range of a training file: what each worker runs.

`tuner.data.analysis.pool` cuts a file into ranges that begin at line starts and hands each to
`analyse_range`, in a worker process (spawned or forked) or, for a small file, in the caller's
thread. This module is all a spawned worker imports to do that, so it stays small: it knows the
rules and the token counter, not the report, the estimate or the pool.

What a range yields is bounded by tuner's limits, not by how many lines it holds (a
`ChunkResult`): findings past `PROBLEMS_KEPT_PER_CODE` per code are counted, not kept; tokens
are a table of distinct counts; one line is read whole only up to `line_window` bytes, and a
longer one is measured and reported (`line_too_long`); a short line repeated is checked once.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuner.data.analysis.report import AnalysisCancelled
from tuner.data.durations import format_size
from tuner.data.jsonl.lines import LongLine, iter_bounded_lines
from tuner.data.rules.check import check_example
from tuner.data.rules.file import FileFacts, check_digest
from tuner.data.rules.problem_log import ProblemLog
from tuner.data.rules.problems import DatasetFormat, Problem, error, warning
from tuner.data.service_kinds import OPENAI
from tuner.data.tokens.count import (
    UNKNOWN_LIMIT_CAP,
    ExampleTokens,
    TokenCounter,
    counter_for_model,
)

if TYPE_CHECKING:
    from tuner.data.catalog.lookup import Catalog

# In one process, the cancel event is looked at every this many lines of a range.
CANCEL_CHECK_LINES = 256
# One line is read whole up to a window past what the model's per-example limit could fill:
# this many bytes a token (JSON spends up to 12 bytes on one character, `\ud83d\ude00`, and a
# token holds one or more), plus a fixed margin for what costs no tokens (images inlined as
# base64 data, whitespace). A longer line is measured, never read: `line_too_long`.
LINE_BYTES_PER_TOKEN = 16
LINE_WINDOW_MARGIN = 24 * 1024 * 1024


def line_window(limit: int | None) -> int:
    """The longest line read whole, in bytes, for a per-example limit of `limit` tokens (None:
    no published limit, counted up to `UNKNOWN_LIMIT_CAP`)."""
    tokens = limit if limit is not None else UNKNOWN_LIMIT_CAP
    return LINE_BYTES_PER_TOKEN * min(tokens, UNKNOWN_LIMIT_CAP) + LINE_WINDOW_MARGIN


# Lines this short that repeat one seen earlier in the range are not checked again: what was
# found for the first (its findings, format, hash and tokens) is taken for them. A file of one
# mistake repeated millions of times is checked at the speed of reading it.
REPEAT_MAX_BYTES = 256
REPEAT_MEMORY = 4096  # distinct short lines remembered per range (then forgotten, and again)
# A line longer than this is checked by one worker at a time: parsing one holds about three
# times its size (the bytes, the parsed text, its canonical form), and every core at once on
# such lines would add up. Shorter lines go in parallel as usual.
ONE_AT_A_TIME_BYTES = 4 * 1024 * 1024

# Set in each worker process by the pool's initializer: the gate of `ONE_AT_A_TIME_BYTES`.
_big_line_gate: Any = None
_NO_GATE = contextlib.nullcontext()


def init_worker(gate: Any) -> None:
    """The pool's initializer: hands each worker process the gate of `ONE_AT_A_TIME_BYTES`."""
    global _big_line_gate
    _big_line_gate = gate


@dataclass(slots=True)
class ChunkResult:
    """What one byte range yields, bounded by its limits (not by how many lines it has),
    except the per-example arrays that `keep_examples` asks for."""

    start: int
    end: int
    problems: ProblemLog
    facts: FileFacts
    token_frequencies: dict[int, int]  # {token count: examples with it}, counted ones only
    example_lines: array  # 1-based line of every non-blank line (with keep_examples)
    token_counts: array  # tokens of that example; 0 when it could not be counted
    marked_lines: array  # lines with a finding, ascending (with keep_examples)
    marked_errors: bytearray  # 1 where that line's findings include an error
    assistant_tokens: int = 0
    trained_assistant_tokens: int = 0
    lower_bounds: int = 0  # examples whose count is only a lower bound (too long to count)


@dataclass(frozen=True, slots=True)
class RangeTask:
    """What a worker needs besides its byte range; small and picklable."""

    path: Path
    model: str
    catalog: Catalog
    tiktoken_file: Path | None
    limit: int | None
    counter_key: int
    service: str = OPENAI
    preference_limit: int | None = None
    max_line_bytes: int = LINE_WINDOW_MARGIN
    keep_examples: bool = False


# Counters of runs in progress, by key. Filled before the pool forks, so forked workers find
# the parent's counter (and share its vocabulary's memory); a spawned worker builds its own once.
_counters: dict[int, TokenCounter] = {}
_counter_keys = itertools.count(1)


@contextlib.contextmanager
def shared_counter(counter: TokenCounter) -> Iterator[int]:
    """Offer `counter` to the ranges of one run for as long as the block lasts; yields the key
    their `RangeTask.counter_key` names it by. The caller's thread and forked workers use it
    (forked ones without copying its vocabulary); a spawned worker, which cannot see it, builds
    its own from the task."""
    key = next(_counter_keys)
    _counters[key] = counter
    try:
        yield key
    finally:
        del _counters[key]


def _task_counter(task: RangeTask) -> TokenCounter:
    counter = _counters.get(task.counter_key)
    if counter is None:
        counter = counter_for_model(task.model, task.catalog, task.tiktoken_file)[0]
        _counters[task.counter_key] = counter
    return counter


@dataclass(frozen=True, slots=True)
class _Seen:
    """What was found in one line: its findings, whether it is blank, its format, the hash of
    its example (None: not an object), its tokens and the warning they earn. Small: the parsed
    example is gone once this is made."""

    problems: tuple[Problem, ...]
    blank: bool
    format: DatasetFormat | None
    digest: int | None
    tokens: ExampleTokens | None
    too_many: Problem | None


def _check_line(task: RangeTask, counter: TokenCounter, raw: bytes, line: int) -> _Seen:
    """Check and count one line; what is kept of it is a `_Seen` (the parsed example and its
    canonical bytes are freed on return)."""
    check = check_example(raw, line, task.service)
    obj, fmt = check.obj, check.format
    tokens = too_many = None
    if isinstance(obj, dict) and fmt is not None:
        limit = task.limit
        cap = limit if limit is not None else UNKNOWN_LIMIT_CAP
        if fmt is DatasetFormat.CHAT:
            tokens = counter.count_chat(obj, cap)
        elif fmt is DatasetFormat.PREFERENCE:
            limit = task.preference_limit
            cap = limit if limit is not None else UNKNOWN_LIMIT_CAP
            tokens = counter.count_preference(obj, cap)
        elif fmt is DatasetFormat.INSTRUCTION:
            tokens = counter.count_instruction(obj, cap)
        else:
            tokens = counter.count_plain_text(obj, cap)
        too_many = _token_warning(tokens, limit, cap, line)
    return _Seen(tuple(check.problems), check.is_blank, fmt, check_digest(check), tokens, too_many)


def analyse_range(
    task: RangeTask,
    start: int,
    end: int,
    first_line: int,
    cancel: threading.Event | None = None,
) -> ChunkResult:
    """Check and count the lines that begin in [start, end); runs in a worker process, or in
    the caller's thread for a small file, where `cancel` stops it within a few lines (it cannot
    cross into a worker process, which is stopped instead)."""
    counter = _task_counter(task)
    window = task.max_line_bytes
    keep = task.keep_examples
    facts = FileFacts()
    problems = ProblemLog()
    frequencies: dict[int, int] = {}
    lines = array("I")
    counts = array("I")
    marked_lines = array("I")
    marked_errors = bytearray()
    assistant = trained = lower_bounds = 0
    remembered: dict[bytes, _Seen] = {}
    for line_no, raw in iter_bounded_lines(task.path, start, end, first_line, window):
        if cancel is not None and line_no % CANCEL_CHECK_LINES == 0 and cancel.is_set():
            raise AnalysisCancelled(str(task.path))
        if isinstance(raw, LongLine):
            facts.examples += 1  # the service would take it for one, and refuse it
            problems.add(_long_line_problem(raw.size, window, task.limit, line_no))
            if keep:
                lines.append(line_no)
                counts.append(0)
                marked_lines.append(line_no)
                marked_errors.append(1)
            continue
        short = len(raw) <= REPEAT_MAX_BYTES
        seen = remembered.get(raw) if short else None
        if seen is not None:  # the same as an earlier line: the same findings, here
            for problem in seen.problems:
                problems.add_at(problem, line_no)
            if seen.too_many is not None:
                problems.add_at(seen.too_many, line_no)
        else:
            big = len(raw) > ONE_AT_A_TIME_BYTES and _big_line_gate is not None
            with _big_line_gate if big else _NO_GATE:
                seen = _check_line(task, counter, raw, line_no)
            problems.extend(seen.problems)
            if seen.too_many is not None:
                problems.add(seen.too_many)
            if short:
                if len(remembered) >= REPEAT_MEMORY:
                    remembered.clear()
                remembered[raw] = seen
        facts.add_line(line_no, seen.blank, seen.format, seen.digest)
        tokens = seen.tokens
        if tokens is not None:
            total = tokens.total
            if total:
                frequencies[total] = frequencies.get(total, 0) + 1
            assistant += tokens.assistant
            trained += tokens.trained_assistant
            lower_bounds += tokens.lower_bound
        if keep:
            if not seen.blank:
                lines.append(line_no)
                counts.append(tokens.total if tokens is not None else 0)
            if seen.problems or seen.too_many is not None:
                marked_lines.append(line_no)
                marked_errors.append(any(p.is_error for p in seen.problems))
    return ChunkResult(
        start,
        end,
        problems,
        facts,
        frequencies,
        lines,
        counts,
        marked_lines,
        marked_errors,
        assistant,
        trained,
        lower_bounds,
    )


def _long_line_problem(size: int, window: int, limit: int | None, line: int) -> Problem:
    """The error for a line longer than tuner reads whole: said with its size, never read."""
    room = f"the model's {limit:,}-token limit" if limit is not None else "any model's limit"
    return error(
        "line_too_long",
        f"the line is {format_size(size)}, longer than the {format_size(window)} tuner reads "
        f"of one line (far more than {room} could hold); it was not checked: an example this "
        "long is cut off or refused, so split or remove it",
        line,
    )


def _token_warning(tokens: ExampleTokens, limit: int | None, cap: int, line: int) -> Problem | None:
    """A warning for an example over the model's limit, or too long to count exactly."""
    cut = "the tokens past it are cut off and the example may be dropped"
    if limit is not None and tokens.total > limit:
        if tokens.lower_bound:
            message = (
                f"example has more than {limit:,} tokens (tuner stops counting past the model's "
                f"{limit:,} per-example limit): {cut}"
            )
        else:
            message = (
                f"example has {tokens.total:,} tokens, over the model's {limit:,} per-example "
                f"limit: {cut}"
            )
        return warning("over_token_limit", message, line)
    if not tokens.lower_bound:
        return None
    if tokens.total > cap:
        message = (
            f"example has more than {cap:,} tokens; tuner stops counting there, so its count is "
            "a lower bound"
        )
    else:
        message = (
            f"example has at least {tokens.total:,} tokens (a lower bound: it holds a run of "
            "text too long to tokenize)"
        )
    return warning("huge_example", message, line)
