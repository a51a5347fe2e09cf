"""Where a backup run is and what it has done so far, for a progress bar and for its summary.

The account walk (`tuner.api.backup.run`), one job's copy (`tuner.api.backup.job`) and the
downloads (`tuner.api.backup.downloads`) all count what they save, tell the screen where they are
and stop at the next file when asked. `RunProgress` is the one place that holds those figures, so
every report and the final summary read the same numbers, and the parts share no other state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


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


class BackupStopped(Exception):
    """`cancel` was set: end cleanly at this point."""


@dataclass
class BackupCounts:
    """What this run saved, for `BackupSummary`."""

    jobs_saved: int = 0
    jobs_updated: int = 0
    jobs_unchanged: int = 0
    files_downloaded: int = 0
    files_already_there: int = 0
    bytes_downloaded: int = 0


@dataclass
class RunProgress:
    """One run's counts and position, the reports they make, and the stop it may be asked for.

    `changed` is set before the first write of the run: the index must then be rewritten, even
    when the run ends early, so that it names what is on disk.
    """

    on_progress: Callable[[BackupProgress], None] | None
    cancel: asyncio.Event | None
    counts: BackupCounts = field(default_factory=BackupCounts)
    done_jobs: int = 0
    total_jobs: int | None = None
    job_id: str | None = None
    changed: bool = False

    def check_stop(self) -> None:
        """Raise `BackupStopped` when `cancel` is set (called before each job and file)."""
        if self.cancel is not None and self.cancel.is_set():
            raise BackupStopped

    def report(
        self, current: str, *, saved: Path | None = None, outcome: str | None = None
    ) -> None:
        """Tell `on_progress` where the run is (cheap: called on the event loop)."""
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
