"""The per-example record of a run and its file, `results.jsonl`: one line per example and model.

The runner appends a line as each reply is graded, so an interrupted run keeps every line it
wrote and a re-grade appends new lines for the same examples: when a file holds several lines
for one (model, example), the last one counts (`latest`). A last line cut off mid-write by a
crash is reported as a bad line and the rest is read.

A line, as JSON:

    {"example": "3f0c...", "line": 12, "model": "ft:gpt-4o-mini:acme::x1@openai",
     "reply": "...", "scores": {"chrf": 0.71, "judge": {"why": "judge failed: ..."}},
     "error": null, "tokens_in": 153, "tokens_out": 41, "latency": 0.82, "cost": 0.00012}

`scores` maps each grader's name to its 0..1 score, or to `{"why": reason}` when the example was
not graded by it. `error` is set (and `reply` null) when the example kept failing after retries.
`cost` is in US dollars, null when the model's price is not known.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tuner.data.eval.examples import BadLine
from tuner.data.eval.graders import Score
from tuner.data.jsonl.json_values import JsonFaultError, load
from tuner.data.jsonl.lines import iter_lines

RESULTS_NAME = "results.jsonl"


@dataclass(frozen=True, slots=True)
class ExampleResult:
    """What one model did on one example, and how it was graded.

    `example` is the example's id (`EvalExample.ident`), `line` its line in the eval file,
    `model` the label `MODEL@PROFILE`. `scores` maps grader names to `Score`s (treat it as
    read-only). `error` is why the example failed after its retries (then `reply` is None).
    `latency` is in seconds, `cost` in US dollars (None: price not known).
    """

    example: str
    line: int
    model: str
    reply: str | None
    scores: Mapping[str, Score] = field(default_factory=dict)
    error: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    latency: float | None = None
    cost: float | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None

    def as_json(self) -> dict[str, Any]:
        """The record as results.jsonl holds it."""
        return {
            "example": self.example,
            "line": self.line,
            "model": self.model,
            "reply": self.reply,
            "scores": {name: score.as_json() for name, score in self.scores.items()},
            "error": self.error,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "latency": self.latency,
            "cost": self.cost,
        }

    @classmethod
    def from_json(cls, data: Any) -> ExampleResult:
        """A record from its JSON form; raises ValueError naming what is missing or wrong."""
        if not isinstance(data, dict):
            raise ValueError("a result is a JSON object")
        example = _field(data, "example", str)
        model = _field(data, "model", str)
        line = _field(data, "line", int)
        reply = data.get("reply")
        if reply is not None and not isinstance(reply, str):
            raise ValueError("'reply' is not text")
        scores = data.get("scores") or {}
        if not isinstance(scores, dict):
            raise ValueError("'scores' is not an object")
        error = data.get("error")
        return cls(
            example=example,
            line=line,
            model=model,
            reply=reply,
            scores={str(name): Score.from_json(value) for name, value in scores.items()},
            error=error if isinstance(error, str) else None,
            tokens_in=_count(data.get("tokens_in")),
            tokens_out=_count(data.get("tokens_out")),
            latency=_number(data.get("latency")),
            cost=_number(data.get("cost")),
        )


@dataclass(frozen=True, slots=True)
class ResultsFile:
    """The records of a results.jsonl in file order, and the lines that could not be read."""

    results: tuple[ExampleResult, ...]
    bad_lines: tuple[BadLine, ...]


def result_line(result: ExampleResult) -> bytes:
    """One record as a results.jsonl line, newline included (exact text, UTF-8)."""
    return orjson.dumps(result.as_json()) + b"\n"


def append_results(path: str | os.PathLike[str], results: Iterable[ExampleResult]) -> None:
    """Append records to `path` (created if missing), each line written whole and flushed, so a
    crash loses at most the line being written."""
    with open(path, "ab") as out:
        for result in results:
            out.write(result_line(result))
            out.flush()


def read_results(path: str | os.PathLike[str]) -> ResultsFile:
    """Every record of a results.jsonl; unreadable lines (a crash's cut-off last line) are
    reported, not fatal. A missing file reads as no records. Raises `OSError` otherwise."""
    if not Path(path).exists():
        return ResultsFile((), ())
    shown = str(path)
    results: list[ExampleResult] = []
    bad: list[BadLine] = []
    for line, raw in iter_lines(path):
        assert line is not None
        if not raw.strip():
            continue
        try:
            results.append(ExampleResult.from_json(load(raw)))
        except JsonFaultError as exc:
            bad.append(BadLine(shown, line, f"not valid JSON: {exc.fault.reason}"))
        except ValueError as exc:
            bad.append(BadLine(shown, line, str(exc)))
    return ResultsFile(tuple(results), tuple(bad))


def latest(results: Iterable[ExampleResult]) -> dict[tuple[str, str], ExampleResult]:
    """The last record of each (model, example): a re-grade's lines replace the earlier ones."""
    found: dict[tuple[str, str], ExampleResult] = {}
    for result in results:
        found[(result.model, result.example)] = result
    return found


def models_in_order(results: Iterable[ExampleResult]) -> list[str]:
    """The model labels in the order they first appear (the first is the baseline)."""
    seen: dict[str, None] = {}
    for result in results:
        seen.setdefault(result.model, None)
    return list(seen)


def by_model(
    results: Iterable[ExampleResult], models: Sequence[str] | None = None
) -> dict[str, list[ExampleResult]]:
    """The latest record of each example, grouped by model (in `models`' order when given, else
    first appearance), each group in line order."""
    current = latest(results)
    order = list(models) if models is not None else models_in_order(current.values())
    groups: dict[str, list[ExampleResult]] = {model: [] for model in order}
    for (model, _), result in current.items():
        if model in groups:
            groups[model].append(result)
    for group in groups.values():
        group.sort(key=lambda result: (result.line, result.example))
    return groups


def _field(data: Mapping[str, Any], name: str, kind: type) -> Any:
    value = data.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"'{name}' is missing or not {'text' if kind is str else 'a number'}")
    return value


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None
