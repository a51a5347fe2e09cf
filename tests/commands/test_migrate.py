"""`tuner migrate` through `tuner.cli.main`, against the emulator with the real SDKs: a finished
OpenAI job trained again on Together AI (and back), the plan and its costs, `--dry-run`,
`--from-backup`, `--json`, and every failure as one line with the right exit code."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    BASE_MODEL,
    TEST_KEY,
    chat_example,
    end_process,
    kill_while_held,
    open_test_service,
    open_together_service,
    outcome,
    read_lines_until,
    temporaries,
    train_model,
    tuner_process,
    wait_for,
    write_big_examples,
    write_jsonl,
    written_temporaries,
)
from tuner.api.backup.run import backup
from tuner.api.service import FineTuningService
from tuner.api.types import Job
from tuner.cli import main
from tuner.config import config_dir, save_api_key
from tuner.emulator import Emulator, Fault, Hold

LLAMA = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"


def write_settings(emulator: Emulator) -> None:
    """Two profiles on the emulator, `oa` (active) and `tg`, each with the test key saved."""
    text = (
        'active_profile = "oa"\n'
        f'[profiles.oa]\nkind = "openai"\nbase_url = "{emulator.base_url}"\n'
        f'[profiles.tg]\nkind = "together"\nbase_url = "{emulator.together_base_url}"\n'
    )
    (config_dir() / "settings.toml").write_text(text, encoding="utf-8")
    save_api_key("oa", TEST_KEY)
    save_api_key("tg", TEST_KEY)


@pytest.fixture
def profiles(emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    write_settings(emulator)
    monkeypatch.chdir(tmp_path)  # the work folder goes to ./migrate-JOB
    return emulator


def on_open_together_service(emulator: Emulator, call: Any) -> Any:
    async def ask() -> Any:
        service = open_together_service(emulator)
        try:
            return await call(service)
        finally:
            await service.close()

    return asyncio.run(ask())


def examples() -> list[dict[str, Any]]:
    """20 OpenAI examples; two hold what Together takes differently."""
    rows = [chat_example(i) for i in range(20)]
    rows[0]["messages"][1]["name"] = "ayse"
    rows[4]["messages"] += [
        {"role": "system", "content": "Count carefully."},
        {"role": "user", "content": "And 3 + 3?"},
        {"role": "assistant", "content": "6"},
    ]
    return rows


def finished_job(emulator: Emulator, path: Path, suffix: str = "shop") -> Job:
    return asyncio.run(train_model(emulator, write_jsonl(path, examples()), suffix))


def migrate(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["migrate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


# -- the headline --------------------------------------------------------------------------------


def test_a_finished_openai_job_is_trained_again_on_open_together_service(
    profiles: Emulator, tmp_path: Path, capsys
) -> None:
    job = finished_job(profiles, tmp_path / "train.jsonl")

    code, out, err = migrate(
        capsys, job.id, "--to", "tg", "--model", LLAMA, "--follow", "--interval", "0.01"
    )

    assert code == 0, err
    # The plan, then the new job and its events, on stdout; progress on stderr.
    assert f"Move {job.id} (" in out and f"to Together AI, {LLAMA}" in out
    assert "- name_dropped, line 1: removed 'name'" in out
    assert "- system_merged, line 5: several system messages were merged" in out
    assert "the job, as billed" in out and "Together AI (tuner's estimate)" in out
    assert "Carried over: method supervised; n_epochs" in out and "suffix shop" in out
    assert "Not carried: batch_size 1" in out and "learning_rate_multiplier" in out
    assert "Together AI's own price: " in err and f"reading {job.id}" in err
    new_id = next(line.split()[0] for line in out.splitlines() if line.startswith("ft-"))
    assert "Job finished" in out and f"Job {new_id} succeeded" in err
    # Trained on the same examples, after the changes said above.
    new = on_open_together_service(profiles, lambda s: s.retrieve_job(new_id))
    assert new.status.value == "succeeded" and new.model == LLAMA
    content = on_open_together_service(profiles, lambda s: s.file_content(new.training_file))
    trained = [json.loads(line)["messages"] for line in content.decode().splitlines()]
    expected = [row["messages"] for row in examples()]
    del expected[0][1]["name"]  # name_dropped
    system, user, reply, _late_system, user2, reply2 = expected[4]
    system = {**system, "content": system["content"] + "\n\nCount carefully."}
    expected[4] = [system, user, reply, user2, reply2]  # system_merged
    assert trained == expected
    # The work folder keeps the download and the converted file.
    work = tmp_path / f"migrate-{job.id}"
    assert sorted(p.name for p in work.iterdir()) == [
        f"{job.training_file}__train.jsonl",
        f"{job.training_file}__train.together.jsonl",
    ]
    assert TEST_KEY not in out + err


def test_dry_run_sends_nothing_to_the_target(profiles: Emulator, tmp_path: Path, capsys) -> None:
    job = finished_job(profiles, tmp_path / "train.jsonl")

    code, out, err = migrate(capsys, job.id, "--to", "tg", "--model", LLAMA, "--dry-run")

    assert code == 0, err
    assert "Cost:" in out and "Together AI's own price: asked once the files are uploaded" in out
    assert err.endswith("dry run: nothing was sent to Together AI\n")
    assert on_open_together_service(profiles, lambda s: s.list_files()) == []
    assert on_open_together_service(profiles, lambda s: s.list_jobs()).jobs == ()
    assert (tmp_path / f"migrate-{job.id}" / f"{job.training_file}__train.together.jsonl").exists()


def test_json_is_one_object(profiles: Emulator, tmp_path: Path, capsys) -> None:
    job = finished_job(profiles, tmp_path / "train.jsonl")

    code, out, err = migrate(capsys, job.id, "--to", "tg", "--model", LLAMA, "--json")

    assert code == 0 and err == ""
    body = json.loads(out)
    assert body["source_job"]["id"] == job.id and body["dry_run"] is False
    assert body["source"]["profile"] == "oa" and body["target"]["profile"] == "tg"
    (planned,) = body["files"]
    assert planned["original"]["from"] == "downloaded" and planned["original"]["examples"] == 20
    assert planned["converted"]["examples"] == 20 and len(planned["converted"]["sha256"]) == 64
    assert Path(planned["converted"]["path"]).is_file()
    assert body["target_files"]["training"].startswith("file-")
    assert body["job"]["id"].startswith("ft-") and body["job"]["model"] == LLAMA
    assert [(c["code"], c["lines"], c["count"]) for c in body["changes"]] == [
        ("name_dropped", [1], 1),
        ("system_merged", [5], 1),
    ]
    estimates = body["estimates"]
    assert estimates["source"]["basis"] == "billed" and estimates["target"]["basis"] == "estimate"
    assert estimates["target_service"]["allowed"] is True
    names = {s["name"] for s in body["hyperparameters"]["not_carried"]}
    assert names == {"batch_size", "learning_rate_multiplier"}

    code, out, _ = migrate(capsys, job.id, "--to", "tg", "--model", LLAMA, "--json", "--dry-run")
    dry = json.loads(out)
    assert code == 0 and dry["dry_run"] is True and dry["job"] is None


def test_json_with_follow_prints_one_object_with_the_final_job(
    profiles: Emulator, tmp_path: Path, capsys
) -> None:
    job = finished_job(profiles, tmp_path / "train.jsonl")

    code, out, err = migrate(
        capsys, job.id, "--to", "tg", "--model", LLAMA, "--json", "--follow", "--interval", "0.01"
    )

    assert code == 0 and err == ""
    body = json.loads(out)  # one object: no event lines before it
    assert body["job"]["status"] == "succeeded" and body["job"]["fine_tuned_model"]


def test_from_backup_uses_the_backup_s_copy(profiles: Emulator, tmp_path: Path, capsys) -> None:
    job = finished_job(profiles, tmp_path / "train.jsonl")
    folder = tmp_path / "backup"

    async def make_backup() -> None:
        service = open_test_service(profiles)
        try:
            await backup(service, folder)
        finally:
            await service.close()

    asyncio.run(make_backup())
    profiles.faults.add(Fault(rf"/files/{job.training_file}/content$", status=400, times=5))

    code, out, err = migrate(
        capsys, job.id, "--to", "tg", "--model", LLAMA, "--from-backup", str(folder), "--dry-run"
    )

    assert code == 0, err
    copy = folder / "files" / f"{job.training_file}__train.jsonl"
    assert f"the backup's copy {copy}" in out
    assert len(profiles.faults) == 1  # the refusing download was never asked for


# -- failures ------------------------------------------------------------------------------------


def test_a_refused_download_is_one_line_with_the_way_round(
    profiles: Emulator, tmp_path: Path, capsys
) -> None:
    job = finished_job(profiles, tmp_path / "train.jsonl")
    refusal = "Not allowed to download files of purpose: fine-tune."
    profiles.faults.add(
        Fault(rf"/files/{job.training_file}/content$", status=400, message=refusal, times=5)
    )

    code, _, err = migrate(capsys, job.id, "--to", "tg", "--model", LLAMA, "--json")

    assert code == 2
    line = one_line(err)
    assert line.startswith("tuner migrate: the service at 127.0.0.1 will not send the training")
    assert refusal in line and "--from-backup DIR" in line and "--training-file PATH" in line

    code, out, err = migrate(
        capsys,
        job.id,
        "--to",
        "tg",
        "--model",
        LLAMA,
        "--training-file",
        str(tmp_path / "train.jsonl"),
        "--dry-run",
    )
    assert code == 0 and f"your copy {tmp_path / 'train.jsonl'}" in out


def test_an_unknown_profile_is_one_line(profiles: Emulator, capsys) -> None:
    code, out, err = migrate(capsys, "ftjob-x", "--to", "nowhere", "--model", LLAMA)
    assert code == 2 and out == ""
    assert one_line(err) == "tuner migrate: no profile named 'nowhere' (profiles: oa, tg)"


@pytest.mark.parametrize("job_id", ["..", "../../elsewhere"])
def test_a_job_id_that_is_a_path_is_one_line_and_makes_nothing(
    profiles: Emulator, tmp_path: Path, capsys, job_id: str
) -> None:
    code, out, err = migrate(capsys, job_id, "--to", "tg", "--model", LLAMA)
    assert code == 2 and out == ""
    assert one_line(err) == f"tuner migrate: '{job_id}' is not a job id"
    assert list(tmp_path.iterdir()) == []  # no work folder, here or above


def test_a_job_of_the_other_service_is_not_found_with_the_profile_to_use(
    profiles: Emulator, capsys
) -> None:
    together_id = "ft-2b4f7a0c-1111-2222-3333-444455556666"
    code, out, err = migrate(capsys, together_id, "--profile", "oa", "--to", "tg", "--model", LLAMA)
    assert code == 2 and out == ""
    line = err.strip().splitlines()[-1]  # after "reading JOB on oa · ..."
    assert line.startswith("tuner migrate: Not found (404)")
    assert line.endswith(
        f"{together_id} looks like a Together AI job id and this profile is for OpenAI: "
        "try --profile tg"
    )


def test_a_target_refusal_is_one_line(profiles: Emulator, tmp_path: Path, capsys) -> None:
    job = finished_job(profiles, tmp_path / "train.jsonl")
    profiles.faults.add(
        Fault(r"/fine-tunes$", status=400, method="POST", message="No capacity for this model.")
    )

    code, out, err = migrate(capsys, job.id, "--to", "tg", "--model", LLAMA, "--json")

    assert code == 2 and out == ""
    assert one_line(err).startswith("tuner migrate: ") and "No capacity for this model" in err


def test_an_unknown_base_model_is_refused_before_anything(
    profiles: Emulator, tmp_path: Path, capsys
) -> None:
    job = finished_job(profiles, tmp_path / "train.jsonl")
    code, _, err = migrate(capsys, job.id, "--to", "tg", "--model", "nobody/none", "--json")
    assert code == 2 and "Together does not fine-tune nobody/none" in one_line(err)
    assert not (tmp_path / f"migrate-{job.id}").exists()


def test_a_followed_job_that_is_cancelled_exits_1(
    still_profiles: Emulator, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tuner.api.migrate import move as migrate_api

    # The clock stands still: the new job cannot finish before it is cancelled.
    job = finished_job(still_profiles, tmp_path / "train.jsonl")
    real = migrate_api.run_migration

    async def run_then_cancel(plan: Any, target: Any, **kwargs: Any) -> Any:
        result = await real(plan, target, **kwargs)
        await target.cancel_job(result.job.id)  # someone cancels it as soon as it exists
        still_profiles.advance(3600)  # and the cancellation goes through
        return result

    monkeypatch.setattr(migrate_api, "run_migration", run_then_cancel)

    code, _, err = migrate(
        capsys, job.id, "--to", "tg", "--model", LLAMA, "--follow", "--interval", "0.01"
    )

    assert code == 1
    last = err.strip().splitlines()[-1]
    assert last.startswith("job ft-") and last.endswith("cancelled")


# -- Together AI to OpenAI -----------------------------------------------------------------------


@pytest.fixture
def both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    with Emulator(port=0, speed=500, api_key=TEST_KEY) as emu:
        write_settings(emu)
        monkeypatch.chdir(tmp_path)
        yield emu


def test_together_to_openai(both: Emulator, tmp_path: Path, capsys) -> None:
    from tuner.api.jobs.spec import JobSpec

    lines = [{"prompt": f"What is {i} + {i}?", "completion": str(2 * i)} for i in range(12)]
    path = write_jsonl(tmp_path / "instructions.jsonl", lines)

    async def start(service: FineTuningService) -> str:
        uploaded = await service.upload_file(path)
        return (await service.create_job(JobSpec(LLAMA, uploaded.id, suffix="sums"))).id

    job_id = on_open_together_service(both, start)
    both.advance(3600)

    code, out, err = migrate(
        capsys,
        job_id,
        "--profile",
        "tg",
        "--to",
        "oa",
        "--model",
        BASE_MODEL,
        "--follow",
        "--interval",
        "0.01",
    )

    assert code == 0, err
    assert "- instruction_to_messages, lines 1, 2, 3, 4, 5 and 7 more:" in out
    # The source named as the title names its profile: profile, service, host.
    source = f"tg · Together AI · {both.together_base_url.split('//')[1].split('/')[0]}"
    assert f"{source} (tuner's estimate)" in out or f"{source} (the job, as billed)" in out
    assert "Note: OpenAI stops taking new fine-tuning jobs on 2027-01-06" in out
    assert "Not carried: learning_rate" in out and "lora" in out


def test_data_still_breaking_the_target_s_rules_exits_1_with_its_problems(
    both: Emulator, tmp_path: Path, capsys
) -> None:
    from tuner.api.jobs.spec import JobSpec

    lines = [{"prompt": f"{i}?", "completion": str(i)} for i in range(5)]
    path = write_jsonl(tmp_path / "few.jsonl", lines)

    async def start(service: FineTuningService) -> str:
        uploaded = await service.upload_file(path)
        return (await service.create_job(JobSpec(LLAMA, uploaded.id))).id

    job_id = on_open_together_service(both, start)

    code, out, err = migrate(
        capsys, job_id, "--profile", "tg", "--to", "oa", "--model", BASE_MODEL, "--json"
    )

    assert code == 1 and out == ""
    first, *rest = err.splitlines()
    assert first.startswith("tuner migrate: ") and "breaks OpenAI's rules even after" in first
    assert any("needs at least 10" in line for line in rest)
    assert rest[-2:] == [
        "  changes made before the check:",
        "    instruction_to_messages, lines 1, 2, 3, 4, 5: instruction examples ('prompt' and "
        "'completion') became a user message and an assistant reply: OpenAI trains chat models "
        "on conversations only",
    ]


# -- killed or stopped mid-download --------------------------------------------------------------


def _held_migration(emulator: Emulator, tmp_path: Path) -> tuple[Job, Hold, Path, Any]:
    """A `tuner migrate` process caught while it downloads the job's training file (the bytes
    stop half-way until the test releases them), the first of them in its temporary file."""
    path = write_big_examples(tmp_path / "train.jsonl")
    job = asyncio.run(train_model(emulator, path, "held"))
    hold = Hold()
    emulator.faults.add(Fault(rf"/files/{job.training_file}/content$", method="GET", hold=hold))
    work = tmp_path / "work"
    process = tuner_process(
        "migrate", job.id, "--to", "tg", "--model", LLAMA, "--work-dir", str(work)
    )
    wait_for(lambda: written_temporaries(work) or process.poll() is not None)
    assert process.poll() is None, process.communicate()
    return job, hold, work, process


def test_a_temporary_file_left_by_a_killed_migrate_is_removed_by_the_next_run(
    profiles: Emulator, tmp_path: Path, capsys
) -> None:
    job, hold, work, process = _held_migration(profiles, tmp_path)
    kill_while_held(process, hold)
    assert len(temporaries(work)) == 1

    code, out, err = migrate(
        capsys, job.id, "--to", "tg", "--model", LLAMA, "--work-dir", str(work), "--dry-run"
    )

    assert code == 0, err
    assert temporaries(work) == []
    assert f"downloaded to {job.training_file}__train.jsonl" in out  # not the half file
    saved = work / f"{job.training_file}__train.jsonl"
    assert saved.read_bytes() == (tmp_path / "train.jsonl").read_bytes()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_sigterm_or_sighup_mid_download_removes_the_temporary_file(
    profiles: Emulator, tmp_path: Path, signum: int
) -> None:
    _, hold, work, process = _held_migration(profiles, tmp_path)
    try:
        process.send_signal(signum)
        _, err = outcome(process)
    finally:
        hold.release.set()
        end_process(process)

    name = signal.Signals(signum).name
    assert process.returncode == 128 + signum
    assert err.splitlines()[-1] == (
        f"tuner migrate: stopped by {name}; nothing half made was left (run the same command "
        "again to continue)"
    )
    assert temporaries(work) == [] and list(work.iterdir()) == []


# -- ctrl-c while the new job is followed --------------------------------------------------------


@pytest.fixture
def still_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """The two profiles on an emulator whose clock barely moves: a new job stays running."""
    with Emulator(port=0, speed=0.001, api_key=TEST_KEY) as emu:
        write_settings(emu)
        monkeypatch.chdir(tmp_path)
        yield emu


def test_ctrl_c_while_following_says_the_job_runs_on_and_how_to_follow_it_again(
    still_profiles: Emulator, tmp_path: Path
) -> None:
    job = finished_job(still_profiles, tmp_path / "train.jsonl")
    process = tuner_process(
        "migrate", job.id, "--to", "tg", "--model", LLAMA, "--follow", "--interval", "0.01"
    )
    try:
        assert process.stdout is not None

        def an_event_after_the_job_line(lines: list[str]) -> bool:
            made = [n for n, line in enumerate(lines) if line.startswith("ft-")]
            return bool(made) and len(lines) > made[0] + 1

        lines = read_lines_until(process.stdout, an_event_after_the_job_line)
        process.send_signal(signal.SIGINT)
        _, err = outcome(process)
    finally:
        end_process(process)

    new_id = next(line.split()[0] for line in lines if line.startswith("ft-"))
    assert "Fine tune request created" in lines[-1]
    assert process.returncode == 130, err
    assert err.splitlines()[-1] == (
        f"interrupted: {new_id} keeps running on Together AI; follow it again with: "
        f"tuner jobs follow {new_id} --profile tg --resume"
    )
    new = on_open_together_service(still_profiles, lambda s: s.retrieve_job(new_id))
    assert not new.finished


# -- running the same move again ------------------------------------------------------------------


def together_jobs(emulator: Emulator) -> list[str]:
    return sorted(emulator.together.state.jobs)


def together_files(emulator: Emulator) -> list[str]:
    return [f.id for f in on_open_together_service(emulator, lambda s: s.list_files())]


def test_running_the_same_move_again_finds_its_job_instead_of_making_another(
    profiles: Emulator, tmp_path: Path, capsys
) -> None:
    job = finished_job(profiles, tmp_path / "train.jsonl")
    move = [job.id, "--to", "tg", "--model", LLAMA]

    code, out, err = migrate(capsys, *move)
    assert code == 0, err
    (made,) = together_jobs(profiles)
    assert f"{made}  " in out and "found" not in err

    code, out, err = migrate(capsys, *move, "--follow", "--interval", "0.01")

    assert code == 0, err
    assert together_jobs(profiles) == [made] and len(together_files(profiles)) == 1
    (job_line,) = [line for line in out.splitlines() if line.startswith("ft-")]
    assert job_line.startswith(f"{made}  ")  # reported as a new job is, in the same line
    found = [line for line in err.splitlines() if line.startswith("found ")]
    assert len(found) == 1 and found[0].startswith(
        f"found {made}, made by an earlier move of {job.id} to tg on "
    )
    assert found[0].endswith(": not made again (--again makes another)")
    assert "Job finished" in out and f"Job {made} succeeded" in err  # followed, as a new one is
    assert "own price" not in err  # nothing asked of the target's prices: nothing is bought

    code, out, _ = migrate(capsys, *move, "--json")
    body = json.loads(out)
    assert code == 0 and body["found"] is True and body["job"]["id"] == made
    assert body["target_files"]["training"] == together_files(profiles)[0]

    code, out, err = migrate(capsys, *move, "--again")
    assert code == 0, err
    (again,) = set(together_jobs(profiles)) - {made}
    assert f"{again}  " in out and len(together_files(profiles)) == 1  # the file reused
    assert "reusing file-" in err and "found" not in err
    code, out, err = migrate(capsys, *move)
    assert code == 0 and f"found {again}, made by an earlier move" in err  # the newest


def test_a_job_the_target_no_longer_has_is_made_again_and_said_so(
    profiles: Emulator, tmp_path: Path, capsys
) -> None:
    job = finished_job(profiles, tmp_path / "train.jsonl")
    move = [job.id, "--to", "tg", "--model", LLAMA]
    assert migrate(capsys, *move)[0] == 0
    (gone,) = together_jobs(profiles)
    # The target answers 404 for it, as a service does for a job it deleted.
    profiles.faults.add(Fault(rf"/fine-tunes/{gone}$", method="GET", status=404))

    code, out, err = migrate(capsys, *move)

    assert code == 0, err
    (made,) = set(together_jobs(profiles)) - {gone}
    assert f"{gone}, made by an earlier move, is gone from Together AI: made {made} instead" in err
    assert out.splitlines()[-1].startswith(f"{made}  ")


def test_a_move_stopped_after_its_upload_goes_on_from_the_uploaded_file(
    profiles: Emulator, tmp_path: Path, capsys
) -> None:
    job = finished_job(profiles, tmp_path / "train.jsonl")
    move = [job.id, "--to", "tg", "--model", LLAMA]
    profiles.faults.add(Fault(r"/fine-tunes$", status=400, method="POST", message="Not now."))

    code, _, err = migrate(capsys, *move)
    assert code == 2 and "Not now." in err
    (uploaded,) = together_files(profiles)
    assert together_jobs(profiles) == []

    code, _, err = migrate(capsys, *move)

    assert code == 0, err
    assert together_files(profiles) == [uploaded]
    assert f"reusing {uploaded} (uploaded " in err and "identical) for" in err
    (made,) = together_jobs(profiles)
    assert profiles.together.state.jobs[made].spec.training_file == uploaded


def test_to_the_job_s_own_account_is_refused_unless_again(
    profiles: Emulator, tmp_path: Path, capsys
) -> None:
    job = finished_job(profiles, tmp_path / "train.jsonl")
    settings = config_dir() / "settings.toml"
    copy = f'[profiles.oa2]\nkind = "openai"\nbase_url = "{profiles.base_url}"\n'
    settings.write_text(settings.read_text() + copy, encoding="utf-8")
    save_api_key("oa2", TEST_KEY)  # another name for the same account

    for to in ("oa", "oa2"):
        code, out, err = migrate(capsys, job.id, "--to", to, "--model", BASE_MODEL)
        assert code == 2 and out == ""
        assert one_line(err) == (
            f"tuner migrate: --to {to} is the job's own account (profile oa): a move there would "
            "train a second copy of the job beside it; add --again to do that on purpose"
        )
    code, out, err = migrate(
        capsys, job.id, "--to", "oa2", "--model", BASE_MODEL, "--again", "--dry-run"
    )
    assert code == 0 and f"Move {job.id}" in out
