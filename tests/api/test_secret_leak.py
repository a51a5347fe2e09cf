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

from tuner.api.chat import ChatRequest, stream_chat
from tuner.api.client import make_client
from tuner.api.cursors import CursorStore
from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.files import list_files, upload_file
from tuner.api.follower import EventFollower
from tuner.api.jobs import (
    JobSpec,
    cancel_job,
    create_job,
    list_chat_models,
    list_checkpoints,
    list_jobs,
    retrieve_job,
)
from tuner.api.replay import PromptReplay
from tuner.api.transcripts import TranscriptWriter, export_training_examples, list_transcripts
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

    async with make_client(connection) as client:
        uploaded = await upload_file(client, train_file)
        await upload_file(client, train_file, single_request_limit=10, part_size=1000)
        await list_files(client)
        job = await create_job(client, JobSpec(MODEL, uploaded.id, suffix="leak"))
        [e async for e in EventFollower(client, job.id, CursorStore(), FAST_POLL)]
        job = await retrieve_job(client, job.id)
        await list_jobs(client)
        await list_checkpoints(client, job.id)
        await list_chat_models(client)
        hello = [{"role": "user", "content": "hi"}]
        await _drain(stream_chat(client, ChatRequest(job.fine_tuned_model, hello)))
        writer = TranscriptWriter.start(job.fine_tuned_model, "sys", {"temperature": 1})
        await PromptReplay(
            client, ["one", "two"], ChatRequest(job.fine_tuned_model), transcript=writer
        ).run()
        export_training_examples(writer.path, out_dir / "export.jsonl")
        list_transcripts()

        quiet = client.with_options(max_retries=0)
        failures = [
            (ErrorKind.NOT_FOUND, lambda: retrieve_job(quiet, "ftjob-missing")),
            (ErrorKind.NOT_FOUND, lambda: cancel_job(quiet, "ftjob-missing")),
        ]
        for status, kind in ((429, ErrorKind.RATE_LIMITED), (500, ErrorKind.SERVER)):
            emu.faults.add(Fault(path_pattern=r"/fine_tuning/jobs$", status=status, retry_after=1))
            failures.append((kind, lambda: list_jobs(quiet)))
        emu.faults.add(Fault(path_pattern=r"/chat/completions", drop_connection=True))
        failures.append(
            (
                ErrorKind.CONNECTION,
                lambda: _drain(
                    stream_chat(quiet, ChatRequest(MODEL, [{"role": "user", "content": "x"}]))
                ),
            )
        )
        for kind, call in failures:
            with pytest.raises(ServiceError) as caught:
                await call()
            assert caught.value.kind is kind
            texts += [repr(caught.value), str(caught.value)]

    wrong = Connection("p", base_url=emu.base_url, api_key=Secret("wrong-key"))
    async with make_client(wrong, max_retries=0) as client:
        with pytest.raises(ServiceError) as caught:
            await list_jobs(client)
        assert caught.value.kind is ErrorKind.AUTH
        texts += [repr(caught.value), str(caught.value)]
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
        monkeypatch.setattr("tuner.api.client.DEFAULT_MAX_RETRIES", 0)
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
