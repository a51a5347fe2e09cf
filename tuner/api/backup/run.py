"""Copy everything of an account's fine-tuning that can be read into a folder, so it outlives the
account (OpenAI stops new fine-tuning jobs on 2027-01-06, and its dashboard exports nothing).

    summary = await backup(service, Path("ft-backup"), profile="work", on_progress=show)

For every job (all pages): its JSON, all its events (oldest first), its checkpoints, its result
files, and the bytes of its training and validation files; then the other fine-tuning files the
service lists. The layout is in `tuner.api.backup.folder`, the index in `tuner.api.backup.index`,
the README in `tuner.api.backup.readme`, the reading of events in `tuner.api.backup.events`. It
talks to any `FineTuningService` (OpenAI, Azure, Together AI...).

Incremental: a finished job whose files are saved is not fetched again (its `job.json` is written
last, so a finished `job.json` means the rest is there); an unfinished one is refreshed, its
events read from the newest down only until the saved ones. A file already present with the
right size is not downloaded again. Resumable: every file is written whole or not at all, so a
crash, Ctrl-C or a cancelled task leaves a folder that the next run trusts and completes.

A file the service no longer has (404) or will not send is recorded as missing, with the reason,
and the backup goes on. So is a job it cannot read (its events, checkpoints or metrics answer
404, a refusal, a server error the SDK's own retries did not get past): it is listed as not
saved (`BackupSummary.not_saved`, and in the index), what an earlier run saved of it stays, and
the next job is read. A failure that says the service itself cannot be used (the key
refused, the service unreachable, rate limits that outlast the retries) ends it; what was saved
stays valid and, if this run wrote anything, `index.json` is rewritten on the way out to name it
(`"complete": false`). The index is written
at the end (or when the backup stops early), not after every job: rewriting it per job would cost
O(jobs²) on a large account, and resuming does not need it (it trusts the files on disk); a hard
kill leaves the previous run's index, which names only whole files.

Progress goes to `on_progress` (cheap, called on the event loop) so a screen can draw a bar;
`cancel` (an `asyncio.Event`) asks for a clean stop at the next file, returning a summary with
`complete=False`; cancelling the task works too and raises `CancelledError` as usual.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuner.api.backup.events import all_events
from tuner.api.backup.folder import (
    CHECKPOINTS_JSON,
    EVENTS_JSONL,
    JOB_JSON,
    METRICS_JSON,
    BackupError,
    BackupFolder,
    file_name,
    file_size,
    in_thread,
    json_bytes,
    make_folder,
    read_json,
    read_json_lines,
    remove_file,
    safe_id,
    sha256_of,
    write_bytes,
    write_json,
    write_json_lines,
)
from tuner.api.backup.index import (
    BackupIndex,
    MissingFile,
    Previous,
    SavedFile,
    SavedJob,
    UnsavedJob,
    check_ours,
)
from tuner.api.backup.readme import readme_text
from tuner.api.errors import ErrorKind, ServiceError, os_reason, scrub
from tuner.api.ids import MalformedId, usable_id
from tuner.api.types import FINISHED_STATUSES, Job, JobStatus, RemoteFile
from tuner.config.urls import shown_url

if TYPE_CHECKING:
    from tuner.api.service import FineTuningService

__all__ = [
    "BackupError",
    "BackupProgress",
    "BackupSummary",
    "MissingFile",
    "UnsavedJob",
    "backup",
]

log = logging.getLogger(__name__)

# Jobs or events asked for per request: OpenAI takes up to 100 of either.
PAGE_SIZE = 100

# Answers that say one file cannot be read, not that the service or the key is wrong.
_REFUSED_KINDS = frozenset(
    {
        ErrorKind.PERMISSION,
        ErrorKind.INVALID_REQUEST,
        ErrorKind.FINE_TUNING_CLOSED,
        ErrorKind.MODEL_UNAVAILABLE,
    }
)
_FINISHED_WORDS = frozenset(status.value for status in FINISHED_STATUSES)
# Answers that say the service cannot be used at all, not that one job cannot be read: these end
# the backup (every other job would fail the same way).
_WHOLE_SERVICE_KINDS = frozenset(
    {ErrorKind.NO_KEY, ErrorKind.AUTH, ErrorKind.CONNECTION, ErrorKind.RATE_LIMITED}
)


@dataclass(frozen=True, slots=True)
class BackupProgress:
    """Where a backup is, for a progress bar and a status line.

    `total_jobs` is None while the jobs are being listed. `job_id` is the job being saved (None
    before the first and for the files no job names). `saved` is set on the report that follows
    a file being written (whole, under its final name); `outcome` on the report that closes a
    job: "saved" (first time), "updated" (refreshed), "unchanged", or "not saved: REASON" (it
    could not be read). Reports supersede each other: a screen need only show the latest.
    """

    done_jobs: int
    total_jobs: int | None
    current: str
    bytes_downloaded: int
    job_id: str | None = None
    saved: Path | None = None
    outcome: str | None = None


@dataclass(frozen=True, slots=True)
class BackupSummary:
    """What a backup did. `complete` is False when it was stopped through `cancel`."""

    folder: Path
    index: Path
    jobs_saved: int
    jobs_updated: int
    jobs_unchanged: int
    files_downloaded: int
    files_already_there: int
    bytes_downloaded: int
    missing: tuple[MissingFile, ...]
    complete: bool = True
    not_saved: tuple[UnsavedJob, ...] = ()

    @property
    def files_missing(self) -> int:
        return len(self.missing)

    @property
    def jobs_not_saved(self) -> int:
        """How many listed jobs could not be read this run (see `not_saved`)."""
        return len(self.not_saved)

    def to_json(self) -> dict[str, Any]:
        """The `tuner backup --json` object."""
        return {
            "folder": str(self.folder),
            "index": str(self.index),
            "complete": self.complete,
            "jobs_saved": self.jobs_saved,
            "jobs_updated": self.jobs_updated,
            "jobs_unchanged": self.jobs_unchanged,
            "files_downloaded": self.files_downloaded,
            "files_already_there": self.files_already_there,
            "files_missing": self.files_missing,
            "bytes_downloaded": self.bytes_downloaded,
            "missing": [m.to_json() for m in self.missing],
            "jobs_not_saved": [j.to_json() for j in self.not_saved],
        }


async def backup(
    service: FineTuningService,
    folder: Path,
    *,
    profile: str | None = None,
    on_progress: Callable[[BackupProgress], None] | None = None,
    cancel: asyncio.Event | None = None,
    page_size: int = PAGE_SIZE,
) -> BackupSummary:
    """Back up every fine-tuning job and file `service` can read into `folder` (created if
    missing; an earlier backup there is brought up to date). `profile` is recorded in the index.

    Raises `BackupError` when the folder cannot be used or written, and `ServiceError` for a
    failure other than a missing or refused file; either way what was saved stays valid.
    """
    run = _Run(service, BackupFolder(Path(folder)), profile, on_progress, cancel, page_size)
    return await run.run()


class _Stopped(Exception):
    """`cancel` was set: end cleanly at this point."""


@dataclass
class _Counts:
    jobs_saved: int = 0
    jobs_updated: int = 0
    jobs_unchanged: int = 0
    files_downloaded: int = 0
    files_already_there: int = 0
    bytes_downloaded: int = 0


class _Run:
    """One backup run: its records (what the index will say) and its counts."""

    def __init__(
        self,
        service: FineTuningService,
        folder: BackupFolder,
        profile: str | None,
        on_progress: Callable[[BackupProgress], None] | None,
        cancel: asyncio.Event | None,
        page_size: int,
    ) -> None:
        self.service = service
        self.folder = folder
        self.profile = profile
        self.on_progress = on_progress
        self.cancel = cancel
        self.page_size = max(1, page_size)
        self.started = time.time()
        self.counts = _Counts()
        self.previous = Previous()
        self.jobs: dict[str, SavedJob] = {}
        self.files: dict[str, SavedFile] = {}
        self.missing: dict[str, MissingFile] = {}
        self.not_saved: dict[str, UnsavedJob] = {}
        # What is being read of the current job ("its events"...), for a failure's reason.
        self.reading = ""
        self.local: dict[str, Path] = {}
        self.listed: dict[str, RemoteFile] = {}
        self.handled: set[str] = set()
        self.done_jobs = 0
        self.total_jobs: int | None = None
        self.job_id: str | None = None
        # Set before the first write of this run: the index must then be rewritten, even when
        # the run ends early, so that it names what is on disk.
        self.changed = False

    # ------------------------------------------------------------------ the run

    async def run(self) -> BackupSummary:
        # The service first: one that cannot be used (no key, unreachable) leaves no folder.
        jobs = await self._list_jobs()
        self.previous = await in_thread(self._open_folder)
        self.jobs = dict(self.previous.jobs)
        self.files = {
            file_id: saved
            for file_id, saved in self.previous.files.items()
            if self.local.get(safe_id(file_id)) == self.folder.root / saved.path
        }
        self.missing = dict(self.previous.missing)
        try:
            await self._work(jobs)
        except _Stopped:
            complete = False
        except BaseException:
            # Say what is there before the error goes on (when this run changed anything: an
            # earlier complete index stays as it was otherwise). An index that cannot be written
            # now (a full disk) must not hide the error that stopped the backup.
            if self.changed:
                try:
                    self._write_index(complete=False)
                except (BackupError, OSError) as exc:
                    log.warning("cannot rewrite the backup index: %s", exc)
            raise
        else:
            complete = True
        if complete or self.changed:
            self._report("writing the index")
            self._write_index(complete=complete)
        return self._summary(complete)

    def _open_folder(self) -> Previous:
        """Prepare the folder and read what an earlier run recorded, keeping only the entries
        whose files are still here (the disk is the truth; someone may have removed some)."""
        self.folder.prepare()
        previous = check_ours(self.folder)
        self.local = self.folder.local_files()
        saved = set(self.folder.saved_job_ids())
        jobs = {
            job_id: job
            for job_id, job in previous.jobs.items()
            if job.folder == self.folder.relative(self.folder.job_dir(job_id))
            and safe_id(job_id) in saved
        }
        return dataclasses.replace(previous, jobs=jobs)

    async def _work(self, jobs: list[Job]) -> None:
        self.total_jobs = len(jobs)
        listed_ids = {job.id for job in jobs}
        for job_id, saved in list(self.jobs.items()):
            if job_id not in listed_ids:
                self.jobs[job_id] = dataclasses.replace(saved, on_service=False)
        self._report("listing files")
        self.listed = {item.id: item for item in await self.service.list_files()}
        for job in jobs:
            self._check_stop()
            self.job_id = job.id
            if not usable_id(job.id):  # no request can name it: listed as not saved
                refused = MalformedId(job.id, "job").message
                reason = f"{refused}: the service lists it, but no request can ask for it"
                self.not_saved[job.id] = UnsavedJob(job.id, reason)
                outcome = f"not saved: {reason}"
            else:
                try:
                    outcome = await self._save_job(job)
                except ServiceError as error:
                    if error.kind in _WHOLE_SERVICE_KINDS:
                        raise
                    reason = f"{self.reading or 'it'} could not be read: {error.message}"
                    self.not_saved[job.id] = UnsavedJob(job.id, reason)
                    outcome = f"not saved: {reason}"
            for file_id in (job.training_file, job.validation_file, *job.result_files):
                if file_id:
                    await self._save_file(file_id)
            self.done_jobs += 1
            self._report(f"{job.id}: {outcome}", outcome=outcome)
        self.job_id = None
        for file_id in self.listed:
            await self._save_file(file_id)

    async def _list_jobs(self) -> list[Job]:
        self._report("listing jobs")
        jobs: list[Job] = []
        seen: set[str] = set()
        after: str | None = None
        while True:
            page = await self.service.list_jobs(after=after, limit=self.page_size)
            fresh = [job for job in page.jobs if job.id not in seen]
            jobs += fresh
            seen.update(job.id for job in fresh)
            if not page.has_more or not fresh:
                return jobs
            after = page.jobs[-1].id

    # ------------------------------------------------------------------ a job

    async def _save_job(self, job: Job) -> str:
        """Save `job`'s JSON, events, checkpoints (and metrics); "unchanged" when it had
        finished and all of that is saved already: then nothing is asked of the service. A
        read that fails raises `ServiceError` before `job.json` is written, so the job is not
        taken for saved (an earlier run's whole copy stays as it was)."""
        self.reading = ""
        where = self.folder.job_dir(job.id)
        job_json = where / JOB_JSON
        saved = await in_thread(read_json, job_json)
        if job.finished and self._is_whole(saved, where):
            if saved != job.to_json():  # the listing says something new: no request needed
                await self._write(job_json, json_bytes(job.to_json()))
            self.jobs[job.id] = await in_thread(self._record_from_disk, job, where)
            self.counts.jobs_unchanged += 1
            return "unchanged"
        await in_thread(make_folder, where)
        self._report(f"{job.id}: events")
        self.reading = "its events"
        known = await in_thread(read_json_lines, where / EVENTS_JSONL)
        events = await all_events(self.service, job.id, known, self.page_size)
        await self._write_lines(where / EVENTS_JSONL, events)
        self._report(f"{job.id}: checkpoints")
        self.reading = "its checkpoints"
        checkpoints = []
        if self.service.capabilities.checkpoints:
            checkpoints = [c.to_json() for c in await self.service.list_checkpoints(job.id)]
        await self._write(where / CHECKPOINTS_JSON, json_bytes(checkpoints))
        if self._wants_metrics(job):
            self.reading = "its metrics"
            points = await self.service.job_metrics(job)
            await self._write(
                where / METRICS_JSON, json_bytes([dataclasses.asdict(p) for p in points])
            )
        await self._write(job_json, json_bytes(job.to_json()))
        self.jobs[job.id] = SavedJob.of(
            job, self.folder.relative(where), events=len(events), checkpoints=len(checkpoints)
        )
        if isinstance(saved, dict):
            self.counts.jobs_updated += 1
            return "updated"
        self.counts.jobs_saved += 1
        return "saved"

    def _is_whole(self, saved: Any, where: Path) -> bool:
        """True when a finished job's `job.json` is saved with everything written before it."""
        return (
            isinstance(saved, dict)
            and saved.get("status") in _FINISHED_WORDS
            and (where / EVENTS_JSONL).is_file()
            and (where / CHECKPOINTS_JSON).is_file()
        )

    def _wants_metrics(self, job: Job) -> bool:
        """A service that keeps metrics apart from a result file (Together): save them."""
        return (
            self.service.capabilities.result_metrics
            and job.status is JobStatus.SUCCEEDED
            and not job.result_files
        )

    def _record_from_disk(self, job: Job, where: Path) -> SavedJob:
        """The index entry of a job an earlier run saved whole: the counts from that run's
        index, or (when it is lost) from the files themselves."""
        relative = self.folder.relative(where)
        known = self.previous.jobs.get(job.id)
        if known is not None and known.folder == relative:
            return SavedJob.of(job, relative, events=known.events, checkpoints=known.checkpoints)
        events = len(read_json_lines(where / EVENTS_JSONL))
        checkpoints = read_json(where / CHECKPOINTS_JSON)
        count = len(checkpoints) if isinstance(checkpoints, list) else 0
        return SavedJob.of(job, relative, events=events, checkpoints=count)

    # ------------------------------------------------------------------ a file

    async def _save_file(self, file_id: str) -> None:
        """Download a file unless a copy of the right size is here; a file the service no
        longer has or will not send is recorded as missing."""
        if file_id in self.handled:
            return
        self.handled.add(file_id)
        self._check_stop()
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
        self._report(f"downloading {name}")
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
        self.changed = True
        digest = await in_thread(sha256_of, path)
        if local is not None and local != path:
            await in_thread(remove_file, local)
        self.local[safe_id(file_id)] = path
        self._record_file(file_id, path, size, digest)
        self.counts.files_downloaded += 1
        self.counts.bytes_downloaded += size
        self._report(f"saved {name}", saved=path)

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
            self._report(f"checking {path.name}")
            digest = await in_thread(sha256_of, path)
        if self._filename(file_id) is None:  # the index that named it is gone: ask again
            await self._look_up(file_id)
        self._record_file(file_id, path, size, digest)
        self.counts.files_already_there += 1

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

    # ------------------------------------------------------------------ writing, reporting

    async def _write(self, path: Path, data: bytes) -> None:
        self.changed = True
        await in_thread(write_bytes, path, data)
        self._report(f"saved {path.name}", saved=path)

    async def _write_lines(self, path: Path, items: list[dict[str, Any]]) -> None:
        self.changed = True
        await in_thread(write_json_lines, path, items)
        self._report(f"saved {path.name}", saved=path)

    def _index(self, complete: bool) -> BackupIndex:
        jobs = sorted(self.jobs.values(), key=lambda j: (j.created_at or 0, j.id), reverse=True)
        return BackupIndex(
            service=self.service.capabilities.service,
            where=_plain_where(self.service.where),
            profile=self.profile,
            started_at=self.started,
            finished_at=time.time(),
            complete=complete,
            jobs=tuple(jobs),
            files=tuple(sorted(self.files.values(), key=lambda f: f.path)),
            missing=tuple(sorted(self.missing.values(), key=lambda m: m.id)),
            not_saved=tuple(self.not_saved.values()),
        )

    def _write_index(self, *, complete: bool) -> None:
        """index.json then README.md, each whole. Written without awaiting: they are small, and
        this also runs while a cancellation is on its way out, which a second one must not cut
        short."""
        index = self._index(complete)
        write_json(self.folder.index, index.to_json())
        write_bytes(self.folder.readme, readme_text(index).encode("utf-8"))

    def _summary(self, complete: bool) -> BackupSummary:
        users = self._index(complete).users()
        missing = tuple(
            dataclasses.replace(m, used_by=tuple(users.get(m.id, m.used_by)))
            for m in sorted(self.missing.values(), key=lambda m: m.id)
        )
        c = self.counts
        return BackupSummary(
            folder=self.folder.root,
            index=self.folder.index,
            jobs_saved=c.jobs_saved,
            jobs_updated=c.jobs_updated,
            jobs_unchanged=c.jobs_unchanged,
            files_downloaded=c.files_downloaded,
            files_already_there=c.files_already_there,
            bytes_downloaded=c.bytes_downloaded,
            missing=missing,
            complete=complete,
            not_saved=tuple(self.not_saved.values()),
        )

    def _check_stop(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise _Stopped

    def _report(
        self, current: str, *, saved: Path | None = None, outcome: str | None = None
    ) -> None:
        if self.on_progress is None:
            return
        self.on_progress(
            BackupProgress(
                done_jobs=self.done_jobs,
                total_jobs=self.total_jobs,
                current=current,
                bytes_downloaded=self.counts.bytes_downloaded,
                job_id=self.job_id,
                saved=saved,
                outcome=outcome,
            )
        )


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


def _plain_where(where: str) -> str:
    """The service's URL with no user, password or query (never a credential in the index)."""
    return scrub(shown_url(where).partition("?")[0].partition("#")[0])
