"""OpenAI's emulated account in memory: files, uploads, jobs, events, checkpoints, models and
Azure's deployments.

It lives in `openai/` because everything it records is OpenAI's (and Azure's): its objects
answer in OpenAI's wire shapes, and Together's account (`together.store`) is a separate one
that does not wrap it. It also creates the emulator's private temporary folder (the spool),
which the HTTP server (request bodies) and Together's account (its files) borrow along with
the clock, the training-file checker and the seed; `close` removes it for everyone.

One re-entrant lock guards everything; handlers hold it for the few microseconds a
request needs, which is simpler than finer locks and plenty for a test server. File
contents live on disk in the spool, never in memory.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..checks import TrainingFileChecker
from ..clock import SimClock
from .ids import IdFactory

FILE_PURPOSES = ("fine-tune", "assistants", "batch", "user_data", "evals", "vision")


@dataclass
class StoredFile:
    id: str
    filename: str
    purpose: str
    bytes: int
    created_at: int
    path: str
    status: str = "processed"
    expires_at: int | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "object": "file",
            "bytes": self.bytes,
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": self.status,
        }
        # `status_details` (deprecated) and `expires_at` are left out rather than sent as
        # null: the OpenAPI schema types them as plain strings/integers, the SDK as Optional.
        if self.expires_at is not None:
            body["expires_at"] = self.expires_at
        return body

    def read(self) -> bytes:
        with open(self.path, "rb") as handle:
            return handle.read()


@dataclass
class UploadPartRecord:
    id: str
    upload_id: str
    created_at: int
    path: str
    size: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "upload.part",
            "created_at": self.created_at,
            "upload_id": self.upload_id,
        }


@dataclass
class UploadRecord:
    id: str
    filename: str
    purpose: str
    bytes: int
    mime_type: str
    created_at: int
    expires_at: int
    status: str = "pending"
    parts: dict[str, UploadPartRecord] = field(default_factory=dict)
    file: StoredFile | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "upload",
            "bytes": self.bytes,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": self.status,
            "file": self.file.to_json() if self.file else None,
        }


@dataclass
class Event:
    id: str
    created_at: int
    level: str
    message: str
    type: str = "message"
    data: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "object": "fine_tuning.job.event",
            "id": self.id,
            "created_at": self.created_at,
            "level": self.level,
            "message": self.message,
            "type": self.type,
            "data": self.data if self.data is not None else {},
        }


@dataclass
class Checkpoint:
    id: str
    created_at: int
    job_id: str
    model: str
    step_number: int
    metrics: dict[str, float]

    def to_json(self) -> dict[str, Any]:
        return {
            "object": "fine_tuning.job.checkpoint",
            "id": self.id,
            "created_at": self.created_at,
            "fine_tuned_model_checkpoint": self.model,
            "fine_tuning_job_id": self.job_id,
            "metrics": dict(self.metrics),
            "step_number": self.step_number,
        }


@dataclass
class FineTunedModel:
    id: str
    created: int
    owned_by: str
    job_id: str


@dataclass
class Deployment:
    """An Azure deployment: a name that chat calls, serving one model."""

    name: str
    model: str
    created_at: int
    sku: dict[str, Any] = field(default_factory=lambda: {"name": "standard", "capacity": 1})


class State:
    """Everything the emulated service remembers. Read it in tests under `lock`."""

    def __init__(
        self,
        clock: SimClock,
        ids: IdFactory,
        checker: TrainingFileChecker | None,
        seed: int,
    ) -> None:
        self.clock = clock
        self.ids = ids
        # None: tuner's own analysis decides (see `checks`); else this callable does.
        self.checker = checker
        self.seed = seed  # of job seeds and metrics; random unless the emulator was given one
        self.lock = threading.RLock()
        self.spool_dir = tempfile.mkdtemp(prefix="tuner-emulator-")
        self.files: dict[str, StoredFile] = {}
        self.uploads: dict[str, UploadRecord] = {}
        # Jobs are `jobs.Job`; typed loosely here so the store does not import the simulator.
        self.jobs: dict[str, Any] = {}
        self.fine_tuned_models: dict[str, FineTunedModel] = {}
        self.checkpoint_models: set[str] = set()
        # Azure deployments: name -> the model id it serves (see `azure`).
        self.deployments: dict[str, Deployment] = {}
        # Called before every read of job state, so progress is computed lazily.
        self.on_tick: Callable[[], None] = lambda: None
        # Called with a deleted file before its bytes go (fine-tunes keep what they learned).
        self.on_delete: Callable[[StoredFile], None] = lambda stored: None

    def now(self) -> int:
        return int(self.clock.now())

    def tick(self) -> None:
        with self.lock:
            self.on_tick()

    def add_file(self, filename: str, purpose: str, source_path: str, size: int) -> StoredFile:
        """Adopt a file already written in the spool dir (moved, not copied)."""
        with self.lock:
            file_id = self.ids.new("file-")
            path = os.path.join(self.spool_dir, file_id)
            os.replace(source_path, path)
            stored = StoredFile(file_id, filename, purpose, size, self.now(), path)
            self.files[file_id] = stored
            return stored

    def add_file_bytes(self, filename: str, purpose: str, content: bytes) -> StoredFile:
        with tempfile.NamedTemporaryFile(dir=self.spool_dir, delete=False) as handle:
            handle.write(content)
        return self.add_file(filename, purpose, handle.name, len(content))

    def delete_file(self, file_id: str) -> bool:
        with self.lock:
            stored = self.files.pop(file_id, None)
        if stored is None:
            return False
        self.on_delete(stored)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(stored.path)
        return True

    def close(self) -> None:
        shutil.rmtree(self.spool_dir, ignore_errors=True)
