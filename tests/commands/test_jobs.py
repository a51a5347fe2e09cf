"""`tuner jobs ...` through `tuner.cli.main`: exit codes, output, JSON shapes, service faults."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest

from tests.helpers import (
    DEADLINE,
    TEST_KEY,
    end_process,
    outcome,
    read_lines_until,
    start_job,
    tuner_process,
    wait_for,
)
from tuner.api.jobs.cursors import CursorStore
from tuner.cli import main
from tuner.config import config_dir, save_api_key
from tuner.emulator import Emulator, Fault

MODEL = "gpt-4o-mini-2024-07-18"
REPO = Path(__file__).resolve().parents[2]


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


def test_cancel_a_job_and_follow_it_to_its_end(
    real_time_env: Emulator, train_file: Path, capsys
) -> None:
    code, second = run_json(
        capsys, "jobs", "create", "--model", MODEL, "--training-file", str(train_file), "--json"
    )
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
        "tuner.api.providers.openai.client.DEFAULT_MAX_RETRIES", 0
    )  # no SDK backoff wait
    assert main(["jobs"]) == 2
    err = capsys.readouterr().err
    # One line naming the URL that was tried and why it failed.
    assert err == "tuner jobs: Cannot reach http://127.0.0.1:9/v1 (connection refused)\n"


@pytest.mark.parametrize("job_id", ["..", ".", "ftjob-a/../b", "ftjob a"])
@pytest.mark.parametrize("action", ["follow", "cancel"])
def test_an_id_that_is_a_path_is_one_line_before_any_request(
    monkeypatch, capsys, action: str, job_id: str
) -> None:
    """`..` used to end in the SDK's ValueError as a traceback. Nothing listens at the URL:
    a request sent would say "Cannot reach"."""
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert main(["jobs", action, job_id]) == 2
    err = capsys.readouterr().err
    assert err == f"tuner jobs {action}: '{job_id}' is not a job id\n"


def test_a_key_with_a_line_break_is_named_not_a_dropped_connection(
    service_env: Emulator, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-\nkey")
    assert main(["jobs"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "tuner jobs: OPENAI_API_KEY (the key for profile 'default') contains a line break: "
        "set it again, without it\n"
    )


def test_a_password_in_the_base_url_is_refused_without_showing_it(
    service_env: Emulator, monkeypatch, capsys
) -> None:
    url = service_env.base_url.replace("http://", "http://me:hunter2@")
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    assert main(["jobs"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"tuner jobs: profile 'default': OPENAI_BASE_URL '{service_env.base_url}'"
    )
    assert "basic auth in place of the API key" in err and err.count("\n") == 1
    assert "hunter2" not in err and "me:" not in err


def test_a_file_url_is_refused_not_tried(monkeypatch, capsys) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", "file:///etc/passwd")
    assert main(["jobs"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "tuner jobs: OPENAI_BASE_URL 'file:///etc/passwd' must start with http:// or https://\n"
    )


def test_usage_errors_exit_2(capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["jobs", "create", "--training-file", "x"])
    assert caught.value.code == 2
    assert main(["jobs", "follow", "ftjob-x", "--interval", "0"]) == 2


# -- follow into a pipe that closes (`tuner jobs follow JOB | head -3`) -------------------------


def _read_lines(stream: IO[bytes], count: int) -> list[str]:
    """Exactly `count` lines from a pipe (see `read_lines_until`)."""
    return read_lines_until(stream, lambda lines: len(lines) >= count)


def test_follow_into_a_closed_pipe_keeps_the_cursor_on_the_last_line_shown(
    train_file: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """`tuner jobs follow JOB | head -3`: the cursor stays on the 3rd event (the last one the
    reader took), and `--resume` starts with the 4th. The emulator's clock stands still (speed
    0.001) so exactly three events exist while the pipe is open: no line 4 can slip into the
    pipe's buffer before it closes."""
    with Emulator(port=0, speed=0.001, api_key=TEST_KEY) as emu:
        monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", emu.base_url)
        job_id = asyncio.run(start_job(emu, train_file))
        emu.advance(5)  # created, validating, validated: three events
        first_three = [event["id"] for event in emu.server_events(job_id)]
        assert len(first_three) == 3
        follow = [sys.executable, "-m", "tuner", "jobs", "follow", job_id, "--interval", "0.01"]
        process = subprocess.Popen(follow, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
        try:
            lines = _read_lines(process.stdout, 3)
            # The 3rd event's cursor is saved once the follower asks for the next one.
            wait_for(lambda: CursorStore().get(job_id) == first_three[2])
            process.stdout.close()  # what `head -3` does after its third line
            emu.advance(10_000)  # the job runs to the end: the follower has more to print
            _, err = process.communicate(timeout=DEADLINE)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert process.returncode == 0, err.decode()
        assert b"Traceback" not in err and b"Exception ignored" not in err, err.decode()
        assert "Validating training file" in lines[1] and "Files validated" in lines[2]
        assert CursorStore().get(job_id) == first_three[2]

        assert main(["jobs", "follow", job_id, "--resume", "--interval", "0.01", "--json"]) == 0
        resumed = [json.loads(line)["id"] for line in capsys.readouterr().out.splitlines()]
        assert resumed == [event["id"] for event in emu.server_events(job_id)][3:]


def test_ctrl_c_during_follow_says_the_job_runs_on_and_how_to_follow_it_again(
    train_file: Path, capsys
) -> None:
    """A real SIGINT to a real `tuner jobs follow`, once it has shown three events; the command
    it prints then shows the rest, from the fourth."""
    with Emulator(port=0, speed=0.001, api_key=TEST_KEY) as emu:
        settings = f'active_profile = "work"\n[profiles.work]\nbase_url = "{emu.base_url}"\n'
        (config_dir() / "settings.toml").write_text(settings, encoding="utf-8")
        save_api_key("work", TEST_KEY)
        job_id = asyncio.run(start_job(emu, train_file))
        emu.advance(5)  # created, validating, validated: three events, then the clock stands
        shown = [event["id"] for event in emu.server_events(job_id)]
        process = tuner_process("jobs", "follow", job_id, "--interval", "0.01")
        try:
            assert process.stdout is not None
            _read_lines(process.stdout, 3)
            wait_for(lambda: CursorStore().get(job_id) == shown[2])
            process.send_signal(signal.SIGINT)
            out, err = outcome(process)
        finally:
            end_process(process)

        assert process.returncode == 130 and out == "", err
        command = f"tuner jobs follow {job_id} --profile work --resume"
        assert err == (
            f"interrupted: {job_id} keeps running on the service at 127.0.0.1; "
            f"follow it again with: {command}\n"
        )
        emu.advance(10_000)
        assert main([*command.split()[1:], "--interval", "0.01", "--json"]) == 0
        resumed = [json.loads(line)["id"] for line in capsys.readouterr().out.splitlines()]
        assert resumed == [event["id"] for event in emu.server_events(job_id)][3:]


def _unwritable_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder that cannot be created: its parent is a regular file. (Tests run as root,
    which ignores permission bits, so a read-only folder would still be written.)"""
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be\n")
    folder = blocker / "data"
    monkeypatch.setenv("TUNER_DATA_DIR", str(folder))
    return folder


def test_follow_with_an_unwritable_data_dir_prints_every_event(
    service_env: Emulator, train_file: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    job_id = asyncio.run(start_job(service_env, train_file))
    folder = _unwritable_data_dir(tmp_path, monkeypatch)
    assert main(["jobs", "follow", job_id, "--json", "--interval", "0.01"]) == 0
    out, err = capsys.readouterr()
    printed = [json.loads(line)["id"] for line in out.splitlines()]
    assert printed == [event["id"] for event in service_env.server_events(job_id)]
    warnings = [line for line in err.splitlines() if "cannot save" in line]
    assert len(warnings) == 1  # once, not once per event
    assert str(folder) in warnings[0] and "not a directory" in warnings[0]
    assert "Traceback" not in err


def test_follow_gives_up_on_an_unreachable_service(monkeypatch, capsys) -> None:
    """A typo in the base URL: `tuner jobs follow` used to retry for ever."""
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    argv = ["jobs", "follow", "ftjob-x", "--interval", "0.01", "--timeout", "0.2"]
    assert main(argv) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("tuner jobs follow: Cannot reach http://127.0.0.1:9/v1 (connection")
    assert re.search(r"; gave up after \d+\.\ds of trying$", last)
    assert main(["jobs", "follow", "ftjob-x", "--timeout", "0"]) == 2  # must be above 0


# -- retired and unknown models ------------------------------------------------------------------


def test_a_retired_model_is_refused_before_anything_is_uploaded(
    service_env: Emulator, train_file: Path, capsys
) -> None:
    argv = ["jobs", "create", "--model", "gpt-3.5-turbo-0613", "--training-file", str(train_file)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "2024-06-13" in err
    assert MODEL in err  # a model that can still be fine-tuned
    assert "closing fine-tuning" not in err
    assert service_env.state.files == {}  # nothing uploaded


def test_a_misspelt_model_is_refused_before_any_upload_with_the_one_meant(
    service_env: Emulator, train_file, capsys
) -> None:
    argv = ["jobs", "create", "--model", "gpt-4o-mni", "--training-file", str(train_file)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err  # one line, before anything else
    assert err.startswith("tuner jobs create: the service at 127.0.0.1 has no model 'gpt-4o-mni'")
    assert err.rstrip().endswith("did you mean gpt-4o-mini-2024-07-18?")
    assert "closing fine-tuning" not in err and "base_url" not in err
    assert service_env.state.files == {} and service_env.state.uploads == {}  # no upload at all
    assert service_env.state.jobs == {}


def test_an_unknown_model_the_service_refuses_is_explained_as_such(
    service_env: Emulator, train_file, monkeypatch, capsys
) -> None:
    """A model the service lists but will not fine-tune (o4-mini here) gets the service's word."""
    argv = ["jobs", "create", "--model", "o4-mini", "--training-file", str(train_file)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("tuner jobs create: o4-mini is a retired or unknown model"), err


def test_the_wind_down_refusal_keeps_its_advice(service_env: Emulator, train_file, capsys) -> None:
    service_env.faults.add(
        Fault(
            path_pattern=r"/fine_tuning/jobs$",
            method="POST",
            status=400,
            message="Fine-tuning is no longer available for new jobs on this platform.",
        )
    )
    argv = ["jobs", "create", "--model", MODEL, "--training-file", str(train_file)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "OpenAI is closing fine-tuning" in err and "base_url" in err


def test_a_missing_validation_file_is_refused_before_the_training_file_is_uploaded(
    service_env: Emulator, train_file: Path, tmp_path: Path, capsys
) -> None:
    argv = ["jobs", "create", "--model", MODEL, "--training-file", str(train_file)]
    assert main([*argv, "--validation-file", str(tmp_path / "valid.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "valid.jsonl: no such file" in err
    assert service_env.state.files == {}  # the training file was not uploaded for nothing


# -- what `jobs create` tells before the job runs ----------------------------------------------


def test_create_prints_the_estimate_and_how_to_follow(
    service_env: Emulator, train_file: Path, capsys
) -> None:
    argv = ["jobs", "create", "--model", MODEL, "--training-file", str(train_file)]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    job_id = out.split()[0]
    assert job_id.startswith("ftjob-")
    # 20 examples: the service's auto epochs are 100 // 20 = 5.
    assert re.search(r"estimate: [\d,]+ billed tokens x 5 epochs = [\d,]+ trained tokens", err)
    assert re.search(r"\$\d+\.\d\d at \$3\.00 per 1M tokens", err)
    assert f"follow with: tuner jobs follow {job_id}" in err

    argv += ["--epochs", "2", "--json"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    job = json.loads(out)  # still one JSON object: the job, now with its estimate
    estimate = job["estimate"]
    assert estimate["epochs"] == 2 and estimate["examples"] == 20
    assert estimate["trained_tokens"] == estimate["billed_tokens"] * 2
    assert estimate["price_per_1m_usd"] == 3.0 and estimate["cost_usd"] > 0
    assert err == ""  # --json keeps stderr for errors
    # The service bills what tuner counted.
    assert main(["jobs", "follow", job["id"], "--json", "--interval", "0.01"]) == 0
    capsys.readouterr()
    assert main(["jobs", "--json"]) == 0
    listed = {j["id"]: j for j in json.loads(capsys.readouterr().out)["data"]}
    assert listed[job["id"]]["trained_tokens"] == estimate["trained_tokens"]


def test_create_twice_from_a_local_file_uploads_it_once(
    service_env: Emulator, train_file: Path, capsys
) -> None:
    create = ["jobs", "create", "--model", MODEL, "--training-file", str(train_file)]
    create += ["--validation-file", str(train_file)]

    assert main(create) == 0
    first = capsys.readouterr().err.splitlines()
    assert main(create) == 0
    second = capsys.readouterr().err.splitlines()

    (uploaded,) = [line for line in first if line.startswith(f"uploaded {train_file} as ")]
    file_id = uploaded.split()[-1]
    # The validation file is the same bytes: reused at once, and so is everything the 2nd time.
    reused = [line for line in first + second if line.startswith(f"reusing {file_id} (")]
    assert len(reused) == 3 and all(
        line.endswith(f"identical) for {train_file}") for line in reused
    )
    assert not any(line.startswith("uploaded ") for line in second)
    _, listing = run_json(capsys, "jobs", "--json")
    assert {job["training_file"] for job in listing["data"]} == {file_id}

    assert main([*create, "--force-upload"]) == 0
    forced = capsys.readouterr().err.splitlines()
    assert sum(line.startswith(f"uploaded {train_file} as ") for line in forced) == 2


def test_create_from_a_file_id_has_no_estimate(service_env: Emulator, train_file, capsys):
    assert main(["upload", str(train_file), "--json"]) == 0
    file_id = json.loads(capsys.readouterr().out)["id"]
    assert main(["jobs", "create", "--model", MODEL, "--training-file", file_id]) == 0
    out, err = capsys.readouterr()
    assert "estimate" not in err and f"follow with: tuner jobs follow {out.split()[0]}" in err
    assert main(["jobs", "create", "--model", MODEL, "--training-file", file_id, "--json"]) == 0
    assert "estimate" not in json.loads(capsys.readouterr().out)


# -- a job id of another service ----------------------------------------------------------------

TOGETHER_ID = "ft-2b4f7a0c-1111-2222-3333-444455556666"


def test_a_together_job_id_on_an_openai_profile_names_the_profiles_to_try(
    service_env: Emulator, capsys
) -> None:
    from tuner.config import config_dir

    settings = '[profiles.tg]\nkind = "together"\n\n[profiles.tg2]\nkind = "together"\n'
    (config_dir() / "settings.toml").write_text(settings, encoding="utf-8")
    for action in ("follow", "cancel"):
        assert main(["jobs", action, TOGETHER_ID]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Not found (404)" in err
        assert err.rstrip().endswith(
            f"{TOGETHER_ID} looks like a Together AI job id and this profile is for OpenAI: "
            "try --profile tg or --profile tg2"
        )


def test_an_openai_job_id_on_a_together_profile_says_how_to_reach_it(
    emulator: Emulator, monkeypatch, capsys
) -> None:
    from tuner.config import config_dir

    url = emulator.together_base_url
    settings = f'active_profile = "tg"\n[profiles.tg]\nkind = "together"\nbase_url = "{url}"\n'
    (config_dir() / "settings.toml").write_text(settings, encoding="utf-8")
    monkeypatch.setenv("TOGETHER_API_KEY", TEST_KEY)
    assert main(["jobs", "follow", "ftjob-abc123"]) == 2
    err = capsys.readouterr().err
    assert "Not found (404)" in err
    assert err.rstrip().endswith(
        "ftjob-abc123 looks like an OpenAI job id and this profile is for Together AI: add an "
        "OpenAI profile (tuner settings) and use --profile NAME"
    )


def test_a_job_id_of_the_profiles_own_shape_gets_no_hint(service_env: Emulator, capsys) -> None:
    assert main(["jobs", "follow", "ftjob-nope"]) == 2
    err = capsys.readouterr().err
    assert "Not found (404)" in err and "--profile" not in err
