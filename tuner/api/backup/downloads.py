"""The files of a backup: each downloaded once, checked by size, indexed with its sha256.

Kept apart from the jobs (`tuner.api.backup.job`) and the walk over the account
(`tuner.api.backup.run`) because files follow their own rules: a file is named by several jobs
and by the service's own list, so it is fetched at most once per run; a copy already here with
the right size is kept (hashed only if no earlier run did); a file the service no longer has
(404) or will not send is recorded as missing, with the reason, and the backup goes on, while
an answer that says the service itself cannot be used ends it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tuner.api.backup.folder import (
    BackupError,
    BackupFolder,
    file_name,
    file_size,
    in_thread,
    remove_file,
    safe_id,
    sha256_of,
)
from tuner.api.backup.index import MissingFile, Previous, SavedFile
from tuner.api.errors import ErrorKind, ServiceError, os_reason
from tuner.api.ids import MalformedId, usable_id

if TYPE_CHECKING:
    from tuner.api.backup.progress import RunProgress
    from tuner.api.service import FineTuningService
    from tuner.api.types import RemoteFile

# Answers that say one file cannot be read, not that the service or the key is wrong.
_REFUSED_KINDS = frozenset(
    {
        ErrorKind.PERMISSION,
        ErrorKind.INVALID_REQUEST,
        ErrorKind.FINE_TUNING_CLOSED,
        ErrorKind.MODEL_UNAVAILABLE,
    }
)


class FileDownloads:
    """Saves files into a backup folder and keeps their index entries (`files`, `missing`),
    starting from what an earlier run recorded and what is on disk (`local`, by safe id)."""

    def __init__(
        self,
        service: FineTuningService,
        folder: BackupFolder,
        previous: Previous,
        local: dict[str, Path],
        progress: RunProgress,
    ) -> None:
        self.service = service
        self.folder = folder
        self.previous = previous
        self.local = local
        self.progress = progress
        # The service's own list of files, by id (read by the run before the jobs).
        self.listed: dict[str, RemoteFile] = {}
        self.handled: set[str] = set()
        self.files: dict[str, SavedFile] = {
            file_id: saved
            for file_id, saved in previous.files.items()
            if local.get(safe_id(file_id)) == folder.root / saved.path
        }
        self.missing: dict[str, MissingFile] = dict(previous.missing)

    async def save(self, file_id: str) -> None:
        """Download a file unless a copy of the right size is here; a file the service no
        longer has or will not send is recorded as missing."""
        if file_id in self.handled:
            return
        self.handled.add(file_id)
        self.progress.check_stop()
        if not usable_id(file_id):
            self._malformed_file(file_id)
            return
        local = self.local.get(safe_id(file_id))
        size = None if local is None else await in_thread(file_size, local)
        if (
            local is not None
            and size is not None
            and self._right_size(file_id, local) in (None, size)
        ):
            await self._keep(file_id, local, size)
            return
        if self._filename(file_id) is None:
            await self._look_up(file_id)
        name = file_name(file_id, self._filename(file_id))
        self.progress.report(f"downloading {name}")
        path = self.folder.files / name
        try:
            # Streamed to disk: a file of gigabytes never sits in memory.
            size = await self.service.save_file(file_id, path)
        except ServiceError as error:
            reason = _missing_reason(error)
            if reason is None:
                raise
            if local is not None and size is not None:  # the copy here is the best there is
                await self._keep(file_id, local, size)
                return
            kind = "not_found" if _is_not_found(error) else "refused"
            self.missing[file_id] = MissingFile(file_id, kind, reason, self._filename(file_id))
            self.files.pop(file_id, None)
            return
        except OSError as exc:
            raise BackupError(f"cannot write {path}: {os_reason(exc)}") from None
        self.progress.changed = True
        digest = await in_thread(sha256_of, path)
        if local is not None and local != path:
            await in_thread(remove_file, local)
        self.local[safe_id(file_id)] = path
        self._record_file(file_id, path, size, digest)
        counts = self.progress.counts
        counts.files_downloaded += 1
        counts.bytes_downloaded += size
        self.progress.report(f"saved {name}", saved=path)

    def _malformed_file(self, file_id: str) -> None:
        """Record a file id the service listed that no request can name (`..`): not saved."""
        refused = MalformedId(file_id, "file").message
        reason = f"{refused}: the service lists it, but no request can ask for it"
        filename = self._filename(file_id)
        self.missing[file_id] = MissingFile(file_id, "malformed_file_id", reason, filename)
        self.files.pop(file_id, None)

    def _right_size(self, file_id: str, local: Path) -> int | None:
        """The size of a whole copy: as recorded when this folder saved it, else as the service
        lists it; None when neither says (a copy under its final name is whole anyway)."""
        before = self.previous.files.get(file_id)
        if before is not None and before.path == self.folder.relative(local):
            return before.bytes
        listed = self.listed.get(file_id)
        return listed.bytes if listed is not None else None

    async def _look_up(self, file_id: str) -> None:
        """Ask the service for a file it does not list (a job's result file, such as OpenAI's
        `step_metrics.csv`), so it is saved and indexed under its name, not only its id. A
        file the service will not describe is downloaded (or found missing) all the same."""
        try:
            self.listed[file_id] = await self.service.retrieve_file(file_id)
        except ServiceError as error:
            if _missing_reason(error) is None:
                raise

    def _filename(self, file_id: str) -> str | None:
        """The file's original name: as the service lists it, else as an earlier run saw it."""
        source = self.listed.get(file_id) or self.previous.files.get(file_id)
        return source.filename if source is not None else None

    async def _keep(self, file_id: str, path: Path, size: int) -> None:
        """A copy already here: record it, hashing it only if no earlier run did."""
        relative = self.folder.relative(path)
        before = self.previous.files.get(file_id)
        if before is not None and before.path == relative and before.bytes == size:
            digest = before.sha256
        else:
            self.progress.report(f"checking {path.name}")
            digest = await in_thread(sha256_of, path)
        if self._filename(file_id) is None:  # the index that named it is gone: ask again
            await self._look_up(file_id)
        self._record_file(file_id, path, size, digest)
        self.progress.counts.files_already_there += 1

    def _record_file(self, file_id: str, path: Path, size: int, digest: str) -> None:
        source = self.listed.get(file_id) or self.previous.files.get(file_id)
        self.files[file_id] = SavedFile(
            id=file_id,
            path=self.folder.relative(path),
            bytes=size,
            sha256=digest,
            filename=source.filename if source is not None else None,
            purpose=source.purpose if source is not None else None,
        )
        self.missing.pop(file_id, None)


def _is_not_found(error: ServiceError) -> bool:
    return error.kind is ErrorKind.NOT_FOUND or error.status == 404


def _missing_reason(error: ServiceError) -> str | None:
    """Why a file is missing, when `error` says this one file cannot be read; None when it
    says something else is wrong (the key, the network, the service), which ends the backup."""
    if _is_not_found(error):
        return "the service no longer has this file"
    if error.kind in _REFUSED_KINDS:
        return f"the service refuses to send its content: {error.message}"
    return None
