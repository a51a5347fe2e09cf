"""Analyse a training file end to end: stream it, check every line, count tokens, price it.

This is what `tuner validate`, the dataset screen and the emulator's file check share. Every
step follows the service the file is for (`service`, by default the catalog's): its rules
(`rules`), its model table and prices (`catalog`), its default epochs, and how its models' tokens
are counted (`tokens`), exactly or as a labelled estimate (`AnalysisReport.token_note`).

The file is never held in memory: it is cut into byte ranges at line starts, and each range is
checked and counted by a worker process (tiktoken's batch encoder does not scale with threads
here; processes do). Each worker returns compact per-range results (problems, token counts as
arrays, facts for the file-level rules) that are merged in file order.
"""

from __future__ import annotations

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

from tuner.data.catalog import (
    OPENAI_DEFAULT_MODEL,
    Catalog,
    ModelInfo,
    Resolution,
    default_catalog,
)
from tuner.data.estimate import CostEstimate, billed_tokens, estimate_cost, service_default_epochs
from tuner.data.file_rules import FileFacts, check_file, preflight
from tuner.data.lines import iter_lines, split_ranges
from tuner.data.problems import DatasetFormat, Problem, Severity, warning
from tuner.data.rules import check_example
from tuner.data.service_kinds import OPENAI, rules_family, rules_label, service_name
from tuner.data.stats import TokenStats
from tuner.data.tokens import UNKNOWN_LIMIT_CAP, ExampleTokens, TokenCounter, counter_for_model
from tuner.data.wording import plural

# The model an OpenAI file is counted and priced for when none is named (kept under this name
# for the callers that import it); another service's catalog knows its own (`default_model`).
DEFAULT_MODEL = OPENAI_DEFAULT_MODEL

# Below this size one process is faster than starting a pool (each worker loads the vocabulary).
PARALLEL_THRESHOLD_BYTES = 24 * 1024 * 1024
# Ranges small enough for steady progress and cancellation, large enough to amortise pickling.
CHUNK_BYTES = 8 * 1024 * 1024

ProgressCallback = Callable[[int, int], None]


class AnalysisCancelled(Exception):
    """Raised by `analyse_file` when its `cancel` event is set; nothing partial is returned."""


@dataclass(slots=True)
class ChunkResult:
    """What one byte range yields; arrays keep 200k examples in a few MB."""

    start: int
    end: int
    problems: list[Problem]
    facts: FileFacts
    example_lines: array  # 1-based line of every non-blank line
    token_counts: array  # tokens of that example; 0 when it could not be counted
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
    problems: list[Problem]
    example_lines: array
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
    def valid(self) -> bool:
        """True when the service would accept the file (warnings allowed)."""
        return not any(p.severity is Severity.ERROR for p in self.problems)

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
        billed = billed_tokens(self.counted_tokens(), limit)
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

    def problems_by_line(self) -> tuple[dict[int, list[Problem]], dict[int, bool], list[Problem]]:
        """(problems of each line, whether each such line has an error, whole-file errors):
        what a list draws as row markers and a banner."""
        by_line: dict[int, list[Problem]] = {}
        has_error: dict[int, bool] = {}
        file_errors: list[Problem] = []
        for p in self.problems:
            if p.line is None:
                if p.is_error:
                    file_errors.append(p)
                continue
            by_line.setdefault(p.line, []).append(p)
            has_error[p.line] = has_error.get(p.line, False) or p.is_error
        return by_line, has_error, file_errors

    def counted_tokens(self) -> array:
        """Token counts of the examples that could be counted (unparseable lines excluded)."""
        return array("I", (t for t in self.token_counts if t))


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
    if whole_file is not None:
        chunks = [_empty_chunk(size)]
        found = [whole_file]
    else:
        found = []
        key = next(_counter_keys)
        _counters[key] = counter
        try:
            task = _RangeTask(
                path, model, catalog, tiktoken_file, limit, key, service, preference_limit
            )
            chunks = _run_chunks(task, size, workers, progress, cancel)
        finally:
            del _counters[key]
    shown = Path(shown_as) if shown_as is not None else path
    limits = _Limits(limit, preference_limit)
    report = _assemble(
        shown, model, resolution, counter, info, limits, epochs, chunks, found, service, full
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


def _run_chunks(
    task: _RangeTask,
    size: int,
    workers: int | None,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
) -> list[ChunkResult]:
    path = task.path
    n_workers = workers if workers is not None else _auto_workers(size)
    if n_workers <= 1:
        ranges = split_ranges(path, max(1, size // CHUNK_BYTES)) if size else []
        results = []
        for start, end, first in ranges:
            if cancel is not None and cancel.is_set():
                raise AnalysisCancelled(str(path))
            results.append(_analyse_range(task, start, end, first))
            if progress:
                progress(end, size)
        return results

    ranges = split_ranges(path, max(n_workers, size // CHUNK_BYTES))
    done_bytes = 0
    results = []
    context = _pool_context()
    if context.get_start_method() == "fork":
        # Keep the collector off the parent's objects so forked children keep sharing their
        # pages (the vocabulary above all) instead of copying them on the first collection.
        gc.freeze()
    with ProcessPoolExecutor(max_workers=n_workers, mp_context=context) as pool:
        pending: set[Future[ChunkResult]] = {
            pool.submit(_analyse_range, task, start, end, first) for start, end, first in ranges
        }
        try:
            while pending:
                finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                if cancel is not None and cancel.is_set():
                    raise AnalysisCancelled(str(path))
                for future in finished:
                    result = future.result()
                    results.append(result)
                    done_bytes += result.end - result.start
                if finished and progress:
                    progress(done_bytes, size)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            gc.unfreeze()
    results.sort(key=lambda r: r.start)
    return results


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


def _analyse_range(task: _RangeTask, start: int, end: int, first_line: int) -> ChunkResult:
    """Check and count the lines that begin in [start, end); runs in a worker process."""
    counter = _task_counter(task)
    service = task.service
    limit = task.limit
    cap = limit if limit is not None else UNKNOWN_LIMIT_CAP
    preference_limit = task.preference_limit
    preference_cap = preference_limit if preference_limit is not None else UNKNOWN_LIMIT_CAP
    facts = FileFacts()
    problems: list[Problem] = []
    lines = array("I")
    counts = array("I")
    assistant = trained = lower_bounds = 0
    count_chat = counter.count_chat
    count_preference = counter.count_preference
    chat, preference = DatasetFormat.CHAT, DatasetFormat.PREFERENCE
    for line_no, raw in iter_lines(task.path, start, end, first_line):
        assert line_no is not None  # first_line is always given here
        check = check_example(raw, line_no, service)
        facts.add(check, line_no)
        if check.problems:
            problems.extend(check.problems)
        if check.is_blank:
            continue
        lines.append(line_no)
        obj = check.obj
        fmt = check.format
        if not isinstance(obj, dict) or fmt is None:
            counts.append(0)
            continue
        if fmt is chat:
            tokens = count_chat(obj, cap)
            too_many = _token_warning(tokens, limit, cap, line_no)
        elif fmt is preference:
            tokens = count_preference(obj, preference_cap)
            too_many = _token_warning(tokens, preference_limit, preference_cap, line_no)
        else:
            if fmt is DatasetFormat.INSTRUCTION:
                tokens = counter.count_instruction(obj, cap)
            else:
                tokens = counter.count_plain_text(obj, cap)
            too_many = _token_warning(tokens, limit, cap, line_no)
        counts.append(tokens.total)
        assistant += tokens.assistant
        trained += tokens.trained_assistant
        lower_bounds += tokens.lower_bound
        if too_many is not None:
            problems.append(too_many)
    return ChunkResult(start, end, problems, facts, lines, counts, assistant, trained, lower_bounds)


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


def _empty_chunk(size: int) -> ChunkResult:
    return ChunkResult(0, size, [], FileFacts(), array("I"), array("I"))


def _assemble(
    path: Path,
    model: str,
    resolution: Resolution,
    counter: TokenCounter,
    info: ModelInfo | None,
    limits: _Limits,
    epochs: int | None,
    chunks: list[ChunkResult],
    whole_file: list[Problem],
    service: str = OPENAI,
    full: bool = False,
) -> AnalysisReport:
    facts = FileFacts()
    problems: list[Problem] = []
    lines = array("I")
    counts = array("I")
    assistant = trained = lower_bounds = 0
    for chunk in chunks:
        facts.merge(chunk.facts)
        problems.extend(chunk.problems)
        lines.extend(chunk.example_lines)
        counts.extend(chunk.token_counts)
        assistant += chunk.assistant_tokens
        trained += chunk.trained_assistant_tokens
        lower_bounds += chunk.lower_bounds

    problems = (whole_file or check_file(facts, path, service)) + problems
    problems.sort(key=_problem_order)
    counted = array("I", (t for t in counts if t))
    stats = TokenStats.from_counts(counted)
    fmt = _dominant_format(facts)
    limit = limits.of(fmt)
    chosen_epochs = (
        epochs if epochs is not None else service_default_epochs(service, facts.examples)
    )
    billed = billed_tokens(counted, limit)
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
    if lower_bounds:
        verb = "is" if lower_bounds == 1 else "are"
        notices.append(
            f"{plural(lower_bounds, 'example')} {verb} too long to count exactly: their token "
            "counts (and the totals) are lower bounds"
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
        example_lines=lines,
        token_counts=counts,
        assistant_tokens=assistant,
        trained_assistant_tokens=trained,
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
