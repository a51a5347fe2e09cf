"""What the emulated Together account holds: files, presigned upload targets, jobs and models.

It is separate from the OpenAI side's `State` (a Together account does not see OpenAI files),
but shares the emulator's clock, training-file checker and spool directory, so `advance()`
moves both services and `stop()` removes both sides' files.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..checks import TrainingFileChecker, together_training_file_checker
from ..clock import SimClock
from .ids import TogetherIds

# What a validation report calls each dataset shape, keyed by a field that marks it.
_FORMATS = (
    ("messages", "CONVERSATION"),
    ("preferred_output", "PREFERENCE_OPENAI"),
    ("prompt", "INSTRUCTION"),
    ("text", "GENERAL"),
)


@dataclass
class TogetherFile:
    """One file. `path` is None until its bytes arrive (the presigned PUT, or multipart)."""

    id: str
    filename: str
    purpose: str
    file_type: str
    created_at: int
    checksum: str = ""
    path: str | None = None
    bytes: int = 0
    processed: bool = False
    check_error: str | None = None
    nlines: int = 0
    dataset_format: str | None = None

    @property
    def uploaded(self) -> bool:
        return self.path is not None

    def read(self) -> bytes:
        if self.path is None:
            return b""
        with open(self.path, "rb") as handle:
            return handle.read()

    def to_json(self) -> dict[str, Any]:
        """`FileResponse`: the OpenAPI's required fields, plus the SDK's processing fields."""
        body: dict[str, Any] = {
            "id": self.id,
            "object": "file",
            "created_at": self.created_at,
            "filename": self.filename,
            "bytes": self.bytes,
            "purpose": self.purpose,
            "FileType": self.file_type,
            "Processed": self.processed,
        }
        if not self.processed:
            body["processing_status"] = "PENDING"
            return body
        valid = self.check_error is None
        body["processing_status"] = "COMPLETED" if valid else "INVALID_FORMAT"
        report: dict[str, Any] = {"valid": valid, "file_id": self.id, "nlines": self.nlines}
        if self.dataset_format:
            report["dataset_format"] = self.dataset_format
        if not valid:
            report["error"] = self.check_error
            report["error_type"] = "INVALID_FORMAT"
        body["validation_report"] = report
        return body


@dataclass
class UploadTarget:
    """A presigned PUT URL's target: a whole file, or one part of a multipart upload."""

    file_id: str
    upload_id: str | None = None
    part_number: int = 0


@dataclass
class MultipartUpload:
    id: str
    file_id: str
    num_parts: int
    size: int
    # part number -> (spooled path, size, etag)
    parts: dict[int, tuple[str, int, str]] = field(default_factory=dict)


class TogetherState:
    """Everything the Together side remembers; read and change it under `lock`."""

    def __init__(
        self, clock: SimClock, checker: TrainingFileChecker | None, seed: int, spool_dir: str
    ) -> None:
        self.clock = clock
        # None: tuner's own validator decides by Together's rules, as the OpenAI side does by
        # OpenAI's.
        self.checker = checker or together_training_file_checker
        self.seed = seed
        self.ids = TogetherIds(seed)
        self.lock = threading.RLock()
        self.spool_dir = os.path.join(spool_dir, "together")
        os.makedirs(self.spool_dir, exist_ok=True)
        self.files: dict[str, TogetherFile] = {}
        self.targets: dict[str, UploadTarget] = {}
        self.multipart: dict[str, MultipartUpload] = {}
        # Jobs are `jobs.TogetherJob`; typed loosely so the store does not import the simulator.
        self.jobs: dict[str, Any] = {}
        # Fine-tuned output names that chat can reach -> creation time (unix).
        self.outputs: dict[str, int] = {}
        # Called before every read of job state, so progress is computed lazily.
        self.on_tick: Callable[[], None] = lambda: None
        # Called with a deleted file before its bytes go (fine-tunes keep what they learned).
        self.on_delete: Callable[[TogetherFile], None] = lambda stored: None

    def now(self) -> float:
        return self.clock.now()

    def tick(self) -> None:
        with self.lock:
            self.on_tick()

    def adopt(self, stored: TogetherFile, source_path: str, size: int) -> None:
        """Move spooled bytes into the store as `stored`'s content (replacing any before)."""
        path = os.path.join(self.spool_dir, stored.id)
        os.replace(source_path, path)
        stored.path, stored.bytes, stored.processed = path, size, False

    def check(self, stored: TogetherFile) -> None:
        """Run the training-file checker once (at preprocess, or when a job first needs it)."""
        if stored.processed:
            return
        content = stored.read()
        lines = [line for line in content.splitlines() if line.strip()]
        stored.nlines = len(lines)
        stored.dataset_format = _format_of(lines[0]) if lines else None
        if stored.purpose == "fine-tune" and stored.file_type == "jsonl":
            stored.check_error = self.checker(content)
        stored.processed = True

    def delete_file(self, file_id: str) -> bool:
        stored = self.files.pop(file_id, None)
        if stored is None:
            return False
        self.on_delete(stored)
        if stored.path:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(stored.path)
        return True


def _format_of(first_line: bytes) -> str | None:
    for marker, name in _FORMATS:
        if f'"{marker}"'.encode() in first_line:
            return name
    return None
