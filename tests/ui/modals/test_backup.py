"""The backup dialog of the jobs screen: it runs the real backup with the app's service."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Input, ProgressBar

from tests.helpers import host_app, open_test_service, train_model, wait_until
from tuner.data.fit_text import short_path
from tuner.emulator import Emulator
from tuner.ui.modals.backup import BackupModal


async def test_backs_up_into_the_folder_typed_and_says_what_it_saved(
    emulator: Emulator, train_file: Path, tmp_path: Path
) -> None:
    job = await train_model(emulator, train_file, "bot")
    service = open_test_service(emulator)
    app = host_app()
    folder = tmp_path / "kept"
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            modal = BackupModal(service, tmp_path / "default", "work")
            app.push_screen(modal, app.results.append)
            await pilot.pause()
            modal.query_one(Input).value = str(folder)
            await pilot.press("enter")
            await wait_until(pilot, lambda: modal.summary is not None)
            status = str(modal.query_one("#backup-status").render())
            assert "Backup complete: 1 job (1 new, 0 updated)" in status
            assert f"in {short_path(folder)}" in status  # the folder's start and name kept
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.results)
        index = json.loads((folder / "index.json").read_text())
        assert [saved["id"] for saved in index["jobs"]] == [job.id]
        copies = list((folder / "files").iterdir())
        assert any(copy.read_bytes() == train_file.read_bytes() for copy in copies)
    finally:
        await service.close()


async def test_a_failure_is_said_and_the_dialog_stays(tmp_path: Path) -> None:
    from tuner.api.open import open_service
    from tuner.config import Connection, Secret

    closed = Connection(
        profile_name="x", base_url="http://127.0.0.1:9/v1", api_key=Secret("test-key")
    )
    service = open_service(closed).without_retries()
    app = host_app()
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            modal = BackupModal(service, tmp_path / "b", "x")
            app.push_screen(modal)
            await pilot.pause()
            await pilot.press("enter")
            await wait_until(
                pilot, lambda: "Backup failed" in str(modal.query_one("#backup-status").render())
            )
            assert "Cannot reach" in str(modal.query_one("#backup-status").render())
            assert not modal.query_one(Input).disabled  # another folder or a retry
            assert app.focused is modal.query_one(Input)  # typed into at once
    finally:
        await service.close()


async def test_escape_stops_a_running_backup_at_the_next_file_then_closes(
    emulator: Emulator, train_file: Path, tmp_path: Path
) -> None:
    from tuner.emulator import Fault, Hold

    await train_model(emulator, train_file, "bot")
    service = open_test_service(emulator)
    app = host_app()
    hold = Hold()
    emulator.faults.add(Fault(r"/files/[^/]+/content", hold=hold))
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            modal = BackupModal(service, tmp_path / "kept", "work")
            app.push_screen(modal, app.results.append)
            await pilot.pause()
            await pilot.press("enter")
            await wait_until(pilot, hold.reached.is_set)  # a file half downloaded
            assert modal.running and modal.query_one(Input).disabled
            assert modal.query_one(ProgressBar).display
            await pilot.press("escape")  # stops, does not close
            status = modal.query_one("#backup-status")
            assert "Stopping after the file in flight" in str(status.render())
            assert app.screen is modal
            hold.release.set()
            await wait_until(pilot, lambda: modal.summary is not None)
            assert "Backup stopped (run it again to finish)" in str(status.render())
            assert not modal.running and modal.query_one(Input).disabled  # esc closes now
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.results)
        assert app.results == [modal.summary] and not modal.summary.complete
    finally:
        await service.close()


def test_the_summary_counts_in_words() -> None:
    from tuner.api.backup.index import MissingFile
    from tuner.api.backup.run import BackupSummary
    from tuner.ui.modals.backup import summary_text

    missing = MissingFile.__new__(MissingFile)  # only counted here
    summary = BackupSummary(Path("kept"), Path("kept/index.json"), 2, 0, 1, 1, 0, 2048, (missing,))
    text = summary_text(summary)
    assert "3 jobs (2 new, 0 updated), 1 file downloaded (2.0 KB)" in text
    assert "1 file the service no longer sends" in text


def test_the_summary_says_how_many_jobs_could_not_be_read() -> None:
    from tuner.api.backup.index import UnsavedJob
    from tuner.api.backup.run import BackupSummary
    from tuner.ui.modals.backup import summary_text

    unread = tuple(UnsavedJob(f"ftjob-{n}", "its events could not be read") for n in range(2))
    summary = BackupSummary(
        Path("kept"), Path("kept/index.json"), 1, 0, 0, 1, 0, 9, (), True, unread
    )
    assert "2 jobs could not be read: see index.json" in summary_text(summary)
