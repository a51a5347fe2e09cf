"""The tutorial's headless loop on each kind of profile, chosen with `--profile`: upload, create,
follow, chat. The official SDKs over HTTP against the one emulator, which serves OpenAI under
/v1, Azure's v1 API under /openai/v1 and Together under /together/v1."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.helpers import TEST_KEY, write_examples
from tuner.cli import main
from tuner.emulator import Emulator

TOGETHER_BASE = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
OPENAI_BASE = "gpt-4o-mini-2024-07-18"


@pytest.fixture
def profiles(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """Three profiles on the emulator, keys from each service's own variable."""
    endpoint = emulator.base_url.removesuffix("/v1")
    Path(os.environ["TUNER_CONFIG_DIR"], "settings.toml").write_text(
        f"""
active_profile = "oa"

[profiles.oa]
kind = "openai"
base_url = "{emulator.base_url}"

[profiles.az]
kind = "azure"
azure_endpoint = "{endpoint}"
api_version = "v1"

[profiles.tg]
kind = "together"
base_url = "{emulator.together_base_url}"
""",
        encoding="utf-8",
    )
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", TEST_KEY)
    monkeypatch.setenv("TOGETHER_API_KEY", TEST_KEY)
    return emulator


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("profile", "model", "service_estimate"),
    [("oa", OPENAI_BASE, False), ("az", OPENAI_BASE, False), ("tg", TOGETHER_BASE, True)],
)
def test_upload_create_follow_chat_with_each_kind(
    profiles: Emulator,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    profile: str,
    model: str,
    service_estimate: bool,
) -> None:
    train = write_examples(tmp_path / "train.jsonl", 20)
    code, out, err = run(capsys, "upload", str(train), "--profile", profile, "--json")
    assert code == 0, err
    file_id = json.loads(out)["id"]

    code, out, err = run(
        capsys,
        "jobs", "create", "--model", model, "--training-file", file_id, "--profile", profile,
        "--epochs", "2", "--suffix", "bot",
    )  # fmt: skip
    assert code == 0, err
    job_id = out.split()[0]
    assert f"tuner jobs follow {job_id}" in err
    assert ("own estimate: $" in err) is service_estimate

    code, out, err = run(capsys, "jobs", "follow", job_id, "--profile", profile)
    assert code == 0, err
    finished = err.strip().splitlines()[-1]
    assert finished.startswith(f"Job {job_id} succeeded")
    if profile == "az":  # Azure serves the model only through a deployment
        assert "deploy" in finished

    code, out, _ = run(capsys, "jobs", "--profile", profile, "--json")
    listed = json.loads(out)["data"]
    made = next(job for job in listed if job["id"] == job_id)["fine_tuned_model"]
    chat_model = made
    if profile == "az":
        chat_model = profiles.deploy(made, "bot-deployment")
    prompts = tmp_path / "metin.txt"
    prompts.write_text("hello\nand again\n", encoding="utf-8")
    code, out, err = run(
        capsys, "chat", "--model", chat_model, "--replay", str(prompts), "--profile", profile
    )
    assert code == 0, err
    assert "2 of 2 lines answered" in err
    assert TEST_KEY not in out + err


def test_together_options_are_refused_on_openai_before_anything_is_sent(
    profiles: Emulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    train = write_examples(tmp_path / "train.jsonl", 20)
    code, _, err = run(
        capsys,
        "jobs", "create", "--model", OPENAI_BASE, "--training-file", str(train), "--lora",
        "--profile", "oa",
    )  # fmt: skip
    assert code == 2 and "--lora" in err and "OpenAI" not in err.split(":", 1)[0]
    assert "choose between LoRA and full" in err
    code, _, err = run(
        capsys,
        "jobs", "create", "--model", TOGETHER_BASE, "--training-file", str(train),
        "--learning-rate-multiplier", "2", "--profile", "tg",
    )  # fmt: skip
    assert code == 2 and "absolute learning rate" in err
    with profiles.together.state.lock:
        assert not profiles.together.state.files  # nothing was uploaded


def test_together_takes_its_own_knobs(
    profiles: Emulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    train = write_examples(tmp_path / "train.jsonl", 20)
    code, out, err = run(
        capsys,
        "jobs", "create", "--model", TOGETHER_BASE, "--training-file", str(train), "--full",
        "--learning-rate", "0.00002", "--profile", "tg", "--json",
    )  # fmt: skip
    assert code == 0, err
    shown = json.loads(out)
    assert shown["service_estimate"]["dollars"] > 0
    assert shown["estimate"]["billed_tokens"] > 0  # tuner's own count beside the service's
    with profiles.together.state.lock:
        sent = profiles.together.state.jobs[shown["id"]].spec
    assert sent.training_type["type"] == "Full" and sent.learning_rate == 2e-5


def test_a_price_together_refuses_stops_before_the_job_and_keeps_the_upload(
    profiles: Emulator,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The emulator's account limit set to nothing: Together prices the job and says no."""
    from tuner.emulator.together import catalog

    monkeypatch.setattr(catalog, "USER_LIMIT_DOLLARS", 0.0)
    train = write_examples(tmp_path / "train.jsonl", 20)
    code, _, err = run(
        capsys,
        "jobs", "create", "--model", TOGETHER_BASE, "--training-file", str(train),
        "--profile", "tg",
    )  # fmt: skip
    assert code == 1
    with profiles.together.state.lock:
        (kept,) = profiles.together.state.files
        assert not profiles.together.state.jobs
    assert "Together AI would not start this job" in err and "its estimate: $" in err
    assert f"the training file stays uploaded as {kept}" in err


def test_validate_uses_the_profile_rules_offline(
    profiles: Emulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(
        "".join(f'{{"prompt": "q{i}", "completion": "a{i}"}}\n' for i in range(12)),
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "validate", str(pairs), "--profile", "tg", "--json")
    assert code == 0 and json.loads(out)["valid"]
    code, out, _ = run(capsys, "validate", str(pairs), "--profile", "oa", "--json")
    assert code == 1 and not json.loads(out)["valid"]
