"""The index of a backup (`index.json`): the records of what a backup folder holds.

The index says what the folder holds when the account is gone: every job with its status, model
and fine-tuned model; every file with its local path, size and sha256 (so a copy can be checked
years later); every file that could not be saved and why; when the backup ran, from which service
and profile, and whether it got to the end. Paths are relative to the folder, so it can be moved.

The index is a record, not the source of truth: a run trusts the files on disk (each written
whole, see `backup_folder`), and reads the previous index only to carry over what it cannot see
without asking the service again (a sha256 it need not recompute, an event count, jobs that are
no longer listed). A folder whose `index.json` or `README.md` tuner did not write is refused, so
a backup never overwrites someone's own files.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tuner.api.backup.folder import BackupError, BackupFolder, read_json

if TYPE_CHECKING:
    from tuner.api.types import Job

INDEX_FORMAT = "tuner-backup/1"


@dataclass(frozen=True, slots=True)
class SavedJob:
    """A job whose `job.json` is in the folder, as the index lists it."""

    id: str
    status: str
    model: str
    folder: str
    created_at: int | None = None
    finished_at: int | None = None
    fine_tuned_model: str | None = None
    training_file: str | None = None
    validation_file: str | None = None
    result_files: tuple[str, ...] = ()
    events: int = 0
    checkpoints: int = 0
    # False when the service no longer lists the job (the copy here is all there is).
    on_service: bool = True

    @classmethod
    def of(cls, job: Job, folder: str, *, events: int, checkpoints: int) -> SavedJob:
        return cls(
            id=job.id,
            status=job.status.value,
            model=job.model,
            folder=folder,
            created_at=job.created_at,
            finished_at=job.finished_at,
            fine_tuned_model=job.fine_tuned_model,
            training_file=job.training_file,
            validation_file=job.validation_file,
            result_files=tuple(job.result_files),
            events=events,
            checkpoints=checkpoints,
        )

    def file_ids(self) -> list[str]:
        """The files this job names: training, validation, results."""
        ids = [self.training_file, self.validation_file, *self.result_files]
        return [file_id for file_id in ids if file_id]


@dataclass(frozen=True, slots=True)
class SavedFile:
    """A file whose bytes are in the folder."""

    id: str
    path: str
    bytes: int
    sha256: str
    filename: str | None = None
    purpose: str | None = None


@dataclass(frozen=True, slots=True)
class MissingFile:
    """A file a job names (or the service lists) whose bytes could not be saved, or a job the
    service lists that could not be read.

    `kind` is "not_found" (the service no longer has it), "refused" (it will not send the
    content, as OpenAI does for training files on some accounts), or "malformed_file_id" /
    "malformed_job_id" (the service lists an id, such as `..`, that no request can name);
    `reason` says it for a person.
    """

    id: str
    kind: str
    reason: str
    filename: str | None = None
    used_by: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "used_by": list(self.used_by)}


@dataclass(frozen=True, slots=True)
class UnsavedJob:
    """A listed job this run could not read (its events answer 404, say): not saved, or its
    copy from an earlier run kept as it was. `reason` says which read failed and why."""

    id: str
    reason: str

    def reason_line(self) -> str:
        """`ftjob-abc: its events could not be read: ...`, for a line about it."""
        return f"{self.id}: {self.reason}"

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class Previous:
    """What an earlier run recorded, keyed by id: carried over where this run has not looked."""

    jobs: Mapping[str, SavedJob] = field(default_factory=dict)
    files: Mapping[str, SavedFile] = field(default_factory=dict)
    missing: Mapping[str, MissingFile] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BackupIndex:
    """Everything `index.json` holds; `to_json` is its exact shape."""

    service: str
    where: str
    profile: str | None
    started_at: float
    finished_at: float
    complete: bool
    jobs: tuple[SavedJob, ...]
    files: tuple[SavedFile, ...]
    missing: tuple[MissingFile, ...]
    not_saved: tuple[UnsavedJob, ...] = ()

    def users(self) -> dict[str, list[str]]:
        """file id -> the ids of the jobs that name it."""
        found: dict[str, list[str]] = {}
        for job in self.jobs:
            for file_id in job.file_ids():
                found.setdefault(file_id, []).append(job.id)
        return found

    def to_json(self) -> dict[str, Any]:
        from tuner import __version__

        users = self.users()
        return {
            "format": INDEX_FORMAT,
            "tuner": __version__,
            "service": self.service,
            "where": self.where,
            "profile": self.profile,
            "started_at": iso_time(self.started_at),
            "finished_at": iso_time(self.finished_at),
            "complete": self.complete,
            "jobs": [
                {**dataclasses.asdict(j), "result_files": list(j.result_files)} for j in self.jobs
            ],
            "files": [
                {**dataclasses.asdict(f), "used_by": users.get(f.id, [])} for f in self.files
            ],
            "missing": [
                {**m.to_json(), "used_by": users.get(m.id, list(m.used_by))} for m in self.missing
            ],
            "jobs_not_saved": [j.to_json() for j in self.not_saved],
        }


def iso_time(seconds: float) -> str:
    """`2026-11-29T19:30:05Z`: UTC, to the second, the form every tool reads."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


# --------------------------------------------------------------------------- reading


def check_ours(folder: BackupFolder) -> Previous:
    """The previous run's records (empty for a new folder). Raises `BackupError` when the
    folder holds an `index.json` or a `README.md` that is not a tuner backup's."""
    document = read_json(folder.index)
    if folder.index.exists() and not _is_ours(document):
        raise BackupError(
            f"{folder.index} is not the index of a tuner backup; "
            "back up into an empty folder or an earlier backup"
        )
    if folder.readme.exists() and document is None:
        raise BackupError(
            f"{folder.root} already has a README.md that tuner did not write; "
            "back up into an empty folder or an earlier backup"
        )
    if document is None:
        return Previous()
    return Previous(
        jobs=_records(document.get("jobs"), _job),
        files=_records(document.get("files"), _file),
        missing=_records(document.get("missing"), _missing),
    )


def _is_ours(document: Any) -> bool:
    return isinstance(document, dict) and document.get("format") == INDEX_FORMAT


def _records(items: Any, build: Any) -> dict[str, Any]:
    """Entries that read back whole, by id; a damaged entry is dropped (rebuilt from disk)."""
    found: dict[str, Any] = {}
    for item in items if isinstance(items, list) else []:
        try:
            record = build(item)
        except (TypeError, ValueError, KeyError, AttributeError):
            continue
        found[record.id] = record
    return found


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(value)
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _number(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(value)
    return value


def _job(item: Mapping[str, Any]) -> SavedJob:
    return SavedJob(
        id=_text(item["id"]),
        status=_text(item["status"]),
        model=_text(item["model"]),
        folder=_text(item["folder"]),
        created_at=item.get("created_at"),
        finished_at=item.get("finished_at"),
        fine_tuned_model=_optional_text(item.get("fine_tuned_model")),
        training_file=_optional_text(item.get("training_file")),
        validation_file=_optional_text(item.get("validation_file")),
        result_files=tuple(_text(x) for x in item.get("result_files") or ()),
        events=_number(item.get("events", 0)),
        checkpoints=_number(item.get("checkpoints", 0)),
        on_service=bool(item.get("on_service", True)),
    )


def _file(item: Mapping[str, Any]) -> SavedFile:
    return SavedFile(
        id=_text(item["id"]),
        path=_text(item["path"]),
        bytes=_number(item["bytes"]),
        sha256=_text(item["sha256"]),
        filename=_optional_text(item.get("filename")),
        purpose=_optional_text(item.get("purpose")),
    )


def _missing(item: Mapping[str, Any]) -> MissingFile:
    return MissingFile(
        id=_text(item["id"]),
        kind=_text(item["kind"]),
        reason=_text(item["reason"]),
        filename=_optional_text(item.get("filename")),
        used_by=tuple(_text(x) for x in item.get("used_by") or ()),
    )
