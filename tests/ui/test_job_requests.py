"""What the job screen asks of the service, checked without a screen: which controls the footer
offers, why one is refused, and what is said when the follower cannot save its place. The reads
themselves run against the emulator in test_jobs_screens.py."""

from __future__ import annotations

import errno
from pathlib import Path

from tuner.api.types import Capabilities, Job, JobStatus
from tuner.ui.screens.job_requests import CursorUnsaved, control_offered, control_problem

OPENAI = Capabilities(service="OpenAI", pause_resume=True)
TOGETHER = Capabilities(service="Together AI")


def job(status: JobStatus) -> Job:
    return Job(id="ftjob-1", model="gpt-4o-mini-2024-07-18", status=status, created_at=0)


def test_the_footer_offers_only_what_the_job_and_the_service_allow() -> None:
    running = job(JobStatus.RUNNING)
    assert control_offered("cancel", running, TOGETHER)
    assert control_offered("pause", running, OPENAI)
    assert not control_offered("pause", running, TOGETHER)  # the service cannot
    assert not control_offered("cancel", job(JobStatus.SUCCEEDED), OPENAI)  # nothing left to stop
    assert control_offered("pause", None, None)  # not loaded yet: the action says so itself


def test_a_refused_control_says_why() -> None:
    running = job(JobStatus.RUNNING)
    assert control_problem("pause", running, OPENAI) is None
    assert "pause or resume" in (control_problem("pause", running, TOGETHER) or "")
    said = control_problem("resume", running, OPENAI) or ""
    assert said.startswith("Only a paused job can be resumed")


def test_an_unsaved_place_names_the_folder_and_the_reason(tmp_path: Path) -> None:
    error = OSError(errno.EROFS, "Read-only file system", str(tmp_path / "cursors.json"))
    warning = CursorUnsaved(error).warning
    assert warning.startswith("Following goes on, but where you got to is not saved (")
    assert tmp_path.name in warning and "read-only file system" in warning
