"""`tuner backup DIR` through `tuner.cli.main`: exit codes, the summary line, `--json`, the lines on
stderr, and failures as one line (a folder that is a file, a service that cannot be reached)."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import (
    DEADLINE,
    TEST_KEY,
    end_process,
    kill_while_held,
    open_test_service,
    outcome,
    temporaries,
    train_model,
    tuner_process,
    wait_for,
    write_big_examples,
    write_examples,
    written_temporaries,
)
from tuner.cli import main
from tuner.emulator import Emulator, Fault, Hold

if TYPE_CHECKING:
    from tuner.api.types import Job


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    code = main(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else None


def trained(emulator: Emulator, path: Path, suffix: str) -> Job:
    """A succeeded job on a fresh training file at `path` (set up before the command runs)."""
    return asyncio.run(train_model(emulator, write_examples(path, 20), suffix))


def delete_file(emulator: Emulator, file_id: str) -> None:
    async def delete() -> None:
        service = open_test_service(emulator)
        try:
            await service.delete_file(file_id)
        finally:
            await service.close()

    asyncio.run(delete())


def closed_port() -> int:
    """A port nothing listens on: bound, then closed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_backup_json(service_env: Emulator, tmp_path: Path, capsys) -> None:
    job = trained(service_env, tmp_path / "train.jsonl", "cli")
    folder = tmp_path / "backup"

    code, body = run_json(capsys, "backup", str(folder), "--json")

    assert code == 0
    assert body == {
        "folder": str(folder),
        "index": str(folder / "index.json"),
        "complete": True,
        "jobs_saved": 1,
        "jobs_updated": 0,
        "jobs_unchanged": 0,
        "files_downloaded": 2,
        "files_already_there": 0,
        "files_missing": 0,
        "bytes_downloaded": body["bytes_downloaded"],
        "missing": [],
        "jobs_not_saved": [],
    }
    assert body["bytes_downloaded"] > (tmp_path / "train.jsonl").stat().st_size
    index = json.loads((folder / "index.json").read_text())
    assert index["jobs"][0]["id"] == job.id and index["profile"] == "default"

    code, again = run_json(capsys, "backup", str(folder), "--json")
    assert code == 0 and again["jobs_unchanged"] == 1 and again["files_already_there"] == 2
    assert again["files_downloaded"] == 0 and again["bytes_downloaded"] == 0


def test_backup_human_output(service_env: Emulator, tmp_path: Path, capsys) -> None:
    trained(service_env, tmp_path / "train.jsonl", "cli")
    folder = tmp_path / "backup"

    assert main(["backup", str(folder)]) == 0

    captured = capsys.readouterr()
    assert captured.err == ""  # no progress lines when stderr is not a terminal
    assert captured.out.count("\n") == 1
    assert captured.out.startswith("backed up 1 job (1 new, 0 updated, 0 unchanged) and 2 files")
    assert f"in {folder}; index: {folder / 'index.json'}" in captured.out


def test_one_progress_line_per_job_on_a_terminal(
    service_env: Emulator, tmp_path: Path, capsys, monkeypatch
) -> None:
    first = trained(service_env, tmp_path / "a.jsonl", "a")
    second = trained(service_env, tmp_path / "b.jsonl", "b")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)

    assert main(["backup", str(tmp_path / "backup")]) == 0

    lines = capsys.readouterr().err.splitlines()
    assert lines == [f"[1/2] {second.id}  saved", f"[2/2] {first.id}  saved"]


def test_a_missing_file_is_reported_and_the_exit_is_0(
    service_env: Emulator, tmp_path: Path, capsys
) -> None:
    job = trained(service_env, tmp_path / "train.jsonl", "gone")
    assert job.training_file is not None
    delete_file(service_env, job.training_file)
    folder = tmp_path / "backup"

    assert main(["backup", str(folder)]) == 0

    captured = capsys.readouterr()
    assert captured.err == (
        f"not saved: {job.training_file}, used by {job.id}: the service no longer has this file\n"
    )
    assert "1 missing" in captured.out
    code, body = run_json(capsys, "backup", str(folder), "--json")
    assert code == 0 and body["files_missing"] == 1
    assert body["missing"][0]["id"] == job.training_file
    assert body["missing"][0]["kind"] == "not_found"


def test_jobs_that_cannot_be_read_are_named_and_counted_and_the_exit_is_1(
    service_env: Emulator, tmp_path: Path, capsys
) -> None:
    jobs = [trained(service_env, tmp_path / f"{name}.jsonl", name) for name in ("a", "b", "c")]
    unreadable = sorted(job.id for job in jobs[:2])
    for job_id in unreadable:
        service_env.faults.add(Fault(rf"/fine_tuning/jobs/{job_id}/events$", status=404))
    folder = tmp_path / "backup"

    code = main(["backup", str(folder)])

    captured = capsys.readouterr()
    assert code == 1
    *named, last = captured.err.splitlines()
    assert sorted(line.split()[3].rstrip(":") for line in named) == unreadable
    assert all(" its events could not be read: " in line for line in named)
    assert last == (
        "tuner backup: 2 jobs not saved (named above); run the same command again to try again"
    )
    assert captured.out.startswith("backed up 1 job (1 new, 0 updated, 0 unchanged)")

    service_env.faults.add(Fault(rf"/fine_tuning/jobs/{unreadable[0]}/events$", status=404))
    code, body = run_json(capsys, "backup", str(folder), "--json")
    assert code == 1 and [j["id"] for j in body["jobs_not_saved"]] == unreadable[:1]
    assert body["jobs_saved"] == 1 and body["complete"] is True


def test_a_folder_that_is_a_file(service_env: Emulator, tmp_path: Path, capsys) -> None:
    target = tmp_path / "backup.tar"
    target.write_bytes(b"not a folder")

    assert main(["backup", str(target)]) == 2

    err = capsys.readouterr().err
    assert err == f"tuner backup: {target} is a file, not a folder\n"
    assert target.read_bytes() == b"not a folder"


def test_a_folder_inside_a_file(service_env: Emulator, tmp_path: Path, capsys) -> None:
    (tmp_path / "plain").write_text("x")
    assert main(["backup", str(tmp_path / "plain" / "backup")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tuner backup: ") and "Traceback" not in err


def test_an_unreachable_service_exits_2_with_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    port = closed_port()
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
    monkeypatch.setattr("tuner.api.providers.openai.client.DEFAULT_MAX_RETRIES", 0)
    folder = tmp_path / "backup"

    assert main(["backup", str(folder)]) == 2

    err = capsys.readouterr().err
    assert err == f"tuner backup: Cannot reach http://127.0.0.1:{port}/v1 (connection refused)\n"
    # Nothing was fetched, so nothing was written: not even the folder.
    assert not folder.exists()


def test_a_profile_that_cannot_be_used_makes_no_folder(tmp_path: Path, capsys) -> None:
    from tuner.config import config_dir

    settings = config_dir() / "settings.toml"
    settings.write_text('[profiles.local]\nbase_url = "file:///srv/models"\n', encoding="utf-8")
    folder = tmp_path / "backup"

    assert main(["backup", str(folder), "--profile", "local"]) == 2

    err = capsys.readouterr().err
    assert err == (
        f"tuner backup: {settings}: [profiles.local] base_url 'file:///srv/models' must start "
        "with http:// or https://\n"
    )
    assert not folder.exists()


def test_ids_that_are_paths_in_the_service_lists_are_skipped_and_listed(
    service_env: Emulator, tmp_path: Path, capsys
) -> None:
    """A service that lists a job and a file as `..`: the backup used to end in a traceback
    (the SDK's ValueError) and could never finish; both are listed as not saved instead."""
    job = trained(service_env, tmp_path / "train.jsonl", "ok")
    odd = trained(service_env, tmp_path / "odd.jsonl", "odd")
    with service_env.state.lock:
        state = service_env.state
        moved = state.jobs.pop(odd.id)
        moved.id = ".."
        state.jobs[".."] = moved
        stray = state.add_file_bytes("stray.jsonl", "fine-tune", b"{}\n")
        stray.id = "."
        state.files["."] = state.files.pop(next(k for k, v in state.files.items() if v is stray))
    folder = tmp_path / "backup"

    code, body = run_json(capsys, "backup", str(folder), "--json")

    assert code == 1 and body["complete"] is True  # a job not saved: exit 1, as any unread one
    assert body["jobs_saved"] == 1 and (folder / "jobs" / job.id / "job.json").is_file()
    unsaved = {j["id"]: j for j in body["jobs_not_saved"]}
    assert unsaved[".."]["reason"] == (
        "'..' is not a job id: the service lists it, but no request can ask for it"
    )
    missing = {m["id"]: m for m in body["missing"]}
    assert missing["."]["kind"] == "malformed_file_id" and missing["."]["filename"] == "stray.jsonl"
    # The job's files are still saved: only the id no request can name is left out.
    saved = {p.name.partition("__")[0] for p in (folder / "files").iterdir()}
    assert {odd.training_file, job.training_file} <= saved
    note = (folder / "README.md").read_text()
    assert "1 file could not be saved" in note and "1 job could not be read" in note

    assert main(["backup", str(folder)]) == 1  # and again, in words
    err = capsys.readouterr().err
    assert "not saved: job ..: '..' is not a job id" in err
    assert "not saved: . (stray.jsonl): '.' is not a file id" in err


def test_no_key_exits_2_before_anything_is_written(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "backup"
    assert main(["backup", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tuner backup: No API key") and err.count("\n") == 1
    assert not folder.exists()


def test_ctrl_c_mid_download_leaves_whole_files_and_exit_130(
    service_env: Emulator, tmp_path: Path
) -> None:
    """A real SIGINT to a real `tuner backup` process, while it waits for a file's bytes."""
    job = trained(service_env, tmp_path / "train.jsonl", "sigint")
    # The training file's bytes are held back until the process has been interrupted.
    service_env.faults.add(
        Fault(rf"/files/{job.training_file}/content$", delay=DEADLINE, method="GET")
    )
    folder = tmp_path / "backup"
    process = subprocess.Popen(
        [sys.executable, "-m", "tuner", "backup", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: len(service_env.faults) == 0 or process.poll() is not None)
        assert process.poll() is None, process.communicate()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=DEADLINE)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 130 and out == ""
    assert err == "interrupted\n"
    assert [p for p in folder.rglob(".*")] == []
    index = json.loads((folder / "index.json").read_text())
    assert index["complete"] is False and [j["id"] for j in index["jobs"]] == [job.id]
    assert not list((folder / "files").iterdir())  # the held file is not there, not even half


# -- killed or stopped mid-download --------------------------------------------------------------


def _held_backup(emulator: Emulator, tmp_path: Path) -> tuple[Job, Hold, Path, Any]:
    """A `tuner backup` process caught mid-download: its training file's bytes stop half-way
    (held until the test releases them), the first of them written to its temporary file."""
    path = write_big_examples(tmp_path / "train.jsonl")
    job = asyncio.run(train_model(emulator, path, "held"))
    hold = Hold()
    emulator.faults.add(Fault(rf"/files/{job.training_file}/content$", method="GET", hold=hold))
    folder = tmp_path / "backup"
    process = tuner_process("backup", str(folder))
    wait_for(lambda: written_temporaries(folder / "files") or process.poll() is not None)
    assert process.poll() is None, process.communicate()
    return job, hold, folder, process


def test_a_temporary_file_left_by_a_killed_backup_is_removed_by_the_next_run(
    service_env: Emulator, tmp_path: Path, capsys
) -> None:
    job, hold, folder, process = _held_backup(service_env, tmp_path)
    kill_while_held(process, hold)
    (left,) = temporaries(folder)
    assert left.parent == folder / "files" and left.name.startswith(f".{job.training_file}__")

    code, body = run_json(capsys, "backup", str(folder), "--json")

    assert code == 0 and body["complete"] is True
    assert temporaries(folder) == []
    saved = folder / "files" / f"{job.training_file}__train.jsonl"
    assert saved.read_bytes() == (tmp_path / "train.jsonl").read_bytes()  # downloaded whole


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_sigterm_or_sighup_mid_download_removes_the_temporary_file(
    service_env: Emulator, tmp_path: Path, signum: int
) -> None:
    job, hold, folder, process = _held_backup(service_env, tmp_path)
    try:
        process.send_signal(signum)
        out, err = outcome(process)
    finally:
        hold.release.set()
        end_process(process)

    name = signal.Signals(signum).name
    assert process.returncode == 128 + signum and out == ""
    assert err == (
        f"tuner backup: stopped by {name}; what was saved in {folder} is whole "
        "(run the same command again to complete it)\n"
    )
    assert temporaries(folder) == []
    index = json.loads((folder / "index.json").read_text())
    assert index["complete"] is False and [j["id"] for j in index["jobs"]] == [job.id]
