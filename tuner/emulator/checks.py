"""The training-file check the emulated service runs while validating files.

It is tuner's own validator (`tuner.data.analysis`), so a file that `tuner validate` accepts is a
file the emulator accepts, and a refused file fails the job with the first error, worded the way
the service words its refusals ("Invalid file format. Line N, ...").
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from tuner.data.analysis import analyse_file

TrainingFileChecker = Callable[[bytes], "str | None"]


def default_training_file_checker(content: bytes) -> str | None:
    """None when the file is acceptable, else the message the service would fail the job with."""
    with tempfile.TemporaryDirectory(prefix="tuner-emulator-") as folder:
        path = Path(folder, "training.jsonl")
        path.write_bytes(content)
        report = analyse_file(path, workers=1)
    errors = report.errors
    if not errors:
        return None
    # Like the service: the first bad line is named; whole-file problems come after line ones.
    first = min(errors, key=lambda p: (p.line is None, p.line or 0))
    where = f"Line {first.line}: " if first.line is not None else ""
    text = first.message.rstrip(".")
    if text.startswith(path.name):
        text = "The training file" + text[len(path.name) :]
    others = len(errors) - 1
    more = f" ({others} more error{'s' if others > 1 else ''} in the file.)" if others else ""
    return f"Invalid file format. {where}{text}.{more}"
