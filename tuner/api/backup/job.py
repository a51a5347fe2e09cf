"""One job's backup: its JSON, its events, its checkpoints (and metrics), each written whole.

Kept apart from the walk over the account (`tuner.api.backup.run`) and the file downloads
(`tuner.api.backup.downloads`) because it holds the rule that makes a backup incremental and
resumable job by job: `job.json` is written last, so a finished job whose `job.json` is on disk
has everything else there too and costs no request the next time; an unfinished one is refreshed,
its events read from the newest down only until the saved ones.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuner.api.backup.events import all_events
from tuner.api.backup.folder import (
    CHECKPOINTS_JSON,
    EVENTS_JSONL,
    JOB_JSON,
    METRICS_JSON,
    BackupFolder,
    in_thread,
    json_bytes,
    make_folder,
    read_json,
    read_json_lines,
    write_bytes,
    write_json_lines,
)
from tuner.api.backup.index import Previous, SavedJob
from tuner.api.types import FINISHED_STATUSES, Job, JobStatus

if TYPE_CHECKING:
    from tuner.api.backup.progress import RunProgress
    from tuner.api.service import FineTuningService

_FINISHED_WORDS = frozenset(status.value for status in FINISHED_STATUSES)


class JobSaver:
    """Saves jobs into a backup folder and keeps their index entries (`jobs`), starting from
    what an earlier run recorded (`previous`, already checked against the disk)."""

    def __init__(
        self,
        service: FineTuningService,
        folder: BackupFolder,
        previous: Previous,
        progress: RunProgress,
        page_size: int,
    ) -> None:
        self.service = service
        self.folder = folder
        self.previous = previous
        self.progress = progress
        self.page_size = page_size
        self.jobs: dict[str, SavedJob] = dict(previous.jobs)
        # What is being read of the current job ("its events"...), for a failure's reason.
        self.reading = ""

    async def save(self, job: Job) -> str:
        """Save `job`'s JSON, events, checkpoints (and metrics); "unchanged" when it had
        finished and all of that is saved already: then nothing is asked of the service. A
        read that fails raises `ServiceError` before `job.json` is written, so the job is not
        taken for saved (an earlier run's whole copy stays as it was)."""
        self.reading = ""
        counts = self.progress.counts
        where = self.folder.job_dir(job.id)
        job_json = where / JOB_JSON
        saved = await in_thread(read_json, job_json)
        if job.finished and self._is_whole(saved, where):
            if saved != job.to_json():  # the listing says something new: no request needed
                await self._write(job_json, json_bytes(job.to_json()))
            self.jobs[job.id] = await in_thread(self._record_from_disk, job, where)
            counts.jobs_unchanged += 1
            return "unchanged"
        await in_thread(make_folder, where)
        self.progress.report(f"{job.id}: events")
        self.reading = "its events"
        known = await in_thread(read_json_lines, where / EVENTS_JSONL)
        events = await all_events(self.service, job.id, known, self.page_size)
        await self._write_lines(where / EVENTS_JSONL, events)
        self.progress.report(f"{job.id}: checkpoints")
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
            counts.jobs_updated += 1
            return "updated"
        counts.jobs_saved += 1
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

    async def _write(self, path: Path, data: bytes) -> None:
        self.progress.changed = True
        await in_thread(write_bytes, path, data)
        self.progress.report(f"saved {path.name}", saved=path)

    async def _write_lines(self, path: Path, items: list[dict[str, Any]]) -> None:
        self.progress.changed = True
        await in_thread(write_json_lines, path, items)
        self.progress.report(f"saved {path.name}", saved=path)
