"""`tuner jobs ...` through `tuner.cli.main`: exit codes, output, JSON shapes, service faults."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tuner.cli import main
from tuner.emulator import Emulator

MODEL = "gpt-4o-mini-2024-07-18"


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, object]:
    code = main(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else None


def test_create_follow_list_cancel(service_env: Emulator, train_file: Path, capsys) -> None:
    code, job = run_json(
        capsys,
        "jobs", "create", "--model", MODEL, "--training-file", str(train_file),
        "--suffix", "cli", "--epochs", "2", "--json",
    )  # fmt: skip
    assert code == 0
    assert job["id"].startswith("ftjob-") and job["model"] == MODEL
    assert job["method"] == "supervised" and job["hyperparameters"]["n_epochs"] == 2
    assert job["status"] == "validating_files"

    assert main(["jobs", "follow", job["id"], "--json", "--interval", "0.01"]) == 0
    lines = capsys.readouterr().out.splitlines()
    events = [json.loads(line) for line in lines]
    assert [e["id"] for e in events] == [e["id"] for e in service_env.server_events(job["id"])]
    assert {"id", "created_at", "level", "message"} <= set(events[0])

    # --resume after the end: nothing new, still success.
    assert main(["jobs", "follow", job["id"], "--resume", "--interval", "0.01"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "succeeded" in captured.err

    # Human follow prints time, level, message for the whole history.
    assert main(["jobs", "follow", job["id"], "--interval", "0.01"]) == 0
    human = capsys.readouterr().out.splitlines()
    assert len(human) == len(events) and "info" in human[0]

    code, listing = run_json(capsys, "jobs", "--json", "--limit", "5")
    assert code == 0 and listing["data"][0]["id"] == job["id"] and listing["has_more"] is False

    assert main(["jobs"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["ID", "STATUS", "MODEL", "FINE-TUNED", "MODEL", "CREATED"]
    assert job["id"] in table[1] and "succeeded" in table[1]

    code, second = run_json(
        capsys, "jobs", "create", "--model", MODEL, "--training-file", job["training_file"],
        "--json",
    )  # fmt: skip
    assert code == 0
    code, cancelled = run_json(capsys, "jobs", "cancel", second["id"], "--json")
    assert code == 0 and cancelled["status"] == "cancelled"
    assert main(["jobs", "follow", second["id"], "--interval", "0.01"]) == 1
    assert "cancelled" in capsys.readouterr().err


def test_follow_failed_job_exits_1_with_its_error(service_env, bad_train_file, capsys) -> None:
    code, job = run_json(
        capsys, "jobs", "create", "--model", MODEL, "--training-file", str(bad_train_file),
        "--force", "--json",
    )  # fmt: skip
    assert code == 0
    assert main(["jobs", "follow", job["id"], "--interval", "0.01"]) == 1
    err = capsys.readouterr().err
    assert f"job {job['id']} failed" in err and "at least 10" in err


def test_bad_suffix_is_refused_before_uploading(service_env, train_file, capsys) -> None:
    argv = ["jobs", "create", "--model", MODEL, "--training-file", str(train_file)]
    assert main([*argv, "--suffix", "a:b"]) == 2
    err = capsys.readouterr().err
    assert "suffix" in err and err.count("\n") == 1


def test_unknown_job_and_file_id(service_env, capsys) -> None:
    assert main(["jobs", "cancel", "ftjob-nope"]) == 2
    assert "Not found (404)" in capsys.readouterr().err
    argv = ["jobs", "create", "--model", MODEL, "--training-file", "file-nope"]
    assert main(argv) == 2
    assert "(400)" in capsys.readouterr().err


def test_no_key_is_one_line(service_env, monkeypatch, capsys) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    assert main(["jobs"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tuner jobs: No API key") and err.count("\n") == 1
    assert "Set OPENAI_API_KEY" in err and "****" not in err  # the hint survives the scrubber


def test_wrong_key_is_one_line(service_env, monkeypatch, capsys) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "wrong-key")
    assert main(["jobs", "--json"]) == 2
    err = capsys.readouterr().err
    assert "(401)" in err and "wrong-key" not in err and err.count("\n") == 1


def test_unknown_profile(service_env, capsys) -> None:
    assert main(["jobs", "--profile", "nope"]) == 2
    assert "no profile named 'nope'" in capsys.readouterr().err
    assert main(["jobs", "follow", "ftjob-x", "--profile", "nope"]) == 2
    assert "no profile named 'nope'" in capsys.readouterr().err


def test_unreachable_service(monkeypatch, capsys) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setattr(
        "tuner.api.openai_service.client.DEFAULT_MAX_RETRIES", 0
    )  # no SDK backoff wait
    assert main(["jobs"]) == 2
    err = capsys.readouterr().err
    assert "Cannot reach the service" in err and "Traceback" not in err


def test_usage_errors_exit_2(capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["jobs", "create", "--training-file", "x"])
    assert caught.value.code == 2
    assert main(["jobs", "follow", "ftjob-x", "--interval", "0"]) == 2
