"""`tuner eval`, `eval record` and `eval diff` from the shell, over HTTP with the real SDKs: the
estimate before anything is asked, the exit code as a CI gate, a golden file that outlives the
old model, and a moved copy measured against it after the old model is gone."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from tests.helpers import TEST_KEY, TrainedJob, open_together_service
from tuner.api.jobs.spec import JobSpec
from tuner.api.types import JobStatus
from tuner.cli import main
from tuner.emulator import Emulator

BASE = "gpt-4o-mini-2024-07-18"
TOGETHER_BASE = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_job_s_fine_tune_against_its_base_with_a_gate(
    trained: TrainedJob, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "eval", "--job", trained.job_id, "--yes", "--out", str(tmp_path / "a")
    )
    assert code == 0, err
    assert "estimated cost" in err and "16 requests" in err
    assert f"{BASE}@default  (baseline)" in out
    assert "vs baseline, chrf: +" in out and "significant" in out
    # The gate on the fine-tune alone passes; on both, the base misses it.
    ft = next(line for line in out.splitlines() if line.startswith("ft:"))
    code, out, err = run(
        capsys, "eval", str(trained.holdout), "--model", ft, "--min-score", "0.8", "--yes", "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["below_min_score"] == [] and data["summary"]["models"][0]["model"] == ft
    assert all(line["cached"] == line["requests"] for line in data["estimate"]["lines"])
    code, out, err = run(
        capsys, "eval", "--job", trained.job_id, "--min-score", "chrf=0.8", "--yes"
    )
    assert code == 1
    assert f"below --min-score: {BASE}@default: chrf" in err


def test_off_a_terminal_a_paid_run_needs_yes_and_max_cost_refuses(
    trained: TrainedJob, capsys: pytest.CaptureFixture[str], service_env: Emulator
) -> None:
    code, out, err = run(capsys, "eval", str(trained.holdout), "--model", BASE)
    assert code == 1 and "add --yes" in err and out == ""
    code, out, err = run(
        capsys, "eval", str(trained.holdout), "--model", "ft:" + BASE + ":x:y:z", "--max-cost",
        "0.000001", "--yes",
    )  # fmt: skip
    assert code == 1 and "above --max-cost" in err and "nothing was asked" in err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["eval"], "name the file"),
        (["eval", "x.jsonl", "--model", BASE, "--grader", "nonsense"], "unknown grader"),
        (["eval", "x.jsonl", "--model", BASE, "--min-score", "2"], "within 0..1"),
        (["eval", "x.jsonl", "--model", BASE, "--min-score", "bleu=0.5"], "not a grader of"),
        (["eval", "x.jsonl", "--model", f"{BASE}@nowhere"], "no profile named"),
        (["eval", "x.jsonl", "--model", BASE, "--concurrency", "0"], "at least 1"),
        (["eval", "diff", "a", "b"], "not a folder"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    service_env: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    words: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    line = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}
    (tmp_path / "x.jsonl").write_text(json.dumps(line) + "\n")
    code, _out, err = run(capsys, *argv)
    assert code == 2 and words in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.fixture
def two_profiles(
    trained: TrainedJob, service_env: Emulator, monkeypatch: pytest.MonkeyPatch
) -> Emulator:
    Path(os.environ["TUNER_CONFIG_DIR"], "settings.toml").write_text(
        f'[profiles.oa]\nkind = "openai"\nbase_url = "{service_env.base_url}"\n\n'
        f'[profiles.tg]\nkind = "together"\nbase_url = "{service_env.together_base_url}"\n',
        encoding="utf-8",
    )
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.setenv("TOGETHER_API_KEY", TEST_KEY)
    return service_env


async def _together_copy(emulator: Emulator, train: Path) -> str:
    service = open_together_service(emulator)
    try:
        uploaded = await service.upload_file(train)
        job = await service.create_job(JobSpec(TOGETHER_BASE, uploaded.id, suffix="copy"))
        while not job.finished:
            emulator.advance(3600)
            job = await service.retrieve_job(job.id)
        assert job.status is JobStatus.SUCCEEDED and job.fine_tuned_model
        return job.fine_tuned_model
    finally:
        await service.close()


async def _delete_model(emulator: Emulator, model: str) -> None:
    from openai import AsyncOpenAI  # the user deleting the old model (or OpenAI shutting it)

    async with AsyncOpenAI(base_url=emulator.base_url, api_key=TEST_KEY) as client:
        await client.models.delete(model)


def test_a_golden_file_outlives_the_old_model_and_measures_its_copy(
    trained: TrainedJob, two_profiles: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "eval", "--job", trained.job_id, "--profile", "oa", "--yes", "--json"
    )
    assert code == 0, err
    old = json.loads(out)["summary"]["models"][1]["model"].removesuffix("@oa")
    golden = tmp_path / "golden.jsonl"
    code, out, err = run(
        capsys, "eval", "record", str(trained.holdout), "--model", f"{old}@oa", "--out",
        str(golden), "--yes",
    )  # fmt: skip
    assert code == 0, err
    assert "recorded 16 replies" in out and "16 from the cache" in out  # already paid for
    meta = json.loads(golden.with_name("golden.meta.json").read_text())
    assert meta["model"] == old and meta["profile"] == "oa" and meta["service"]
    assert (
        meta["written"] == 16
        and meta["missing_lines"] == []
        and meta["params"] == {"temperature": 0.0}
    )
    assert main(["validate", str(golden)]) == 0  # valid training data for the next service
    capsys.readouterr()

    copy = asyncio.run(_together_copy(two_profiles, trained.train))
    asyncio.run(_delete_model(two_profiles, old))
    code, out, err = run(
        capsys, "eval", str(trained.holdout), "--model", f"{old}@oa", "--yes", "--fresh"
    )
    assert code == 2 and "cannot be asked" in err  # the old model is gone
    code, out, err = run(
        capsys, "eval", str(trained.holdout), "--model", f"{copy}@tg", "--reference", str(golden),
        "--yes", "--json", "--out", str(tmp_path / "b"),
    )  # fmt: skip
    assert code == 0, err
    chrf = json.loads(out)["summary"]["models"][0]["graders"][0]
    assert chrf["grader"] == "chrf" and chrf["mean"]["mean"] > 0.9  # the copy answers like the old

    code, out, err = run(capsys, "eval", "diff", str(tmp_path / "b"), str(tmp_path / "b"))
    assert code == 0 and "# Two runs compared" in out and "16 examples in both runs" in out
