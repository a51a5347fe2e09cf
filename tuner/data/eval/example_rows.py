"""A run's examples side by side: each model's score on one grader, how far apart they are, and
whether the example flipped between pass and fail.

A mean says which model is better; the examples say where and why. The Eval screen lists every
example with each model's score on the grader chosen, sorted by disagreement (the spread between
the highest and the lowest score: where the models differ most is where to read first), or
filtered to the flips (the examples one model passes and another fails). This module builds
those rows from a run's records; the screen only draws them.

A model that failed an example, or was not graded on it (no reference, judge failed, pairwise
for the baseline), has no score there: it takes no part in the spread or in a flip.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from tuner.data.eval.examples import (
    EvalExample,
    EvalFileError,
    content_text,
    match_references,
    read_eval_file,
)
from tuner.data.eval.graders import GraderSpec
from tuner.data.eval.results import ExampleResult, latest
from tuner.data.migrate.content import role_of


class RowOrder(StrEnum):
    """How the rows are listed: in the file's order, or the most disputed first."""

    LINE = "line"
    DISAGREEMENT = "disagreement"


@dataclass(frozen=True, slots=True)
class ExampleRow:
    """One example across the models of a run (in the run's model order, the baseline first).

    `results` holds each model's record (None when the model has none for this example);
    `scores` and `passed` its score and outcome on the chosen grader (None: not graded).
    """

    example: str
    line: int
    results: tuple[ExampleResult | None, ...]
    scores: tuple[float | None, ...]
    passed: tuple[bool | None, ...]

    @property
    def spread(self) -> float | None:
        """The highest score minus the lowest; None when fewer than two models were graded."""
        graded = [score for score in self.scores if score is not None]
        if len(graded) < 2:
            return None
        return max(graded) - min(graded)

    @property
    def flipped(self) -> bool:
        """Whether one model passes this example and another fails it."""
        outcomes = {outcome for outcome in self.passed if outcome is not None}
        return len(outcomes) == 2


def example_rows(
    results: Iterable[ExampleResult], models: Sequence[str], grader: GraderSpec
) -> list[ExampleRow]:
    """A row per example that any of `models` has a record for (the latest record of each), on
    `grader`, in line order."""
    current = latest(results)
    lines: dict[str, int] = {}
    for (model, example), result in current.items():
        if model in models:
            lines.setdefault(example, result.line)
    rows = []
    for example, line in lines.items():
        records = tuple(current.get((model, example)) for model in models)
        scores = tuple(_score(record, grader) for record in records)
        passed = tuple(None if s is None else grader.passed(s) for s in scores)
        rows.append(ExampleRow(example, line, records, scores, passed))
    rows.sort(key=lambda row: (row.line, row.example))
    return rows


def _score(record: ExampleResult | None, grader: GraderSpec) -> float | None:
    if record is None:
        return None
    score = record.scores.get(grader.name)
    return score.value if score is not None else None


def arrange_rows(
    rows: Sequence[ExampleRow], order: RowOrder, *, flips_only: bool = False
) -> list[ExampleRow]:
    """`rows` in `order` (the most disputed first, those with no spread last, ties by line),
    only the flipped ones when `flips_only`."""
    chosen = [row for row in rows if row.flipped] if flips_only else list(rows)
    if order is RowOrder.DISAGREEMENT:
        # Rounded: 0.9 - 0.2 and 0.8 - 0.1 are the same spread, and ties go by line.
        chosen.sort(key=lambda row: (row.spread is None, -round(row.spread or 0.0, 9), row.line))
    else:
        chosen.sort(key=lambda row: (row.line, row.example))
    return chosen


@dataclass(frozen=True, slots=True)
class RunExamples:
    """The examples of a run's file by id (prompts and references), or why they cannot be had
    (`problem`, one line naming the file: it was moved, changed or deleted since)."""

    examples: Mapping[str, EvalExample]
    problem: str | None = None


def run_examples(file: str | Path | None, reference: str | Path | None = None) -> RunExamples:
    """Read a past run's eval file again (and its golden file, when it was graded against one),
    to show each example's prompt and reference beside the replies. Never raises: a file that
    cannot be read gives no examples and the reason."""
    if not file:
        return RunExamples({}, "the run does not name its file")
    try:
        examples = list(read_eval_file(Path(file)).examples)
        if reference:
            examples = list(match_references(examples, read_eval_file(Path(reference))).examples)
    except FileNotFoundError as exc:
        return RunExamples({}, f"{exc.filename or file}: no such file any more")
    except EvalFileError as exc:
        return RunExamples({}, str(exc))
    except OSError as exc:
        return RunExamples({}, f"{exc.filename or file}: cannot read: {exc.strerror or exc}")
    return RunExamples({example.ident: example for example in examples})


def prompt_turns(example: EvalExample) -> list[tuple[str, str]]:
    """The prompt's messages as (role, text); a message with no text (only tool calls, an
    image) says so instead of disappearing."""
    turns = []
    for message in example.prompt:
        text = content_text(message.get("content"))
        turns.append((role_of(message) or "?", text if text is not None else "(no text)"))
    return turns


def prompt_preview(example: EvalExample) -> str:
    """The prompt in one line for a list: its last user turn (the question), whitespace folded."""
    turns = prompt_turns(example)
    asked = [text for role, text in turns if role == "user"] or [text for _, text in turns]
    return " ".join(asked[-1].split()) if asked else ""
