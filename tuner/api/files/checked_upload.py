"""Check a training file, then upload it, unless the service already holds the same bytes: the
one path every upload in tuner takes.

`tuner upload`, `tuner jobs create --training-file PATH`, the new-job form, the dataset screen
and `tuner migrate` all upload local files the same way: tuner's own checks first (a file with
errors is refused unless forced, so a typo does not cost an upload and a failed job), then the
service's upload with progress.

Running again never uploads twice: every upload is recorded by the sha256 and size of its bytes
(`tuner.api.files.upload_record`), and before uploading, a file recorded for this service is looked
for in the service's own list. If the id is still there with the same size, not deleted and not
refused, it is used again: `CheckedUpload.reused`, said as "reusing file-... (uploaded <when>,
identical)". `reuse=False` (`--force-upload`) uploads again on purpose. (Together also answers
an upload of bytes it holds with the file that holds them; the record makes every service do
what Together does, and saves even that request.)
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tuner.api.errors import ErrorKind, ServiceError
from tuner.data.wording import plural

if TYPE_CHECKING:
    from tuner.api.files.upload_record import UploadRecord
    from tuner.api.service import FineTuningService
    from tuner.api.types import Progress, RemoteFile
    from tuner.data.analysis.report import AnalysisReport
    from tuner.data.rules.problems import Problem

log = logging.getLogger(__name__)

# File statuses (any service's, lower-cased) that mean the id no longer holds usable bytes.
_UNUSABLE_STATUSES = frozenset({"error", "deleted", "deleting", "failed", "expired"})
_HASH_BLOCK = 8 * 1024 * 1024


class FileRefused(ServiceError):
    """tuner's checks found errors in a file it was asked to upload. `problems` lists them."""

    def __init__(self, path: Path, problems: list[Problem], count: int | None = None) -> None:
        count = len(problems) if count is None else count
        first = problems[0].located() if problems else "no detail"
        super().__init__(
            ErrorKind.INVALID_REQUEST,
            f"{path.name} has {plural(count, 'error')} ({first}); not uploaded",
        )
        self.path = path
        self.problems = problems
        self.count = count  # errors found in all, `problems` being the first of them


@dataclass(frozen=True, slots=True)
class CheckedUpload:
    """The file on the service for a local file: just uploaded, or (`reused`) an identical
    one uploaded before, at `uploaded_at` (seconds since the epoch, when known)."""

    file: RemoteFile
    reused: bool = False
    uploaded_at: float | None = None

    @property
    def id(self) -> str:
        return self.file.id

    def describe(self, path: Path) -> str:
        """`uploaded PATH as file-abc`, or `reusing file-abc (uploaded 2026-11-29 19:30,
        identical) for PATH`."""
        if not self.reused:
            return f"uploaded {path} as {self.id}"
        when = ""
        if self.uploaded_at:
            when = datetime.fromtimestamp(self.uploaded_at).strftime("uploaded %Y-%m-%d %H:%M, ")
        return f"reusing {self.id} ({when}identical) for {path}"


def check_file(
    path: Path,
    model: str | None = None,
    rules: str = "openai",
    progress: Progress | None = None,
) -> AnalysisReport:
    """tuner's checks on `path` by the `rules` of the service it goes to (and that service's
    catalog); `progress(bytes read, total)` as the check goes (a big file takes seconds).
    Raises `OSError` when the file cannot be read."""
    from tuner.data.analysis.analyse import analyse_file
    from tuner.data.catalog.choice import default_catalog

    catalog = default_catalog(rules)
    model = model or catalog.default_model
    return analyse_file(path, model, catalog=catalog, service=rules, progress=progress)


async def upload_checked(
    service: FineTuningService,
    path: Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
    report: AnalysisReport | None = None,
    reuse: bool = True,
    record: UploadRecord | None = None,
    check_progress: Progress | None = None,
) -> CheckedUpload:
    """Check `path` (or trust `report`, an analysis of it already made), then upload it, or
    reuse the identical file the service already holds from an earlier upload (unless `reuse`
    is False). `record` is where uploads are recorded (default: tuner's data folder);
    `check_progress` hears how far the check is, `progress` how far the upload.

    Raises `FileRefused` for a file with errors unless `force`, `OSError` for an unreadable
    file, and `ServiceError` for what the service refuses.
    """
    from tuner.api.files.upload_record import RecordedUpload, UploadRecord, service_key

    if report is None or report.path.resolve() != path.resolve():
        rules = service.capabilities.rules
        report = await asyncio.to_thread(check_file, path, None, rules, check_progress)
    if not report.valid and not force:
        raise FileRefused(path, report.errors, report.error_count)
    record = record if record is not None else UploadRecord()
    key = service_key(service.capabilities.kind, service.where)
    sha256, size = await _fingerprint(path)
    if reuse:
        found = await _held_already(service, record, key, sha256, size)
        if found is not None:
            if progress is not None:
                progress(size, size)
            return found
    remote = await service.upload_file(path, progress)
    try:
        record.add(key, sha256, RecordedUpload(remote.id, size, path.name, time.time()))
    except OSError as exc:  # only costs an upload the next time
        log.warning("cannot record the upload of %s: %s", path, exc)
    return CheckedUpload(remote)


async def _fingerprint(path: Path) -> tuple[str, int]:
    """(sha256, size) of the file, read a block at a time in a worker thread: the event loop
    stays free and a cancel stops it at the next block."""
    digest = hashlib.sha256()
    size = 0

    def step(handle: object) -> bool:
        nonlocal size
        data = handle.read(_HASH_BLOCK)  # type: ignore[attr-defined]
        digest.update(data)
        size += len(data)
        return bool(data)

    with path.open("rb") as handle:
        while await asyncio.to_thread(step, handle):
            pass
    return digest.hexdigest(), size


async def _held_already(
    service: FineTuningService, record: UploadRecord, key: str, sha256: str, size: int
) -> CheckedUpload | None:
    """The file an earlier upload of these bytes made, if the service still holds it whole;
    ids it no longer lists are dropped from the record."""
    candidates = record.find(key, sha256, size)
    if not candidates:
        return None
    try:
        listed = {item.id: item for item in await service.list_files()}
    except ServiceError:
        return None  # a service that will not list its files: upload as before
    for candidate in candidates:
        remote = listed.get(candidate.file_id)
        if remote is None:
            with contextlib.suppress(OSError):
                record.forget(key, sha256, candidate.file_id)
            continue
        if _usable(remote, size):
            when = remote.created_at or candidate.uploaded_at or None
            return CheckedUpload(remote, reused=True, uploaded_at=when)
    return None


def _usable(remote: RemoteFile, size: int) -> bool:
    """Whether a listed file still holds `size` bytes a job can train on."""
    if remote.bytes is not None and remote.bytes != size:
        return False
    status = (remote.status or "").lower()
    return status not in _UNUSABLE_STATUSES and not status.startswith("invalid")
