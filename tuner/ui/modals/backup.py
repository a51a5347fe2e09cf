"""Back up the account's fine-tuning from the jobs screen: a folder, a progress bar, a summary.

The dialog runs `tuner.api.backup.run.backup` itself (the same code as `tuner backup DIR`) with the
app's service, so what it saves is exactly what the command saves: every job's JSON, events,
checkpoints and result files, and the training files' bytes, with an index and a README. Escape
while it runs asks the backup to stop at the next file (what was saved stays valid and the next
run completes it); escape afterwards closes the dialog.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import var
from textual.screen import ModalScreen
from textual.widgets import Input, Label, ProgressBar, Static

from tuner.data.durations import format_size
from tuner.data.fit_text import short_path
from tuner.data.wording import plural
from tuner.ui.failures import WorkFailed, fails_as
from tuner.ui.outside import CONTROLS_SHOWN, outside

if TYPE_CHECKING:
    from tuner.api.backup.progress import BackupProgress
    from tuner.api.backup.run import BackupSummary
    from tuner.api.service import FineTuningService


@dataclass
class BackupMoved(Message):
    progress: BackupProgress


@dataclass
class BackupDone(Message):
    summary: BackupSummary


class BackupFailed(WorkFailed):
    DOING = "back up"


def summary_text(summary: BackupSummary) -> str:
    """What a finished (or stopped) backup saved, in two or three short lines."""
    jobs = summary.jobs_saved + summary.jobs_updated + summary.jobs_unchanged
    head = "Backup complete" if summary.complete else "Backup stopped (run it again to finish)"
    lines = [
        f"{head}: {plural(jobs, 'job')} ({summary.jobs_saved} new, "
        f"{summary.jobs_updated} updated), {plural(summary.files_downloaded, 'file')} "
        f"downloaded ({format_size(summary.bytes_downloaded)}), "
        f"{summary.files_already_there} already there",
    ]
    if summary.not_saved:
        lines.append(f"{plural(summary.jobs_not_saved, 'job')} could not be read: see index.json")
    if summary.missing:
        missing = plural(len(summary.missing), "file")
        lines.append(f"{missing} the service no longer sends: see index.json")
    lines.append(f"in {short_path(summary.folder)}")
    return "\n".join(lines)


class BackupModal(ModalScreen["BackupSummary | None"]):
    """Returns the summary of the backup that ran, or None when none did."""

    CSS_PATH = "modals.tcss"
    CSS = """
    BackupModal { align: center middle; }
    BackupModal .dialog { width: 76; height: auto; }
    BackupModal ProgressBar { margin-top: 1; }
    BackupModal #backup-status { margin-top: 1; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Stop / close", id="backup.cancel"),
    ]

    # Whether a backup is under way: it fixes the folder field, shows the progress bar and
    # decides what escape does (stop the backup, or close).
    running: var[bool] = var(False, init=False)

    def __init__(self, service: FineTuningService, folder: Path, profile: str | None) -> None:
        super().__init__()
        self.service = service
        self.folder = folder
        self.profile = profile
        self.stop = asyncio.Event()
        self.summary: BackupSummary | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = "Back up fine-tuning"
            yield Label(
                "Every job, its events, checkpoints and result files, and the training files, "
                "copied into this folder (enter starts; a second run fetches only what is new):",
                classes="question",
            )
            yield Input(str(self.folder), id="backup-folder", highlighter=CONTROLS_SHOWN)
            yield ProgressBar(id="backup-bar", show_eta=False)
            yield Static("", id="backup-status")

    def on_mount(self) -> None:
        self.query_one(ProgressBar).display = False
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _start(self, event: Input.Submitted) -> None:
        event.stop()
        if self.running:
            return
        text = event.value.strip()
        if not text:
            self._status("Type the folder to back up into")
            return
        self.folder = Path(text).expanduser()
        self.running = True
        self._run()

    def watch_running(self, running: bool) -> None:
        # The field is fixed while a backup runs and after one finished (escape closes then);
        # after a failure it takes another folder or a retry.
        self.query_one(Input).disabled = running or self.summary is not None
        if running:
            bar = self.query_one(ProgressBar)
            bar.display = True
            bar.update(total=None, progress=0)
            self._status("Listing jobs…")

    @work(exclusive=True, group="backup", exit_on_error=False)
    @fails_as(BackupFailed)
    async def _run(self) -> None:
        from tuner.api.backup.run import backup

        summary = await backup(
            self.service,
            self.folder,
            profile=self.profile,
            on_progress=lambda progress: self.post_message(BackupMoved(progress)),
            cancel=self.stop,
        )
        self.post_message(BackupDone(summary))

    @on(BackupMoved)
    def _moved(self, message: BackupMoved) -> None:
        progress = message.progress
        bar = self.query_one(ProgressBar)
        if progress.total_jobs:
            bar.update(total=progress.total_jobs, progress=progress.done_jobs)
        self._status(f"{progress.current} · {format_size(progress.bytes_downloaded)} downloaded")

    @on(BackupDone)
    def _done(self, message: BackupDone) -> None:
        self.summary = message.summary  # before `running` ends: the field stays fixed
        self.running = False
        bar = self.query_one(ProgressBar)
        bar.update(total=1, progress=1 if message.summary.complete else 0)
        self._status(summary_text(message.summary) + "\nesc closes")

    @on(BackupFailed)
    def _failed(self, failed: BackupFailed) -> None:
        self.running = False
        self._status(f"Backup failed: {failed.reason}\nwhat was saved stays valid")
        self.query_one(Input).focus()  # typing another folder, or enter to retry, works at once

    def _status(self, text: str) -> None:
        self.query_one("#backup-status", Static).update(outside(text))

    def action_cancel(self) -> None:
        if self.running:
            self.stop.set()
            self._status("Stopping after the file in flight…")
            return
        self.dismiss(self.summary)
