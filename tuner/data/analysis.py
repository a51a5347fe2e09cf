"""Analyse a training file end to end: stream it, check every line, count tokens, price it.

This is what `tuner validate`, the dataset screen and the emulator's file check share. Every
step follows the service the file is for (`service`, by default the catalog's): its rules
(`rules`), its model table and prices (`catalog`), its default epochs, and how its models' tokens
are counted (`tokens`), exactly or as a labelled estimate (`AnalysisReport.token_note`).

The file is never held in memory: it is cut into byte ranges at line starts, and each range is
checked and counted by a worker process (tiktoken's batch encoder does not scale with threads
here; processes do). Each worker returns compact per-range results (problems, a table of token
counts, facts for the file-level rules) that are folded in file order as they arrive.

Memory is bounded by limits tuner states, not by the file:
- findings: the first `PROBLEMS_KEPT_PER_CODE` of each code are kept, the rest counted
  (`AnalysisReport.problems_left_out`);
- token counts: a table of each distinct count (`stats.TokenStats`), exact, not one per example;
  per-example arrays (`example_lines`, `token_counts`, `marks`, what a screen listing every row
  needs) only with `keep_examples`;
- duplicates: the compact table of `example_hashes`, up to `MAX_DISTINCT_EXAMPLES`;
- one line: at most `line_window(limit)` bytes, a fixed window past what the model's
  per-example limit could fill; a longer line is measured, not read, and reported
  (`line_too_long`);
- ranges in flight: a few per worker, folded in order as they come back.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import itertools
import multiprocessing
import os
import stat
import sys
import threading
from array import array
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from decimal import Decimal
from multiprocessing import resource_tracker
from pathlib import Path
from typing import Any

from tuner.data.catalog.choice import default_catalog
from tuner.data.catalog.lookup import OPENAI_DEFAULT_MODEL, Catalog, ModelInfo, Resolution
from tuner.data.durations import format_size
from tuner.data.estimate import CostEstimate, estimate_cost, service_default_epochs
from tuner.data.example_hashes import MAX_DISTINCT_EXAMPLES
from tuner.data.jsonl.line_marks import LineMarks
from tuner.data.jsonl.lines import LongLine, iter_bounded_lines, split_ranges
from tuner.data.rules.check import check_example
from tuner.data.rules.file import FileFacts, check_digest, check_file, preflight
from tuner.data.rules.problem_log import PROBLEMS_KEPT_PER_CODE, ProblemLog
from tuner.data.rules.problems import DatasetFormat, Problem, Severity, error, warning
from tuner.data.service_kinds import OPENAI, rules_family, rules_label, service_name
from tuner.data.stats import TokenStats
from tuner.data.tokens.count import (
    UNKNOWN_LIMIT_CAP,
    ExampleTokens,
    TokenCounter,
    counter_for_model,
)
from tuner.data.wording import plural

# The model an OpenAI file is counted and priced for when none is named (kept under this name
# for the callers that import it); another service's catalog knows its own (`default_model`).
DEFAULT_MODEL = OPENAI_DEFAULT_MODEL

# Below this size one process is faster than starting a pool (each worker loads the vocabulary).
PARALLEL_THRESHOLD_BYTES = 24 * 1024 * 1024
# Ranges small enough for steady progress and cancellation, large enough to amortise pickling.
CHUNK_BYTES = 8 * 1024 * 1024
# How often a waiting analysis looks at its cancel event: quitting must feel immediate.
CANCEL_POLL_SECONDS = 0.05
# In one process, the cancel event is looked at every this many lines of a range.
CANCEL_CHECK_LINES = 256
# Ranges handed to the pool ahead of the one being folded, per worker: enough to keep every
# worker busy, few enough that finished results do not pile up.
RANGES_IN_FLIGHT_PER_WORKER = 2
# One line is read whole up to a window past what the model's per-example limit could fill:
# this many bytes a token (JSON spends up to 12 bytes on one character, `\ud83d\ude00`, and a
# token holds one or more), plus a fixed margin for what costs no tokens (images inlined as
# base64 data, whitespace). A longer line is measured, never read: `line_too_long`.
LINE_BYTES_PER_TOKEN = 16
LINE_WINDOW_MARGIN = 24 * 1024 * 1024

ProgressCallback = Callable[[int, int], None]


def line_window(limit: int | None) -> int:
    """The longest line read whole, in bytes, for a per-example limit of `limit` tokens (None:
    no published limit, counted up to `UNKNOWN_LIMIT_CAP`)."""
    tokens = limit if limit is not None else UNKNOWN_LIMIT_CAP
    return LINE_BYTES_PER_TOKEN * min(tokens, UNKNOWN_LIMIT_CAP) + LINE_WINDOW_MARGIN


class AnalysisCancelled(Exception):
    """Raised by `analyse_file` when its `cancel` event is set; nothing partial is returned."""


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


@dataclass(slots=True)
class AnalysisReport:
    """Everything known about one file after one pass: problems, tokens, the estimate."""

    path: Path
    model: str
    resolution: Resolution
    encoding: str
    exact_tokens: bool
    format: DatasetFormat | None
    examples: int
    problems: list[Problem]  # the first PROBLEMS_KEPT_PER_CODE of each code, in file order
    example_lines: array  # per example, with keep_examples only (else empty)
    token_counts: array
    assistant_tokens: int
    trained_assistant_tokens: int
    stats: TokenStats
    example_token_limit: int | None
    over_limit: int
    billed_tokens: int
    epochs: int
    estimate: CostEstimate
    notices: list[str] = field(default_factory=list)
    service: str = OPENAI
    token_note: str | None = None  # why the counts are an estimate; None when they are exact
    chat_template: str = "openai"
    full: bool = False
    # Findings not in `problems`, by (severity, code): past the number kept per code.
    left_out: dict[tuple[Severity, str], int] = field(default_factory=dict)
    marks: LineMarks | None = None  # every line with a finding (with keep_examples)

    @property
    def rules(self) -> str:
        """Which service's rules the file was checked against: `Together AI rules`."""
        return rules_label(self.service)

    @property
    def tokens_label(self) -> str:
        """How the counts were made, for a heading: `o200k_base, exact` or the estimate's note
        (`estimated with cl100k_base: tuner has no Llama 3 tokenizer offline`)."""
        return self.token_note or f"{self.encoding}, exact"

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]

    @property
    def error_count(self) -> int:
        """Every error, listed in `problems` or left out of it."""
        return len(self.errors) + self._left_out(Severity.ERROR)

    @property
    def warning_count(self) -> int:
        """Every warning, listed in `problems` or left out of it."""
        return len(self.warnings) + self._left_out(Severity.WARNING)

    def _left_out(self, severity: Severity) -> int:
        return sum(n for (s, _), n in self.left_out.items() if s is severity)

    def problems_left_out(self, severity: Severity | None = None) -> dict[str, int]:
        """{code: findings of it not in `problems`} (of one severity, or all), most first."""
        merged: dict[str, int] = {}
        for (s, code), count in self.left_out.items():
            if severity is None or s is severity:
                merged[code] = merged.get(code, 0) + count
        return dict(sorted(merged.items(), key=lambda item: (-item[1], item[0])))

    def count_of(self, code: str) -> int:
        """Every finding of `code`, listed or left out."""
        listed = sum(1 for p in self.problems if p.code == code)
        return listed + sum(n for (_, c), n in self.left_out.items() if c == code)

    @property
    def valid(self) -> bool:
        """True when the service would accept the file (warnings allowed)."""
        return not any(p.severity is Severity.ERROR for p in self.problems) and not (
            self._left_out(Severity.ERROR)
        )

    @property
    def tokens_total(self) -> int:
        return self.stats.total

    def to_json(self) -> dict[str, object]:
        """The stable `tuner validate --json` shape (scripts depend on these keys)."""
        cost = self.estimate.cost_usd
        return {
            "service": self.service,
            "rules": self.rules,
            "path": str(self.path),
            "format": self.format.value if self.format else None,
            "model": self.model,
            "base_model": self.resolution.base_id,
            "examples": self.examples,
            "valid": self.valid,
            "errors": [p.as_dict() for p in self.errors],
            "warnings": [p.as_dict() for p in self.warnings],
            "left_out": {
                "errors": self.problems_left_out(Severity.ERROR),
                "warnings": self.problems_left_out(Severity.WARNING),
            },
            "tokens": {
                "total": self.stats.total,
                "billed": self.billed_tokens,
                "max_example": self.stats.max,
                "min_example": self.stats.min,
                "mean_example": round(self.stats.mean, 2),
                "p5_example": round(self.stats.p5, 1),
                "p50_example": round(self.stats.p50, 1),
                "p95_example": round(self.stats.p95, 1),
                "assistant_total": self.assistant_tokens,
                "trained_assistant_total": self.trained_assistant_tokens,
                "example_limit": self.example_token_limit,
                "examples_over_limit": self.over_limit,
            },
            "encoding": self.encoding,
            "exact_tokens": self.exact_tokens,
            "token_estimate": self.token_note,
            "chat_template": self.chat_template,
            "epochs": self.epochs,
            "trained_tokens": self.estimate.trained_tokens,
            "price_per_1m_usd": _float_or_none(self.estimate.price_per_1m),
            "estimated_cost_usd": _float_or_none(cost),
            "notices": list(self.notices),
        }

    def reprice(
        self, model: ModelInfo | None, epochs: int | None = None, *, full: bool | None = None
    ) -> CostEstimate:
        """The estimate for another base model, epoch count or (where the service offers the
        choice) full fine-tuning instead of LoRA, without a second pass.

        Valid only when `model` uses the same encoding and chat template as this report (the UI
        re-analyses when it does not): token counts differ between them.
        """
        preference = self.format is DatasetFormat.PREFERENCE
        limit = model.token_limit(preference=preference) if model else None
        billed = self.stats.billed(limit)
        chosen = (
            epochs if epochs is not None else service_default_epochs(self.service, self.examples)
        )
        return estimate_cost(
            billed,
            chosen,
            model,
            examples=self.examples,
            preference=preference,
            full=self.full if full is None else full,
        )

    def problems_by_line(self) -> tuple[dict[int, list[Problem]], LineMarks, list[Problem]]:
        """(the listed problems of each line, the lines with a finding and whether one is an
        error, whole-file errors): what a list draws as row markers and a banner. The marks
        cover every finding when the analysis kept examples (`keep_examples`), else the
        listed ones."""
        by_line: dict[int, list[Problem]] = {}
        file_errors: list[Problem] = []
        for p in self.problems:
            if p.line is None:
                if p.is_error:
                    file_errors.append(p)
                continue
            by_line.setdefault(p.line, []).append(p)
        marks = self.marks if self.marks is not None else LineMarks.of(self.problems)
        return by_line, marks, file_errors


def _float_or_none(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class _RangeTask:
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


def _task_counter(task: _RangeTask) -> TokenCounter:
    counter = _counters.get(task.counter_key)
    if counter is None:
        counter = counter_for_model(task.model, task.catalog, task.tiktoken_file)[0]
        _counters[task.counter_key] = counter
    return counter


def analyse_file(
    path: str | os.PathLike[str],
    model: str | None = None,
    *,
    epochs: int | None = None,
    catalog: Catalog | None = None,
    tiktoken_file: Path | None = None,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    shown_as: str | None = None,
    service: str | None = None,
    example_token_limit: int | None = None,
    preference_token_limit: int | None = None,
    full: bool = False,
    keep_examples: bool = False,
) -> AnalysisReport:
    """Check and count a whole file; raises OSError if it cannot be read, AnalysisCancelled.

    `service` (`openai`, `azure`, `together`) picks the rules the file is checked against; by
    default the catalog's service, and OpenAI's when no catalog is given either (a catalog is
    then the service's built-in one). `model=None` means the catalog's default model.
    `example_token_limit` and `preference_token_limit` replace the catalog's per-example limits
    for supervised and preference files (the figures a service reported, such as Together's
    `/fine-tunes/models/limits`); without the second, preference files get the model's own DPO
    limit, else the supervised one. `full` prices full fine-tuning instead of LoRA.
    `workers=None` picks one process for small files and one per core for large ones.
    `shown_as` is the name the user gave the input when `path` is a copy of it (a pipe spooled
    to a file): the report and its messages use it. Anything but a regular file (a directory, a
    FIFO, a device) is refused with an `OSError` that says what it is: reading one could block
    or never end. An unknown `service` raises `UnknownService` (a ValueError).
    `keep_examples` keeps what a screen listing every line needs: each example's line and
    token count, and every line with a finding (`marks`); memory then grows with the file (a
    few bytes a line). Without it, memory is bounded by tuner's limits (module docstring).
    """
    path = Path(path)
    if service is not None:
        rules_family(service)  # an unknown service is refused before any work
    if catalog is None:
        catalog = default_catalog(service or OPENAI)
    service = service or catalog.service
    size = _regular_file_size(path)
    model = model or catalog.default_model
    counter, resolution = counter_for_model(model, catalog, tiktoken_file)
    info = resolution.info
    limit = example_token_limit
    if limit is None and info is not None:
        limit = info.token_limit()
    preference_limit = preference_token_limit
    if preference_limit is None:
        own = info.dpo_example_token_limit if info is not None else None
        preference_limit = own if own is not None else limit

    whole_file = preflight(path, shown_as)
    totals = _Totals(keep_examples)
    if whole_file is not None:
        found = [whole_file]
    else:
        found = []
        key = next(_counter_keys)
        _counters[key] = counter
        window = line_window(max((x for x in (limit, preference_limit) if x), default=None))
        try:
            task = _RangeTask(
                path,
                model,
                catalog,
                tiktoken_file,
                limit,
                key,
                service,
                preference_limit,
                window,
                keep_examples,
            )
            _run_chunks(task, size, workers, progress, cancel, totals)
        finally:
            del _counters[key]
    shown = Path(shown_as) if shown_as is not None else path
    limits = _Limits(limit, preference_limit)
    report = _assemble(
        shown, model, resolution, counter, info, limits, epochs, totals, found, service, full
    )
    if info is not None and catalog.price_source and catalog.builtin_prices(info):
        report.notices.append(f"{info.id}: prices {catalog.price_source}")
    return report


@dataclass(frozen=True, slots=True)
class _Limits:
    """The per-example limits in force: for supervised (chat, instruction, text) examples and
    for preference ones."""

    supervised: int | None
    preference: int | None

    def of(self, fmt: DatasetFormat | None) -> int | None:
        return self.preference if fmt is DatasetFormat.PREFERENCE else self.supervised


def _regular_file_size(path: Path) -> int:
    """The size of `path`, or an OSError saying why it is not a regular file one can read."""
    info = os.stat(path)
    if stat.S_ISREG(info.st_mode):
        return info.st_size
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory", str(path))
    kind = "a FIFO (named pipe)" if stat.S_ISFIFO(info.st_mode) else "a device or socket"
    raise OSError(errno.EINVAL, f"is {kind}, not a regular file", str(path))


class _Totals:
    """The results of the ranges folded so far, in file order."""

    def __init__(self, keep_examples: bool = False) -> None:
        self.keep_examples = keep_examples
        self.folded = 0
        self.problems = ProblemLog()
        self.facts = FileFacts()
        self.frequencies: dict[int, int] = {}
        self.lines = array("I")
        self.counts = array("I")
        self.marked_lines = array("I")
        self.marked_errors = bytearray()
        self.assistant = self.trained = self.lower_bounds = 0

    def fold(self, chunk: ChunkResult) -> None:
        """Add the results of the range after the ones folded so far."""
        if self.folded:
            self.problems.merge(chunk.problems)
            self.facts.merge(chunk.facts)
        else:  # the first range's results are the totals so far: taken as they are
            self.problems, self.facts = chunk.problems, chunk.facts
        self.folded += 1
        frequencies = self.frequencies
        for count, examples in chunk.token_frequencies.items():
            frequencies[count] = frequencies.get(count, 0) + examples
        self.lines.extend(chunk.example_lines)
        self.counts.extend(chunk.token_counts)
        self.marked_lines.extend(chunk.marked_lines)
        self.marked_errors.extend(chunk.marked_errors)
        self.assistant += chunk.assistant_tokens
        self.trained += chunk.trained_assistant_tokens
        self.lower_bounds += chunk.lower_bounds


def _run_chunks(
    task: _RangeTask,
    size: int,
    workers: int | None,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
    totals: _Totals,
) -> None:
    """Analyse every range of the file and fold the results into `totals`, in file order."""
    path = task.path
    n_workers = workers if workers is not None else _auto_workers(size)
    if n_workers <= 1:
        ranges = split_ranges(path, max(1, size // CHUNK_BYTES)) if size else []
        for start, end, first in ranges:
            if cancel is not None and cancel.is_set():
                raise AnalysisCancelled(str(path))
            totals.fold(_analyse_range(task, start, end, first, cancel))
            if progress:
                progress(end, size)
        return

    ranges = split_ranges(path, max(n_workers, size // CHUNK_BYTES))
    done_bytes = 0
    context = _pool_context()
    if context.get_start_method() == "fork":
        # Keep the collector off the parent's objects so forked children keep sharing their
        # pages (the vocabulary above all) instead of copying them on the first collection.
        gc.freeze()
    gate = context.Semaphore(1)  # one worker at a time on a line over ONE_AT_A_TIME_BYTES
    with ProcessPoolExecutor(
        max_workers=n_workers, mp_context=context, initializer=_init_worker, initargs=(gate,)
    ) as pool:
        waiting = iter(enumerate(ranges))
        pending: dict[Future[ChunkResult], int] = {}
        finished: dict[int, ChunkResult] = {}  # come back early: held until their turn
        turn = 0  # the next range to fold
        in_flight = n_workers * RANGES_IN_FLIGHT_PER_WORKER
        try:
            while True:
                # Hand out ranges while few are out: finished results wait here, in memory.
                while len(pending) + len(finished) < in_flight:
                    number, (start, end, first) = next(waiting, (-1, (0, 0, 0)))
                    if number < 0:
                        break
                    pending[pool.submit(_analyse_range, task, start, end, first)] = number
                if not pending:
                    break
                done, _ = wait(
                    set(pending), timeout=CANCEL_POLL_SECONDS, return_when=FIRST_COMPLETED
                )
                if cancel is not None and cancel.is_set():
                    raise AnalysisCancelled(str(path))
                for future in done:
                    finished[pending.pop(future)] = future.result()
                folded = False
                while turn in finished:
                    result = finished.pop(turn)
                    totals.fold(result)
                    done_bytes += result.end - result.start
                    turn += 1
                    folded = True
                if folded and progress:
                    progress(done_bytes, size)
        except BaseException:
            _stop_workers(pool)
            raise
        finally:
            gc.unfreeze()


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """End the pool's worker processes now, mid-range: a cancelled analysis (the user quit or
    left the file) must not wait for ranges that take seconds each to finish.

    `shutdown(cancel_futures=True)` only drops the ranges not yet started; the ones running
    would still be waited for when the pool closes. Python 3.14 has `terminate_workers()`;
    before it the pool's own process table is the only handle on its workers.
    """
    terminate = getattr(pool, "terminate_workers", None)
    if terminate is not None:
        terminate()
        return
    # Terminated before the pool is told to shut down: shutting down first sends each idle
    # worker its exit sentinel, and which of the two reaches a worker first would be a race.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


_tracker_lock = threading.Lock()


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker against a stderr that has a file descriptor.

    The tracker hands its child `sys.stderr.fileno()`. Inside a Textual app sys.stderr is a
    capture object whose fileno() is -1, and spawning fails with "bad value(s) in
    fds_to_keep". Once started, the tracker is reused by every later pool.
    """
    try:
        if sys.stderr is not None and sys.stderr.fileno() >= 0:
            return
    except (AttributeError, OSError, ValueError):
        pass
    with _tracker_lock:
        captured = sys.stderr
        sys.stderr = sys.__stderr__
        try:
            resource_tracker.ensure_running()
        finally:
            sys.stderr = captured


def _pool_context() -> multiprocessing.context.BaseContext:
    """Fork when it is safe, so workers share the vocabulary the parent already loaded.

    A vocabulary costs about 90 MB per process; forked children map the parent's copy instead of
    building their own. Forking is only safe with a single thread (the CLI); from the app, whose
    threads may hold locks, workers are spawned fresh and load their own.
    """
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    _start_resource_tracker()
    return multiprocessing.get_context("spawn")


def _auto_workers(size: int) -> int:
    if size < PARALLEL_THRESHOLD_BYTES:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


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


def _init_worker(gate: Any) -> None:
    global _big_line_gate
    _big_line_gate = gate


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


def _check_line(task: _RangeTask, counter: TokenCounter, raw: bytes, line: int) -> _Seen:
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


def _analyse_range(
    task: _RangeTask,
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


def _assemble(
    path: Path,
    model: str,
    resolution: Resolution,
    counter: TokenCounter,
    info: ModelInfo | None,
    limits: _Limits,
    epochs: int | None,
    totals: _Totals,
    whole_file: list[Problem],
    service: str = OPENAI,
    full: bool = False,
) -> AnalysisReport:
    facts = totals.facts
    log = ProblemLog()
    file_level = whole_file or check_file(facts, path, service)
    log.extend(file_level)
    log.leave_out(
        Severity.WARNING, "duplicate_example", facts.duplicate_count - len(facts.duplicates())
    )
    log.merge(totals.problems)
    problems = log.kept
    problems.sort(key=_problem_order)
    stats = TokenStats.from_frequencies(totals.frequencies)
    fmt = _dominant_format(facts)
    limit = limits.of(fmt)
    chosen_epochs = (
        epochs if epochs is not None else service_default_epochs(service, facts.examples)
    )
    billed = stats.billed(limit)
    token_note = _token_note(counter, resolution)
    notices = []
    if resolution.notice:
        notices.append(resolution.notice)
    if token_note is not None and not resolution.notice:
        notices.append(f"token counts are {token_note}")
    if info is not None and limit is None:
        notices.append(
            f"{info.id}: the service publishes no per-example token limit; that check was skipped"
        )
    lower_bounds = totals.lower_bounds
    if lower_bounds:
        verb = "is" if lower_bounds == 1 else "are"
        notices.append(
            f"{plural(lower_bounds, 'example')} {verb} too long to count exactly: their token "
            "counts (and the totals) are lower bounds"
        )
    if facts.untracked:
        notices.append(
            f"duplicates were looked for among the first {MAX_DISTINCT_EXAMPLES:,} distinct "
            f"examples only: {facts.untracked:,} later ones were not compared"
        )
    left_out = log.left_out_by_code()
    if left_out:
        listed = ", ".join(f"{code} ({count:,} more)" for code, count in list(left_out.items())[:3])
        etc = ", …" if len(left_out) > 3 else ""
        notices.append(
            f"the first {PROBLEMS_KEPT_PER_CODE:,} problems of each kind are listed, the rest "
            f"counted: {listed}{etc}"
        )
    preference = fmt is DatasetFormat.PREFERENCE
    if full and info is not None and info.price_per_1m(preference=preference, full=True) is None:
        notices.append(
            f"{service_name(service)} offers no full fine-tuning of {info.id}: LoRA only"
        )
    return AnalysisReport(
        path=path,
        model=model,
        resolution=resolution,
        encoding=counter.encoding_name or "bytes/4 estimate",
        exact_tokens=not counter.approximate,
        format=fmt,
        examples=facts.examples,
        problems=problems,
        example_lines=totals.lines,
        token_counts=totals.counts,
        assistant_tokens=totals.assistant,
        trained_assistant_tokens=totals.trained,
        stats=stats,
        example_token_limit=limit,
        over_limit=stats.over_limit(limit) if limit is not None else 0,
        billed_tokens=billed,
        epochs=chosen_epochs,
        estimate=estimate_cost(
            billed,
            chosen_epochs,
            info,
            examples=facts.examples,
            preference=preference,
            full=full,
        ),
        notices=notices,
        service=service,
        token_note=token_note,
        chat_template=counter.template.name,
        full=full,
        left_out=dict(log.left_out),
        marks=(
            LineMarks(totals.marked_lines, totals.marked_errors).with_problems(file_level)
            if totals.keep_examples
            else None
        ),
    )


def _token_note(counter: TokenCounter, resolution: Resolution) -> str | None:
    """Why the counts are an estimate (`estimated with cl100k_base: tuner has no Llama 3
    tokenizer offline`), or None when they are exact."""
    if not counter.approximate:
        return None
    if counter.encoding is None:
        return "estimated at about 4 bytes per token: no vocabulary could be loaded"
    return resolution.count_note or f"estimated with {counter.encoding_name}"


def _problem_order(p: Problem) -> tuple[bool, int, int]:
    """Whole-file problems first, then by line and by message within the line."""
    index = p.message_index if p.message_index is not None else -1
    return (p.line is not None, p.line or 0, index)


def _dominant_format(facts: FileFacts) -> DatasetFormat | None:
    if not facts.format_counts:
        return None
    name = max(facts.format_counts, key=lambda k: facts.format_counts[k])
    return DatasetFormat(name)
