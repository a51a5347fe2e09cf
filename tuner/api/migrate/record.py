"""Which moves tuner made: a job moved to a profile, on a base model, with which data, and the
files and job it made there.

Running `tuner migrate JOB --to P --model BASE` twice must not train (and pay for) two jobs. So
every move is recorded in tuner's data folder (`moves.json`, a `SharedJsonFile`: the app's move
dialog and the command share it, and two processes may write it at once), under what identifies
it: the source profile and job, the target profile and base model, and the sha256 of each file
that was (or would be) uploaded. The same data moved the same way is the same move; new data, or
another base model, is another move.

A move is saved as it goes: once its files are uploaded (`uploaded`), just before the job is
asked for (`creating`: if the process dies before the answer is saved, the next run looks for a
job on those files before it makes one), and once the job exists (`created`, with its id). The
record is a hint: a job it names is looked up on the service before it is trusted.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tuner.api.shared_json import SharedJsonFile, data_file

MOVES_FILE = "moves.json"


@dataclass(frozen=True, slots=True)
class MoveKey:
    """What makes two moves the same move."""

    source_profile: str | None
    source_job: str
    target_profile: str | None
    model: str
    checksums: tuple[str, ...]

    def text(self) -> str:
        """The record's key: a digest of the fields (any characters a service's id holds)."""
        fields = [
            self.source_profile,
            self.source_job,
            self.target_profile,
            self.model,
            *self.checksums,
        ]
        return hashlib.sha256(json.dumps(fields).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class MoveEntry:
    """One recorded move. `state`: "uploaded", "creating" or "created"; `saved_at` is when it
    was last saved, `created_at` when its job was made (seconds since the epoch)."""

    key: MoveKey
    state: str
    training_file: str | None = None
    validation_file: str | None = None
    job_id: str | None = None
    saved_at: float = field(default_factory=time.time)
    created_at: float | None = None

    def to_json(self) -> dict[str, Any]:
        key = self.key
        return {
            "source_profile": key.source_profile,
            "source_job": key.source_job,
            "target_profile": key.target_profile,
            "model": key.model,
            "checksums": list(key.checksums),
            "state": self.state,
            "training_file": self.training_file,
            "validation_file": self.validation_file,
            "job_id": self.job_id,
            "saved_at": self.saved_at,
            "created_at": self.created_at,
        }

    @classmethod
    def from_json(cls, key: MoveKey, item: Any) -> MoveEntry | None:
        """The entry for `key`, or None when it does not read back whole."""
        if not isinstance(item, dict):
            return None
        texts = {name: item.get(name) for name in ("training_file", "validation_file", "job_id")}
        if not all(value is None or isinstance(value, str) for value in texts.values()):
            return None
        state = item.get("state")
        saved, created = item.get("saved_at"), item.get("created_at")
        return cls(
            key,
            state if isinstance(state, str) else "uploaded",
            saved_at=float(saved) if isinstance(saved, int | float) else 0.0,
            created_at=float(created) if isinstance(created, int | float) else None,
            **texts,
        )

    def moved(self, **changes: Any) -> MoveEntry:
        """This entry with `changes`, saved now."""
        return replace(self, saved_at=time.time(), **changes)


class MoveRecord:
    """The moves tuner made (see the module docstring)."""

    def __init__(self, path: Path | None = None) -> None:
        self.file = SharedJsonFile(path if path is not None else data_file(MOVES_FILE))

    def get(self, key: MoveKey) -> MoveEntry | None:
        """The move recorded under `key`, or None (also when the record cannot be read: the
        job is then looked for the slow way, or made)."""
        try:
            item = self.file.read().get(key.text())
        except OSError:
            return None
        return MoveEntry.from_json(key, item)

    def save(self, entry: MoveEntry) -> None:
        """Record `entry` (replacing what its key held). Raises `OSError`."""

        def change(data: dict[str, Any]) -> bool:
            data[entry.key.text()] = entry.to_json()
            return True

        self.file.update(change)
