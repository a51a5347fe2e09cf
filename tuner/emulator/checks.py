"""What the emulated service learns from a training file while validating it.

It is tuner's own analysis (`tuner.data.analysis`), for two reasons. A file that `tuner validate`
accepts is a file the emulator accepts, and a refused file fails the job with the first error,
worded the way the service words its refusals ("Invalid file format. Line N, ..."). And the job
is billed as the service bills: per example, the data-preparation guidance's token count capped
at the model's per-example limit, so `tuner validate FILE --model M --json` `tokens.billed`
times the epochs is the finished job's `trained_tokens`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tuner.data.analysis.analyse import analyse_file
from tuner.data.analysis.report import AnalysisReport

TrainingFileChecker = Callable[[bytes], "str | None"]


@dataclass(frozen=True)
class TrainingFileReview:
    """The verdict on one file for one base model, and what training on it bills."""

    error: str | None  # the message the job fails with, or None when the file is acceptable
    examples: int
    billed_tokens: int  # per epoch: every example's tokens, each capped at the model's limit


def review_training_file(path: str | Path, model: str) -> TrainingFileReview:
    """Check and count a stored file for `model`; raises OSError if it cannot be read."""
    report = analyse_file(path, model, workers=1)
    return TrainingFileReview(refusal_message(report), report.examples, report.billed_tokens)


def refusal_message(report: AnalysisReport) -> str | None:
    """None when the file is acceptable, else the message the service would fail the job with."""
    errors = report.errors
    if not errors:
        return None
    # Like the service: the first bad line is named; whole-file problems come after line ones.
    first = min(errors, key=lambda p: (p.line is None, p.line or 0))
    where = f"Line {first.line}: " if first.line is not None else ""
    text = first.message.rstrip(".")
    if text.startswith(report.path.name):
        text = "The training file" + text[len(report.path.name) :]
    others = report.error_count - 1
    more = f" ({others} more error{'s' if others > 1 else ''} in the file.)" if others else ""
    return f"Invalid file format. {where}{text}.{more}"


def default_training_file_checker(content: bytes) -> str | None:
    """The verdict on a file's bytes alone (counted for tuner's default model)."""
    return _verdict(content, "openai")


def together_training_file_checker(content: bytes) -> str | None:
    """The Together side's verdict: Together's rules (its instruction and text formats, weights
    on any message), not OpenAI's."""
    return _verdict(content, "together")


def _verdict(content: bytes, service: str) -> str | None:
    from tuner.data.catalog.choice import default_catalog

    with tempfile.TemporaryDirectory(prefix="tuner-emulator-") as folder:
        path = Path(folder, "training.jsonl")
        path.write_bytes(content)
        report = analyse_file(path, workers=1, catalog=default_catalog(service), service=service)
        return refusal_message(report)
