"""What a move reads from its source: the job whole, and its original training and validation
files as local copies.

The job: Together's answer for one job leaves out its suffix and seed, which its job list has;
`whole_job` fills them in from a few pages of the list, so the settings carried over are whole.

Three places a copy can come from, in the order a user would trust them:

- a file the user names (`local`): their own original, used where it is;
- a backup folder made by `tuner backup` (`BackupCopies`): its `index.json` says which file of
  `files/` holds which id, with the sha256 it had when saved; the copy is checked against it
  and used where it is (a backup is the user's to keep, never changed);
- the source service (`save_file`, streamed): the bytes are saved in the work folder as `ID__NAME`
  (the same names a backup uses), where the user keeps them. A copy already there with the size
  the service lists is used again (a second plan of the same job costs no download).

A service may refuse to send a training file (OpenAI does on some accounts) or no longer have it;
that is a `DownloadRefused`, which says so and names the way around it.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuner.api.backup.folder import (
    BackupError,
    BackupFolder,
    file_name,
    sha256_of,
)
from tuner.api.backup.index import MissingFile, SavedFile, check_ours
from tuner.api.errors import ErrorKind, ServiceError, os_reason
from tuner.api.migrate.errors import MigrationError

if TYPE_CHECKING:
    from tuner.api.service import FineTuningService
    from tuner.api.types import Job, RemoteFile

# Answers that say one file cannot be read, not that the service or the key is wrong.
_REFUSED_KINDS = frozenset(
    {
        ErrorKind.NOT_FOUND,
        ErrorKind.PERMISSION,
        ErrorKind.INVALID_REQUEST,
        ErrorKind.FINE_TUNING_CLOSED,
        ErrorKind.MODEL_UNAVAILABLE,
    }
)


class DownloadRefused(MigrationError):
    """The source service will not send (or no longer has) a file the job was trained on.

    `role` is "training" or "validation"; `reason` is the service's answer; `what` says it all
    in one clause, which the message follows with the way around it: a backup made earlier
    (`tuner backup`) or the user's own copy of the file (a command names its options instead).
    """

    def __init__(self, role: str, file_id: str, service: str, reason: str) -> None:
        self.what = f"{service} will not send the {role} file {file_id} ({reason})"
        super().__init__(
            f"{self.what}; use a backup made with `tuner backup`, or your own copy of the file"
        )
        self.role = role
        self.file_id = file_id
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SourceCopy:
    """A local copy of one of the job's files. `origin`: "downloaded", "already downloaded"
    (kept from an earlier run), "backup" or "local"."""

    role: str
    file_id: str
    filename: str | None
    path: Path
    origin: str
    sha256: str
    bytes: int

    def describe(self, work_dir: Path | None = None) -> str:
        """`downloaded to DIR/ID__train.jsonl`, `the backup's copy PATH`, ...; a path inside
        `work_dir` is given relative to it (the plan names the work folder once)."""
        path = shown_path(self.path, work_dir)
        if self.origin == "backup":
            return f"the backup's copy {path}"
        if self.origin == "local":
            return f"your copy {path}"
        if self.origin == "already downloaded":
            return f"already downloaded to {path}"
        return f"downloaded to {path}"

    def to_json(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "filename": self.filename,
            "path": str(self.path),
            "from": self.origin,
            "sha256": self.sha256,
            "bytes": self.bytes,
        }


class BackupCopies:
    """What a backup folder holds, by file id (read once from its `index.json`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = BackupFolder(Path(folder))
        if not self.folder.index.is_file():
            raise MigrationError(
                f"{folder} is not a tuner backup (it has no {self.folder.index.name}); "
                "make one with `tuner backup DIR`"
            )
        try:
            previous = check_ours(self.folder)
        except BackupError as exc:
            raise MigrationError(str(exc)) from None
        self.files: Mapping[str, SavedFile] = previous.files
        self.missing: Mapping[str, MissingFile] = previous.missing

    def copy(self, role: str, file_id: str) -> SourceCopy:
        """The backup's copy of `file_id`, checked against the sha256 the index recorded."""
        root = self.folder.root
        saved = self.files.get(file_id)
        if saved is None:
            missing = self.missing.get(file_id)
            if missing is not None:
                raise MigrationError(
                    f"the backup {root} has no copy of the {role} file {file_id}: {missing.reason}"
                )
            raise MigrationError(
                f"the backup {root} has no copy of the {role} file {file_id} (run "
                f"`tuner backup {root}` again to bring it up to date)"
            )
        path = root / saved.path
        if not path.is_file():
            raise MigrationError(f"the backup's copy of {file_id} is gone: {path}")
        try:
            digest = sha256_of(path)
        except BackupError as exc:
            raise MigrationError(str(exc)) from None
        if digest != saved.sha256:
            raise MigrationError(
                f"the backup's copy {path} is not what was saved (its sha256 differs from "
                f"{self.folder.index.name}'s); it was changed since the backup"
            )
        size = path.stat().st_size
        return SourceCopy(role, file_id, saved.filename, path, "backup", digest, size)


def local_copy(role: str, file_id: str, path: Path) -> SourceCopy:
    """The user's own copy of the file, used where it is."""
    if not path.is_file():
        what = "no such file" if not path.exists() else "not a file"
        raise MigrationError(f"{path}: {what}")
    try:
        digest = sha256_of(path)
    except BackupError as exc:
        raise MigrationError(str(exc)) from None
    return SourceCopy(role, file_id, path.name, path, "local", digest, path.stat().st_size)


async def download_copy(
    service: FineTuningService,
    role: str,
    file_id: str,
    work_dir: Path,
    listed: Mapping[str, RemoteFile],
) -> SourceCopy:
    """The file's bytes from the service, saved in `work_dir` as `ID__NAME`."""
    remote = listed.get(file_id)
    filename = remote.filename if remote is not None and remote.filename else None
    path = work_dir / file_name(file_id, filename)
    if remote is not None and remote.bytes and _size(path) == remote.bytes:
        digest = await asyncio.to_thread(sha256_of, path)
        return SourceCopy(role, file_id, filename, path, "already downloaded", digest, remote.bytes)
    name = service.capabilities.service
    try:
        # Streamed to disk: a training file of gigabytes never sits in memory.
        size = await service.save_file(file_id, path)
    except OSError as exc:
        raise MigrationError(f"cannot write {path}: {os_reason(exc)}") from None
    except ServiceError as exc:
        if exc.kind in _REFUSED_KINDS or exc.status == 404:
            reason = (
                "it no longer has this file"
                if exc.kind is ErrorKind.NOT_FOUND or exc.status == 404
                else exc.message
            )
            raise DownloadRefused(role, file_id, name, reason) from None
        raise
    digest = await asyncio.to_thread(sha256_of, path)
    return SourceCopy(role, file_id, filename, path, "downloaded", digest, size)


# How many pages of the job list are read to find what a job's own record leaves out.
_LIST_PAGES = 5


async def whole_job(source: FineTuningService, job: Job) -> Job:
    """`job` with its suffix and seed, which Together's answer for one job leaves out while its
    job list has them: read from the list when both are missing (OpenAI always gives a seed,
    so its jobs cost no listing), a few pages at most."""
    if job.suffix is not None or job.seed is not None:
        return job
    after: str | None = None
    for _ in range(_LIST_PAGES):
        try:
            page = await source.list_jobs(after=after, limit=100)
        except ServiceError:
            return job
        for listed in page.jobs:
            if listed.id == job.id:
                seed = job.seed if job.seed is not None else listed.seed
                return dataclasses.replace(job, suffix=job.suffix or listed.suffix, seed=seed)
        if not page.has_more or not page.jobs:
            return job
        after = page.jobs[-1].id
    return job


async def source_copies(
    source: FineTuningService,
    job: Job,
    work_dir: Path,
    from_backup: Path | None,
    training_path: Path | None,
    validation_path: Path | None,
    report: Callable[..., None],
) -> list[SourceCopy]:
    """The local copies of the job's training (first) and validation files: the user's own,
    else the backup's, else downloaded into `work_dir`."""
    backup = BackupCopies(from_backup) if from_backup is not None else None
    wanted = [("training", job.training_file, training_path)]
    if job.validation_file or validation_path is not None:
        wanted.append(("validation", job.validation_file, validation_path))
    listed: dict[str, RemoteFile] | None = None
    copies = []
    for role, file_id, path in wanted:
        file_id = file_id or "(none)"
        if path is not None:
            copies.append(local_copy(role, file_id, path))
        elif backup is not None:
            copies.append(backup.copy(role, file_id))
        else:
            if listed is None:
                listed = await _listed(source)
            report("download", f"downloading the {role} file {file_id}")
            copies.append(await download_copy(source, role, file_id, work_dir, listed))
        report("download", f"{role} file: {copies[-1].describe()}")
    return copies


async def _listed(source: FineTuningService) -> dict[str, RemoteFile]:
    """The source's files by id (for their names and sizes); empty when it will not list them
    (the download then says what is wrong, if anything)."""
    try:
        return {item.id: item for item in await source.list_files()}
    except ServiceError:
        return {}


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size if path.is_file() else None
    except OSError:
        return None


def shown_path(path: Path, work_dir: Path | None) -> Path:
    """`path` relative to `work_dir` when it lies inside it, else as it is."""
    if work_dir is not None and path.is_relative_to(work_dir):
        return path.relative_to(work_dir)
    return path
