"""`tuner backup DIR`: copy the account's fine-tuning (every job, its events, checkpoints and files)
into DIR, so the work survives the account. Run it again to bring the copy up to date: only what
is new is fetched. Ctrl-C, SIGTERM and SIGHUP leave what was saved valid and no temporary file
behind (exit 130, 143, 129); the next run completes it, and removes the temporary files a killed
run (SIGKILL) left.

Exit 0 when everything readable was saved (a file the service no longer has, or will not send, is
reported and recorded in the index, not fatal); 1 when a listed job could not be read (its events
answer 404, say): each is named with its reason, the run goes on to the next, and it ends with a
count ("2 jobs not saved"); 2 when DIR cannot be used or the service fails.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tuner.commands._service import (
    CommandFailure,
    add_service_options,
    fail,
    print_json,
    run_service,
)
from tuner.data.durations import format_size
from tuner.data.stop_signals import Stopped, stop_signals_raise
from tuner.data.visible_text import visible_line
from tuner.data.wording import plural

if TYPE_CHECKING:
    from tuner.api.backup.progress import BackupProgress
    from tuner.api.backup.run import BackupSummary
    from tuner.api.service import FineTuningService


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "backup",
        help="copy every fine-tuning job, its events, checkpoints and files into a folder",
        description="Copy everything of the account's fine-tuning that can be read into DIR: "
        "each job (its JSON, events, checkpoints, result files) and its training and validation "
        "files, with index.json and a README. Run again to fetch only what is new.",
    )
    p.add_argument(
        "folder", type=Path, metavar="DIR", help="the backup folder (created if missing)"
    )
    add_service_options(p)
    p.set_defaults(func=run)


class JobLines:
    """One line per job as it is done (`[2/7] ftjob-abc  saved`), for a terminal's stderr."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr

    def __call__(self, progress: BackupProgress) -> None:
        if progress.outcome is None:
            return
        total = str(progress.total_jobs or 0)
        done = str(progress.done_jobs).rjust(len(total))
        line = f"[{done}/{total}] {progress.job_id}  {progress.outcome}"
        self.stream.write(visible_line(line) + "\n")
        self.stream.flush()


def summary_line(summary: BackupSummary) -> str:
    """`backed up 3 jobs (1 new, 0 updated, 2 unchanged) and 5 files (2 downloaded, 3 already
    there, 0 missing), 1.2 MB downloaded, in DIR; index: DIR/index.json`."""
    jobs = summary.jobs_saved + summary.jobs_updated + summary.jobs_unchanged
    files = summary.files_downloaded + summary.files_already_there + summary.files_missing
    head = "backed up" if summary.complete else "stopped early after backing up"
    return (
        f"{head} {plural(jobs, 'job')} ({summary.jobs_saved} new, "
        f"{summary.jobs_updated} updated, {summary.jobs_unchanged} unchanged) and "
        f"{plural(files, 'file')} ({summary.files_downloaded} downloaded, "
        f"{summary.files_already_there} already there, {summary.files_missing} missing), "
        f"{format_size(summary.bytes_downloaded)} downloaded, in {summary.folder}; "
        f"index: {summary.index}"
    )


def _profile_name(profile: str | None) -> str | None:
    """The profile the service was opened with (the active one when none was named)."""
    from tuner.config import ConfigError, load_settings, resolve_connection

    try:
        return resolve_connection(load_settings(), profile).profile_name
    except ConfigError:
        return profile


def run(args: argparse.Namespace) -> int:
    folder: Path = args.folder
    if folder.exists() and not folder.is_dir():  # said before any connection is tried
        return fail("backup", f"{folder} is a file, not a folder")

    async def work(service: FineTuningService) -> int:
        from tuner.api.backup.folder import BackupError
        from tuner.api.backup.run import backup

        show = sys.stderr.isatty() and not args.json
        try:
            summary = await backup(
                service,
                folder,
                profile=_profile_name(getattr(args, "profile", None)),
                on_progress=JobLines() if show else None,
            )
        except BackupError as exc:
            raise CommandFailure(str(exc)) from None
        code = 1 if summary.not_saved else 0
        if args.json:
            print_json(summary.to_json())
            return code
        for unsaved in summary.not_saved:
            print(f"not saved: job {visible_line(unsaved.reason_line())}", file=sys.stderr)
        for missing in summary.missing:
            name = f" ({missing.filename})" if missing.filename else ""
            used = f", used by {', '.join(missing.used_by)}" if missing.used_by else ""
            said = f"not saved: {missing.id}{name}{used}: {missing.reason}"
            print(visible_line(said), file=sys.stderr)
        print(visible_line(summary_line(summary)), flush=True)
        if summary.not_saved:
            print(
                f"tuner backup: {plural(summary.jobs_not_saved, 'job')} not saved (named above); "
                "run the same command again to try again",
                file=sys.stderr,
            )
        return code

    try:
        with stop_signals_raise():
            return run_service("backup", args, work)
    except Stopped as stop:
        return fail(
            "backup",
            f"stopped by {stop.name}; what was saved in {folder} is whole "
            "(run the same command again to complete it)",
            stop.exit_code,
        )
