"""`tuner.api.backup.run`: an account's fine-tuning copied into a folder, against the emulator over
a real socket with the real SDK.

What is checked is what a user relies on when the account is gone: every byte that was uploaded
(sha256 of the local file against the copy), every event in order, the checkpoints and result
files; a second run that asks the service for nothing it already has (counted by a proxy that
passes every call through to the real service); an unfinished job refreshed; a cancelled run that
leaves only whole files and is completed by the next; files the service no longer has or will
not send recorded as missing. Nothing waits a fixed time: progress reports and the emulator's
clock (`advance`) say when.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    BASE_MODEL,
    DEADLINE,
    TEST_KEY,
    CountingService,
    finish,
    open_test_service,
    open_together_service,
    write_examples,
)
from tuner.api.backup.folder import BackupError, file_name, in_thread, safe_id, safe_name
from tuner.api.backup.progress import BackupProgress
from tuner.api.backup.run import backup
from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.jobs.spec import JobSpec
from tuner.api.types import Job, JobStatus
from tuner.emulator import Emulator, Fault

# Small pages, so every listing crosses page boundaries.
PAGE = 7


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_index(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "index.json").read_text(encoding="utf-8"))


def saved_events(folder: Path, job_id: str) -> list[dict[str, Any]]:
    lines = (folder / "jobs" / job_id / "events.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def hidden_files(folder: Path) -> list[Path]:
    """Temporary files (`.NAME.XXXXXXXX.tmp`) or anything else hidden: a write left half done."""
    return [p for p in folder.rglob(".*")]


def contents(folder: Path) -> dict[str, bytes]:
    """Every saved file but the index and README (which carry the time of the run)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in ("index.json", "README.md")
    }


async def trained(
    emulator: Emulator, service: Any, folder: Path, name: str, *, validation: bool = False
) -> Job:
    """A succeeded job on `name`.jsonl (and a validation file), uploaded through the service."""
    train = await service.upload_file(write_examples(folder / f"{name}.jsonl", 20))
    valid = None
    if validation:
        valid = (await service.upload_file(write_examples(folder / f"{name}-valid.jsonl", 12))).id
    job = await service.create_job(
        JobSpec(BASE_MODEL, train.id, validation_file=valid, suffix=name)
    )
    done = await finish(emulator, service, job.id)
    assert done.status is JobStatus.SUCCEEDED
    return done


@pytest.fixture
def still() -> Iterator[Emulator]:
    """An emulator whose clock barely moves by itself: a job stays where `advance` puts it."""
    with Emulator(port=0, speed=1e-6, api_key=TEST_KEY) as emu:
        yield emu


@pytest.fixture
async def still_service(still: Emulator) -> AsyncIterator[Any]:
    opened = open_test_service(still)
    try:
        yield opened
    finally:
        await opened.close()


# -- a finished job, whole --------------------------------------------------------------------


async def test_a_finished_job_is_saved_whole(emulator: Emulator, service: Any, tmp_path: Path):
    job = await trained(emulator, service, tmp_path, "train", validation=True)
    folder = tmp_path / "backup"
    reports: list[BackupProgress] = []

    summary = await backup(
        service, folder, profile="work", on_progress=reports.append, page_size=PAGE
    )

    assert summary.complete and summary.missing == ()
    assert (summary.jobs_saved, summary.jobs_updated, summary.jobs_unchanged) == (1, 0, 0)
    assert summary.files_downloaded == 3  # training, validation, result file
    job_dir = folder / "jobs" / job.id
    assert json.loads((job_dir / "job.json").read_text()) == job.to_json()

    # Every event, oldest first, exactly as the service holds them (paged 7 at a time).
    truth = emulator.server_events(job.id)
    events = saved_events(folder, job.id)
    assert len(truth) > 3 * PAGE
    assert [e["id"] for e in events] == [e["id"] for e in truth]
    assert [e["message"] for e in events] == [e["message"] for e in truth]
    assert any(e["metrics"] for e in events)

    checkpoints = json.loads((job_dir / "checkpoints.json").read_text())
    assert [c["id"] for c in checkpoints] == [c.id for c in await service.list_checkpoints(job.id)]
    assert checkpoints

    # Every byte that was uploaded, under its id and original name.
    train_copy = folder / "files" / f"{job.training_file}__train.jsonl"
    valid_copy = folder / "files" / f"{job.validation_file}__train-valid.jsonl"
    assert sha256(train_copy.read_bytes()) == sha256((tmp_path / "train.jsonl").read_bytes())
    assert valid_copy.read_bytes() == (tmp_path / "train-valid.jsonl").read_bytes()
    (result_id,) = job.result_files
    # Not listed among training files, but named by its own name all the same.
    result_copy = folder / "files" / f"{result_id}__step_metrics.csv"
    assert result_copy.read_bytes() == await service.file_content(result_id)
    assert summary.bytes_downloaded == sum(
        p.stat().st_size for p in (train_copy, valid_copy, result_copy)
    )

    index = read_index(folder)
    assert index["complete"] is True and index["profile"] == "work"
    assert index["service"] == service.capabilities.service
    assert index["where"] == emulator.base_url
    (entry,) = index["jobs"]
    assert entry["id"] == job.id and entry["status"] == "succeeded"
    assert entry["fine_tuned_model"] == job.fine_tuned_model and entry["model"] == BASE_MODEL
    assert entry["events"] == len(truth) and entry["checkpoints"] == len(checkpoints)
    for saved in index["files"]:
        local = folder / saved["path"]
        assert saved["bytes"] == local.stat().st_size
        assert saved["sha256"] == sha256(local.read_bytes())
        assert saved["used_by"] == [job.id]
    assert {f["id"] for f in index["files"]} == {job.training_file, job.validation_file, result_id}
    result_entry = next(f for f in index["files"] if f["id"] == result_id)
    assert result_entry["filename"] == "step_metrics.csv"
    assert result_entry["purpose"] == "fine-tune-results"
    assert index["missing"] == []

    readme = (folder / "README.md").read_text()
    assert job.id in readme and f"tuner upload files/{train_copy.name}" in readme

    # Progress: totals known after listing, one closing report per job, each saved file named.
    assert reports[0].total_jobs is None and reports[-1].total_jobs == 1
    assert [r.outcome for r in reports if r.outcome] == ["saved"]
    assert {r.saved for r in reports if r.saved} >= {train_copy, job_dir / "events.jsonl"}

    # The key is nowhere in the folder.
    assert not any(TEST_KEY.encode() in p.read_bytes() for p in folder.rglob("*") if p.is_file())
    assert hidden_files(folder) == []


async def test_a_second_run_asks_only_for_the_listings(
    emulator: Emulator, service: Any, tmp_path: Path
) -> None:
    first = await trained(emulator, service, tmp_path, "first", validation=True)
    second = await trained(emulator, service, tmp_path, "second")
    folder = tmp_path / "backup"
    await backup(service, folder, page_size=PAGE)
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}
    counting = CountingService(service)

    summary = await backup(counting, folder, page_size=PAGE)

    assert set(counting.calls) == {"list_jobs", "list_files"}
    assert counting.calls["list_files"] == 1
    assert (summary.jobs_saved, summary.jobs_updated, summary.jobs_unchanged) == (0, 0, 2)
    assert (summary.files_downloaded, summary.files_already_there) == (0, 5)
    assert summary.bytes_downloaded == 0 and summary.complete
    # Nothing saved was written again (only the index and README are).
    after = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}
    rewritten = {p.name for p in before if before[p] != after[p]}
    assert rewritten == {"index.json", "README.md"}
    index = read_index(folder)
    assert {j["id"] for j in index["jobs"]} == {first.id, second.id}
    assert len(index["files"]) == 5 and index["missing"] == []


async def test_a_lost_index_is_rebuilt_from_the_files_without_downloading(
    emulator: Emulator, service: Any, tmp_path: Path
) -> None:
    job = await trained(emulator, service, tmp_path, "train")
    folder = tmp_path / "backup"
    await backup(service, folder)
    expected = read_index(folder)
    (folder / "index.json").unlink()
    (folder / "README.md").unlink()
    counting = CountingService(service)

    summary = await backup(counting, folder)

    # The result file is not listed: its name is asked again, its bytes are not.
    assert set(counting.calls) == {"list_jobs", "list_files", "retrieve_file"}
    assert summary.files_already_there == 2 and summary.jobs_unchanged == 1
    rebuilt = read_index(folder)
    assert rebuilt["jobs"] == expected["jobs"] and rebuilt["files"] == expected["files"]
    assert rebuilt["jobs"][0]["id"] == job.id


# -- an unfinished job ------------------------------------------------------------------------


async def test_an_unfinished_job_is_refreshed_reading_only_new_events(
    still: Emulator, still_service: Any, tmp_path: Path
) -> None:
    uploaded = await still_service.upload_file(write_examples(tmp_path / "train.jsonl", 20))
    job = await still_service.create_job(JobSpec(BASE_MODEL, uploaded.id, suffix="live"))
    deadline = time.monotonic() + DEADLINE
    while len(still.server_events(job.id)) < 6 * PAGE:  # running, well into its steps
        still.advance(1)
        assert time.monotonic() < deadline
    folder = tmp_path / "backup"

    summary = await backup(still_service, folder, page_size=PAGE)

    saved = json.loads((folder / "jobs" / job.id / "job.json").read_text())
    assert saved["status"] == "running" and summary.jobs_saved == 1
    assert saved_events(folder, job.id) == [
        e.to_json() for e in await _all_events(still_service, job.id)
    ]
    seen = len(saved_events(folder, job.id))

    # A few more events: the refresh reads from the newest down to the saved ones only.
    while len(still.server_events(job.id)) < seen + 3:
        still.advance(1)
        assert time.monotonic() < deadline
    assert not (await still_service.retrieve_job(job.id)).finished
    counting = CountingService(still_service)
    summary = await backup(counting, folder, page_size=PAGE)
    assert summary.jobs_updated == 1 and summary.files_already_there == 1
    events = saved_events(folder, job.id)
    assert [e["id"] for e in events] == [e["id"] for e in still.server_events(job.id)]
    assert counting.calls["list_events"] <= (len(events) - seen) // PAGE + 2
    assert counting.calls["list_events"] < len(events) // PAGE

    # Finished: refreshed once more, its result file saved; then it is left alone.
    done = await finish(still, still_service, job.id)
    summary = await backup(still_service, folder, page_size=PAGE)
    assert summary.jobs_updated == 1 and summary.files_downloaded == 1
    assert json.loads((folder / "jobs" / job.id / "job.json").read_text()) == done.to_json()
    events = saved_events(folder, job.id)
    assert [e["id"] for e in events] == [e["id"] for e in still.server_events(job.id)]
    assert len({e["id"] for e in events}) == len(events)
    assert (folder / "files" / f"{done.result_files[0]}__step_metrics.csv").is_file()
    again = await backup(still_service, folder, page_size=PAGE)
    assert again.jobs_unchanged == 1 and again.files_downloaded == 0


async def _all_events(service: Any, job_id: str) -> list[Any]:
    """The job's events oldest first, straight from the service (one big page)."""
    page = await service.list_events(job_id, limit=1000)
    assert not page.has_more
    return list(reversed(page.events))


# -- stopping part-way ------------------------------------------------------------------------


@pytest.mark.parametrize("stop_at", ["events.jsonl", "a downloaded file"])
async def test_a_cancelled_backup_leaves_whole_files_and_the_next_run_completes_it(
    emulator: Emulator, service: Any, tmp_path: Path, stop_at: str
) -> None:
    jobs = [await trained(emulator, service, tmp_path, name) for name in ("one", "two")]
    folder = tmp_path / "backup"
    stopped_after: list[Path] = []

    def cancel_once_saved(progress: BackupProgress) -> None:
        if progress.saved is None or stopped_after:
            return
        if stop_at == "events.jsonl" or progress.saved.parent.name == "files":
            stopped_after.append(progress.saved)
            task.cancel()

    task = asyncio.create_task(
        backup(service, folder, on_progress=cancel_once_saved, page_size=PAGE)
    )
    with pytest.raises(asyncio.CancelledError):
        await task

    (last,) = stopped_after
    assert last.is_file() and hidden_files(folder) == []
    index = read_index(folder)  # rewritten on the way out: says what is here, and only that
    assert index["complete"] is False
    for saved in index["files"]:
        assert sha256((folder / saved["path"]).read_bytes()) == saved["sha256"]
    for entry in index["jobs"]:
        assert (folder / entry["folder"] / "job.json").is_file()
    if stop_at == "events.jsonl":  # stopped inside the first job: it is not marked done
        assert not (last.parent / "job.json").exists() and index["jobs"] == []
    else:
        assert await service.file_content(last.name.partition("__")[0]) == last.read_bytes()

    summary = await backup(service, folder, page_size=PAGE)

    assert summary.complete and summary.missing == ()
    fresh = tmp_path / "fresh"
    await backup(service, fresh, page_size=PAGE)
    assert contents(folder) == contents(fresh)
    assert len(read_index(folder)["jobs"]) == len(jobs) and read_index(folder)["complete"]


async def test_the_cancel_event_stops_cleanly_with_a_summary(
    emulator: Emulator, service: Any, tmp_path: Path
) -> None:
    await trained(emulator, service, tmp_path, "one")
    await trained(emulator, service, tmp_path, "two")
    folder = tmp_path / "backup"
    stop = asyncio.Event()

    def stop_after_first_job(progress: BackupProgress) -> None:
        if progress.outcome is not None:
            stop.set()

    summary = await backup(service, folder, on_progress=stop_after_first_job, cancel=stop)

    assert not summary.complete and summary.jobs_saved == 1
    index = read_index(folder)
    assert index["complete"] is False and len(index["jobs"]) == 1
    assert "stopped before the end" in (folder / "README.md").read_text()
    assert hidden_files(folder) == []
    rest = await backup(service, folder)
    assert rest.complete and (rest.jobs_saved, rest.jobs_unchanged) == (1, 1)
    assert read_index(folder)["complete"] is True


async def test_a_write_under_way_ends_whole_before_a_cancellation_goes_on() -> None:
    """A thread cannot be stopped: a cancelled backup waits for the write it started, so
    nothing is written into the folder after `backup()` has raised."""
    started, release = threading.Event(), threading.Event()
    finished: list[bool] = []

    def slow_write() -> None:
        started.set()
        release.wait(DEADLINE)
        finished.append(True)

    task = asyncio.create_task(in_thread(slow_write))
    await asyncio.to_thread(started.wait, DEADLINE)
    task.cancel()
    for _ in range(10):  # let the cancellation reach the task (no time passes)
        await asyncio.sleep(0)
    assert not task.done() and finished == []
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert finished == [True]


async def test_a_copy_of_the_wrong_size_is_downloaded_again(
    emulator: Emulator, service: Any, tmp_path: Path
) -> None:
    job = await trained(emulator, service, tmp_path, "train")
    folder = tmp_path / "backup"
    await backup(service, folder)
    copy = folder / "files" / f"{job.training_file}__train.jsonl"
    copy.write_bytes(copy.read_bytes()[:-10])  # damaged after the backup

    summary = await backup(service, folder)

    assert (summary.files_downloaded, summary.files_already_there) == (1, 1)
    assert copy.read_bytes() == (tmp_path / "train.jsonl").read_bytes()
    saved = {f["id"]: f for f in read_index(folder)["files"]}
    assert saved[job.training_file]["sha256"] == sha256(copy.read_bytes())


# -- files the service will not give ----------------------------------------------------------


async def test_a_deleted_file_is_listed_as_missing_and_the_rest_is_saved(
    emulator: Emulator, service: Any, tmp_path: Path
) -> None:
    job = await trained(emulator, service, tmp_path, "train")
    assert job.training_file is not None
    await service.delete_file(job.training_file)
    folder = tmp_path / "backup"

    summary = await backup(service, folder)

    assert summary.complete and summary.jobs_saved == 1 and summary.files_downloaded == 1
    (missing,) = summary.missing
    assert missing.id == job.training_file and missing.kind == "not_found"
    assert missing.used_by == (job.id,) and "no longer has" in missing.reason
    (entry,) = read_index(folder)["missing"]
    assert entry["id"] == job.training_file and entry["used_by"] == [job.id]
    assert job.training_file in (folder / "README.md").read_text()
    assert not list((folder / "files").glob(f"{job.training_file}*"))


async def test_a_saved_copy_outlives_the_services_file(
    emulator: Emulator, service: Any, tmp_path: Path
) -> None:
    job = await trained(emulator, service, tmp_path, "train")
    assert job.training_file is not None
    folder = tmp_path / "backup"
    await backup(service, folder)
    await service.delete_file(job.training_file)  # no longer listed, so its name is unknown

    summary = await backup(service, folder)

    assert summary.missing == () and summary.files_already_there == 2
    saved = {f["id"]: f for f in read_index(folder)["files"]}
    assert saved[job.training_file]["path"] == f"files/{job.training_file}__train.jsonl"
    assert saved[job.training_file]["filename"] == "train.jsonl"


async def test_content_the_service_refuses_to_send_is_missing_with_its_reason(
    emulator: Emulator, service: Any, tmp_path: Path
) -> None:
    job = await trained(emulator, service, tmp_path, "train")
    refusal = "Not allowed to download files of purpose: fine-tune."
    emulator.faults.add(
        Fault(rf"/files/{job.training_file}/content$", status=400, message=refusal, times=5)
    )

    summary = await backup(service, tmp_path / "backup")

    (missing,) = summary.missing
    assert missing.kind == "refused" and refusal in missing.reason
    assert summary.complete and summary.files_downloaded == 1  # the result file


async def test_an_auth_failure_ends_the_backup_and_keeps_what_was_saved(
    emulator: Emulator, service: Any, tmp_path: Path
) -> None:
    job = await trained(emulator, service, tmp_path, "train")
    emulator.faults.add(Fault(rf"/files/{job.training_file}/content$", status=401))
    folder = tmp_path / "backup"

    with pytest.raises(ServiceError) as caught:
        await backup(service, folder)

    assert caught.value.kind is ErrorKind.AUTH
    index = read_index(folder)
    assert index["complete"] is False and [j["id"] for j in index["jobs"]] == [job.id]
    assert (folder / "jobs" / job.id / "events.jsonl").is_file() and hidden_files(folder) == []
    summary = await backup(service, folder)  # the key works again: completed
    assert summary.complete and summary.jobs_unchanged == 1 and summary.files_downloaded == 2


# -- jobs the service will not give ------------------------------------------------------------


async def test_a_job_whose_events_answer_404_is_not_saved_and_the_rest_is(
    emulator: Emulator, service: Any, tmp_path: Path
) -> None:
    first = await trained(emulator, service, tmp_path, "one")
    second = await trained(emulator, service, tmp_path, "two")
    emulator.faults.add(Fault(rf"/fine_tuning/jobs/{second.id}/events$", status=404, method="GET"))
    folder = tmp_path / "backup"

    summary = await backup(service, folder, page_size=PAGE)

    assert summary.complete and summary.jobs_saved == 1 and summary.missing == ()
    (unsaved,) = summary.not_saved
    assert unsaved.id == second.id and summary.jobs_not_saved == 1
    assert unsaved.reason.startswith("its events could not be read: ")
    assert (folder / "jobs" / first.id / "job.json").is_file()
    assert not (folder / "jobs" / second.id / "job.json").exists()
    index = read_index(folder)
    assert [j["id"] for j in index["jobs"]] == [first.id]
    assert index["jobs_not_saved"] == [{"id": second.id, "reason": unsaved.reason}]
    saved_files = {f["id"] for f in index["files"]}
    assert {second.training_file, first.training_file} <= saved_files  # its files all the same
    assert (
        f"- job `{second.id}`: its events could not be read" in (folder / "README.md").read_text()
    )

    again = await backup(service, folder, page_size=PAGE)  # the service answers again

    assert again.not_saved == () and again.jobs_saved == 1 and again.jobs_unchanged == 1
    assert read_index(folder)["jobs_not_saved"] == []


async def test_an_earlier_copy_of_a_job_that_cannot_be_read_now_is_kept(
    emulator: Emulator, service: Any, tmp_path: Path
) -> None:
    job = await trained(emulator, service, tmp_path, "one")
    folder = tmp_path / "backup"
    await backup(service, folder, page_size=PAGE)
    (folder / "jobs" / job.id / "checkpoints.json").unlink()  # so the next run reads it again
    emulator.faults.add(Fault(rf"/jobs/{job.id}/checkpoints", status=403, method="GET"))

    summary = await backup(service, folder, page_size=PAGE)

    (unsaved,) = summary.not_saved
    assert unsaved.reason.startswith("its checkpoints could not be read: ")
    assert [j["id"] for j in read_index(folder)["jobs"]] == [job.id]  # the copy stays listed
    assert (folder / "jobs" / job.id / "job.json").is_file()


# -- the folder -------------------------------------------------------------------------------


async def test_a_folder_that_is_a_file_or_someone_elses_is_refused(
    service: Any, tmp_path: Path
) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    with pytest.raises(BackupError, match="is a file, not a folder"):
        await backup(service, a_file)
    project = tmp_path / "project"
    project.mkdir()
    (project / "README.md").write_text("# my project\n")
    with pytest.raises(BackupError, match=r"README\.md that tuner did not write"):
        await backup(service, project)
    assert (project / "README.md").read_text() == "# my project\n"
    (project / "README.md").unlink()
    (project / "index.json").write_text('{"mine": true}')
    with pytest.raises(BackupError, match="not the index of a tuner backup"):
        await backup(service, project)
    assert (project / "index.json").read_text() == '{"mine": true}'


async def test_an_empty_account_makes_an_empty_backup(service: Any, tmp_path: Path) -> None:
    folder = tmp_path / "new" / "backup"
    summary = await backup(service, folder)
    assert summary.complete and summary.jobs_saved == 0 and summary.files_downloaded == 0
    index = read_index(folder)
    assert index["jobs"] == [] and index["files"] == [] and index["complete"] is True


def test_names_from_the_service_stay_inside_the_folder() -> None:
    assert file_name("file-abc", "train.jsonl") == "file-abc__train.jsonl"
    assert file_name("file-abc", None) == "file-abc"
    assert file_name("file-abc", "../../etc/passwd") == "file-abc__passwd"
    assert file_name("file-abc", "..") == "file-abc"
    assert safe_name("a b\tc.jsonl") == "a_b_c.jsonl"
    assert safe_name(".hidden") == "hidden"
    long = safe_name("x" * 300 + ".jsonl")
    assert len(long) <= 120 and long.endswith(".jsonl")
    assert safe_id("ftjob-abc") == "ftjob-abc"
    odd = safe_id("../ft:1/2")
    assert "/" not in odd and not odd.startswith(".") and odd != safe_id("../ft:1/3")


# -- another service --------------------------------------------------------------------------


async def test_a_together_account_is_backed_up_the_same_way(
    emulator: Emulator, tmp_path: Path
) -> None:
    service = open_together_service(emulator)
    try:
        train = write_examples(tmp_path / "train.jsonl", 20)
        uploaded = await service.upload_file(train)
        model = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
        job = await service.create_job(JobSpec(model, uploaded.id, suffix="tg"))
        done = await finish(emulator, service, job.id)
        folder = tmp_path / "backup"

        summary = await backup(service, folder, profile="tg", page_size=PAGE)

        assert summary.complete and summary.jobs_saved == 1 and summary.missing == ()
        copy = folder / "files" / f"{uploaded.id}__train.jsonl"
        assert sha256(copy.read_bytes()) == sha256(train.read_bytes())
        job_dir = folder / "jobs" / safe_id(done.id)
        # As the listing gives it (Together's list and retrieve answers differ a little).
        (listed,) = (await service.list_jobs()).jobs
        assert json.loads((job_dir / "job.json").read_text()) == listed.to_json()
        events = saved_events(folder, safe_id(done.id))
        assert [e["id"] for e in events] == [e.id for e in await _all_events(service, done.id)]
        # Together keeps metrics apart from a result file: they are saved as metrics.json.
        assert done.status is JobStatus.SUCCEEDED and done.result_files == ()
        assert json.loads((job_dir / "metrics.json").read_text())[0]["step"] == 1
        index = read_index(folder)
        assert index["service"] == "Together AI" and index["profile"] == "tg"
        counting = CountingService(service)
        again = await backup(counting, folder, page_size=PAGE)
        assert again.jobs_unchanged == 1 and set(counting.calls) == {"list_jobs", "list_files"}
    finally:
        await service.close()
