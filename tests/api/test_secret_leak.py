"""A recognisable key, driven through every call (failing ones too), appears nowhere.

Not in stdout / stderr, not in any log record (tuner's, the SDK's, httpx2's, at DEBUG), not in
any file tuner writes (settings, cursors, transcripts, exports) except secrets.toml, and not in
the repr of a Connection, Settings or ServiceError.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import pytest

from tuner.api.chat.choices import chat_model_choices
from tuner.api.chat.export import export_training_examples
from tuner.api.chat.replay import PromptReplay
from tuner.api.chat.request import ChatRequest
from tuner.api.chat.transcripts import TranscriptWriter, list_transcripts
from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.jobs.cursors import CursorStore
from tuner.api.jobs.follower import EventFollower
from tuner.api.jobs.spec import JobSpec
from tuner.api.open import open_service
from tuner.cli import main
from tuner.config import (
    Connection,
    Profile,
    Secret,
    Settings,
    load_settings,
    resolve_connection,
    save_api_key,
    save_settings,
)
from tuner.emulator import Emulator, Fault

from .conftest import FAST_POLL

LEAK = "test-key-DO-NOT-LEAK-42"
MODEL = "gpt-4o-mini-2024-07-18"


async def drive(emu: Emulator, train_file: Path, out_dir: Path) -> list[str]:
    """Every api call, succeeding and failing; returns the text of every error and repr seen."""
    texts: list[str] = []
    connection = resolve_connection()
    assert connection.api_key == Secret(LEAK) and connection.key_origin == "file"
    texts += [repr(connection), str(connection), repr(load_settings())]

    service = open_service(connection)
    try:
        uploaded = await service.upload_file(train_file)
        service.single_request_limit, service.part_size = 10, 1000  # type: ignore[attr-defined]
        await service.upload_file(train_file)
        await service.list_files()
        job = await service.create_job(JobSpec(MODEL, uploaded.id, suffix="leak"))
        [e async for e in EventFollower(service, job.id, CursorStore(), FAST_POLL)]
        job = await service.retrieve_job(job.id)
        await service.list_jobs()
        await service.list_checkpoints(job.id)
        await chat_model_choices(service)
        await service.job_metrics(job)
        hello = [{"role": "user", "content": "hi"}]
        await _drain(service.stream_chat(ChatRequest(job.fine_tuned_model, hello)))
        writer = TranscriptWriter.start(job.fine_tuned_model, "sys", {"temperature": 1})
        await PromptReplay(
            service, ["one", "two"], ChatRequest(job.fine_tuned_model), transcript=writer
        ).run()
        export_training_examples(writer.path, out_dir / "export.jsonl")
        list_transcripts()

        quiet = service.without_retries()
        failures = [
            (ErrorKind.NOT_FOUND, lambda: quiet.retrieve_job("ftjob-missing")),
            (ErrorKind.NOT_FOUND, lambda: quiet.cancel_job("ftjob-missing")),
        ]
        for status, kind in ((429, ErrorKind.RATE_LIMITED), (500, ErrorKind.SERVER)):
            emu.faults.add(Fault(path_pattern=r"/fine_tuning/jobs$", status=status, retry_after=1))
            failures.append((kind, lambda: quiet.list_jobs()))
        emu.faults.add(Fault(path_pattern=r"/chat/completions", drop_connection=True))
        failures.append(
            (
                ErrorKind.DROPPED,
                lambda: _drain(
                    quiet.stream_chat(ChatRequest(MODEL, [{"role": "user", "content": "x"}]))
                ),
            )
        )
        for kind, call in failures:
            with pytest.raises(ServiceError) as caught:
                await call()
            assert caught.value.kind is kind
            texts += [repr(caught.value), str(caught.value)]
    finally:
        await service.close()

    wrong = open_service(Connection("p", base_url=emu.base_url, api_key=Secret("wrong-key")))
    try:
        with pytest.raises(ServiceError) as caught:
            await wrong.without_retries().list_jobs()
        assert caught.value.kind is ErrorKind.AUTH
        texts += [repr(caught.value), str(caught.value)]
    finally:
        await wrong.close()
    return texts


async def _drain(stream) -> None:
    async for _ in stream:
        pass


def test_the_key_appears_nowhere(
    train_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("openai", "httpx2", "httpx", "httpcore", "tuner", "asyncio"):
        caplog.set_level(logging.DEBUG, logger=name)
    out_dir = tmp_path / "out"
    out_dir.mkdir()

    with Emulator(speed=500.0, api_key=LEAK) as emu:
        profile = Profile("lab", base_url=emu.base_url)
        save_settings(Settings(active_profile="lab", profiles={"lab": profile}))
        save_api_key("lab", LEAK)
        texts = asyncio.run(drive(emu, train_file, out_dir))

        # The headless commands, with the key from the environment this time.
        monkeypatch.setenv("OPENAI_API_KEY", LEAK)
        assert main(["upload", str(train_file), "--json"]) == 0
        assert main(["jobs", "--json"]) == 0
        assert main(["jobs", "cancel", "ftjob-missing"]) == 2
        emu.faults.add(Fault(path_pattern=r"/fine_tuning/jobs", status=500, times=10))
        monkeypatch.setattr("tuner.api.providers.openai.client.DEFAULT_MAX_RETRIES", 0)
        assert main(["jobs"]) == 2
        monkeypatch.setenv("OPENAI_API_KEY", "wrong-key")
        assert main(["jobs"]) == 2

    captured = capsys.readouterr()
    assert caplog.records, "the SDK's debug logging was not captured"
    assert any(r.name.startswith("openai") for r in caplog.records)
    haystacks = {
        "stdout": captured.out,
        "stderr": captured.err,
        "log": caplog.text,
        "log messages": "\n".join(r.getMessage() for r in caplog.records),
        "texts": "\n".join(texts),
    }
    written = 0
    roots = [Path(os.environ[f"TUNER_{n}_DIR"]) for n in ("CONFIG", "DATA", "CACHE")]
    for root in [*roots, tmp_path]:
        for path in root.rglob("*"):
            if path.is_file() and path.name != "secrets.toml":
                haystacks[str(path)] = path.read_bytes().decode("utf-8", "replace")
                written += 1
    assert written >= 5  # settings, cursors, transcript, export, ...
    leaks = [name for name, text in haystacks.items() if LEAK in text or "DO-NOT-LEAK" in text]
    assert leaks == []
    secrets = Path(os.environ["TUNER_CONFIG_DIR"]) / "secrets.toml"
    assert LEAK in secrets.read_text()  # the one place it belongs
