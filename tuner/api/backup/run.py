"""Copy everything of an account's fine-tuning that can be read into a folder, so it outlives the
account (OpenAI stops new fine-tuning jobs on 2027-01-06, and its dashboard exports nothing).

    summary = await backup(service, Path("ft-backup"), profile="work", on_progress=show)

For every job (all pages): its JSON, all its events (oldest first), its checkpoints, its result
files, and the bytes of its training and validation files; then the other fine-tuning files the
service lists. This module walks the account and writes the index; one job's copy is
`tuner.api.backup.job`, the files' downloads `tuner.api.backup.downloads`, the counts and progress
reports they share `tuner.api.backup.progress`. The layout is in `tuner.api.backup.folder`, the
index in `tuner.api.backup.index`, the README in `tuner.api.backup.readme`, the reading of events
in `tuner.api.backup.events`. It talks to any `FineTuningService` (OpenAI, Azure, Together
AI...).

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

from tuner.api.backup.downloads import FileDownloads
from tuner.api.backup.folder import (
    BackupError,
    BackupFolder,
    in_thread,
    safe_id,
    write_bytes,
    write_json,
)
from tuner.api.backup.index import (
    BackupIndex,
    MissingFile,
    Previous,
    UnsavedJob,
    check_ours,
)
from tuner.api.backup.job import JobSaver
from tuner.api.backup.progress import BackupProgress, BackupStopped, RunProgress
from tuner.api.backup.readme import readme_text
from tuner.api.errors import ErrorKind, ServiceError, scrub
from tuner.api.ids import MalformedId, usable_id
from tuner.api.types import Job
from tuner.config.urls import shown_url

if TYPE_CHECKING:
    from tuner.api.service import FineTuningService

log = logging.getLogger(__name__)

# Jobs or events asked for per request: OpenAI takes up to 100 of either.
PAGE_SIZE = 100

# Answers that say the service cannot be used at all, not that one job cannot be read: these end
# the backup (every other job would fail the same way).
_WHOLE_SERVICE_KINDS = frozenset(
    {ErrorKind.NO_KEY, ErrorKind.AUTH, ErrorKind.CONNECTION, ErrorKind.RATE_LIMITED}
)


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


class _Run:
    """One backup run: the walk over the account's jobs, then the files no job names; what the
    index will say is kept by the jobs' saver and the downloads."""

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
        self.page_size = max(1, page_size)
        self.started = time.time()
        self.progress = RunProgress(on_progress, cancel)
        self.not_saved: dict[str, UnsavedJob] = {}

    async def run(self) -> BackupSummary:
        # The service first: one that cannot be used (no key, unreachable) leaves no folder.
        jobs = await self._list_jobs()
        previous, local = await in_thread(self._open_folder)
        self.saver = JobSaver(self.service, self.folder, previous, self.progress, self.page_size)
        self.downloads = FileDownloads(self.service, self.folder, previous, local, self.progress)
        try:
            await self._work(jobs)
        except BackupStopped:
            complete = False
        except BaseException:
            # Say what is there before the error goes on (when this run changed anything: an
            # earlier complete index stays as it was otherwise). An index that cannot be written
            # now (a full disk) must not hide the error that stopped the backup.
            if self.progress.changed:
                try:
                    self._write_index(complete=False)
                except (BackupError, OSError) as exc:
                    log.warning("cannot rewrite the backup index: %s", exc)
            raise
        else:
            complete = True
        if complete or self.progress.changed:
            self.progress.report("writing the index")
            self._write_index(complete=complete)
        return self._summary(complete)

    def _open_folder(self) -> tuple[Previous, dict[str, Path]]:
        """Prepare the folder and read what an earlier run recorded, keeping only the entries
        whose files are still here (the disk is the truth; someone may have removed some); and
        the files here, by safe id."""
        self.folder.prepare()
        previous = check_ours(self.folder)
        local = self.folder.local_files()
        saved = set(self.folder.saved_job_ids())
        jobs = {
            job_id: job
            for job_id, job in previous.jobs.items()
            if job.folder == self.folder.relative(self.folder.job_dir(job_id))
            and safe_id(job_id) in saved
        }
        return dataclasses.replace(previous, jobs=jobs), local

    async def _work(self, jobs: list[Job]) -> None:
        progress, saver, downloads = self.progress, self.saver, self.downloads
        progress.total_jobs = len(jobs)
        listed_ids = {job.id for job in jobs}
        for job_id, saved in list(saver.jobs.items()):
            if job_id not in listed_ids:
                saver.jobs[job_id] = dataclasses.replace(saved, on_service=False)
        progress.report("listing files")
        downloads.listed = {item.id: item for item in await self.service.list_files()}
        for job in jobs:
            progress.check_stop()
            progress.job_id = job.id
            if not usable_id(job.id):  # no request can name it: listed as not saved
                refused = MalformedId(job.id, "job").message
                reason = f"{refused}: the service lists it, but no request can ask for it"
                self.not_saved[job.id] = UnsavedJob(job.id, reason)
                outcome = f"not saved: {reason}"
            else:
                try:
                    outcome = await saver.save(job)
                except ServiceError as error:
                    if error.kind in _WHOLE_SERVICE_KINDS:
                        raise
                    reason = f"{saver.reading or 'it'} could not be read: {error.message}"
                    self.not_saved[job.id] = UnsavedJob(job.id, reason)
                    outcome = f"not saved: {reason}"
            for file_id in (job.training_file, job.validation_file, *job.result_files):
                if file_id:
                    await downloads.save(file_id)
            progress.done_jobs += 1
            progress.report(f"{job.id}: {outcome}", outcome=outcome)
        progress.job_id = None
        for file_id in downloads.listed:
            await downloads.save(file_id)

    async def _list_jobs(self) -> list[Job]:
        self.progress.report("listing jobs")
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

    # ------------------------------------------------------------------ the index, the summary

    def _index(self, complete: bool) -> BackupIndex:
        jobs = sorted(
            self.saver.jobs.values(), key=lambda j: (j.created_at or 0, j.id), reverse=True
        )
        return BackupIndex(
            service=self.service.capabilities.service,
            where=_plain_where(self.service.where),
            profile=self.profile,
            started_at=self.started,
            finished_at=time.time(),
            complete=complete,
            jobs=tuple(jobs),
            files=tuple(sorted(self.downloads.files.values(), key=lambda f: f.path)),
            missing=tuple(sorted(self.downloads.missing.values(), key=lambda m: m.id)),
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
            for m in sorted(self.downloads.missing.values(), key=lambda m: m.id)
        )
        c = self.progress.counts
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


def _plain_where(where: str) -> str:
    """The service's URL with no user, password or query (never a credential in the index)."""
    return scrub(shown_url(where).partition("?")[0].partition("#")[0])
