"""The original training and validation files of a job being moved, as local copies.

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
from collections.abc import Mapping
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
    from tuner.api.types import RemoteFile

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
