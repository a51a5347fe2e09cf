"""The results of a file's ranges folded in file order, and the report made of them.

`Totals` adds each range's findings, facts and token table to those before it (the pool hands
them over in order); `assemble_report` then applies the file-level rules (duplicates, the
format, the example count), sorts the findings, and prices the tokens for the model, with the
notices that say what the figures rest on.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from pathlib import Path

from tuner.data.analysis.range_check import ChunkResult
from tuner.data.analysis.report import AnalysisReport
from tuner.data.catalog.models import ModelInfo, Resolution
from tuner.data.estimate import estimate_cost, service_default_epochs
from tuner.data.example_hashes import MAX_DISTINCT_EXAMPLES
from tuner.data.jsonl.line_marks import LineMarks
from tuner.data.rules.file import FileFacts, check_file
from tuner.data.rules.problem_log import PROBLEMS_KEPT_PER_CODE, ProblemLog
from tuner.data.rules.problems import DatasetFormat, Problem, Severity
from tuner.data.service_kinds import OPENAI, service_name
from tuner.data.stats import TokenStats
from tuner.data.tokens.count import TokenCounter
from tuner.data.wording import plural


@dataclass(frozen=True, slots=True)
class Limits:
    """The per-example limits in force: for supervised (chat, instruction, text) examples and
    for preference ones."""

    supervised: int | None
    preference: int | None

    def of(self, fmt: DatasetFormat | None) -> int | None:
        return self.preference if fmt is DatasetFormat.PREFERENCE else self.supervised


class Totals:
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


def assemble_report(
    path: Path,
    model: str,
    resolution: Resolution,
    counter: TokenCounter,
    info: ModelInfo | None,
    limits: Limits,
    epochs: int | None,
    totals: Totals,
    whole_file: list[Problem],
    service: str = OPENAI,
    full: bool = False,
) -> AnalysisReport:
    """The report of a whole file from its folded `totals`. `whole_file` holds the finding that
    stopped the file before any range was read (empty, or one preflight error); without one,
    the file-level rules are applied to the facts gathered. `path` is the name the user gave."""
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
