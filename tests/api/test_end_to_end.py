"""The whole loop over a real socket with the real SDK, on OpenAI's and on Azure's paths.

upload (one request, and the Uploads API in parts) -> create job -> follow to success ->
checkpoints and result metrics -> stream a chat with the fine-tuned model -> replay a prompt
file -> transcript on disk -> export -> the export is valid training data.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tuner.api.chat.export import export_training_examples
from tuner.api.chat.replay import PromptReplay, ReplayState, read_prompt_file
from tuner.api.chat.request import ChatDelta, ChatDone, ChatRequest
from tuner.api.chat.transcripts import TranscriptWriter, load_transcript
from tuner.api.jobs.cursors import CursorStore
from tuner.api.jobs.follower import EventFollower, FollowState
from tuner.api.jobs.spec import JobSpec
from tuner.api.open import open_service
from tuner.api.service import FineTuningService
from tuner.api.types import JobStatus
from tuner.config import Profile, Settings, resolve_connection, save_api_key, save_settings
from tuner.emulator import Emulator

from .conftest import FAST_POLL

MODEL = "gpt-4o-mini-2024-07-18"


@pytest.fixture(params=["openai", "azure"])
async def any_service(request, emulator: Emulator) -> AsyncIterator[FineTuningService]:
    """A service opened from a saved profile, as a user would set it up (key in secrets.toml)."""
    if request.param == "openai":
        profile = Profile("local", base_url=emulator.base_url)
    else:
        profile = Profile(
            "azure",
            kind="azure",
            azure_endpoint=emulator.azure_endpoint,
            api_version="2025-04-01-preview",
        )
    save_settings(Settings(active_profile=profile.name, profiles={profile.name: profile}))
    save_api_key(profile.name, "test-key")
    connection = resolve_connection()
    assert connection.kind == request.param
    service = open_service(connection)
    try:
        yield service
    finally:
        await service.close()


async def test_the_whole_loop(any_service, emulator: Emulator, train_file: Path, tmp_path) -> None:
    service = any_service
    single = await service.upload_file(train_file)
    service.single_request_limit, service.part_size = 1000, 600  # the Uploads API, in parts
    parts = await service.upload_file(train_file)
    assert single.bytes == parts.bytes == train_file.stat().st_size
    assert len(emulator.state.uploads) == 1

    job = await service.create_job(
        JobSpec(MODEL, parts.id, validation_file=single.id, suffix="e2e", seed=1)
    )
    follower = EventFollower(service, job.id, CursorStore(), FAST_POLL)
    events = [event async for event in follower]
    assert [e.id for e in events] == [e["id"] for e in emulator.server_events(job.id)]
    assert follower.state is FollowState.FINISHED
    live_points = [e.metrics for e in events if e.metrics]
    assert live_points

    job = await service.retrieve_job(job.id)
    assert job.status is JobStatus.SUCCEEDED and job.fine_tuned_model
    emulator.deploy(job.fine_tuned_model)  # Azure answers a fine-tune only once deployed
    checkpoints = await service.list_checkpoints(job.id)
    assert checkpoints
    steps = [c.step for c in checkpoints]
    assert steps == sorted(steps, reverse=True)
    assert all(c.model and c.model.startswith("ft:") for c in checkpoints)
    result_points = await service.job_metrics(job)
    assert result_points and result_points[-1].step == live_points[-1].step

    request = ChatRequest(
        job.fine_tuned_model,
        [{"role": "user", "content": "Say hi"}],
        system_prompt="Be brief.",
        temperature=0.7,
        frequency_penalty=0.1,
        max_tokens=64,
    )
    items = [item async for item in service.stream_chat(request)]
    assert isinstance(items[-1], ChatDone) and items[-1].completion_tokens
    assert any(isinstance(i, ChatDelta) for i in items)

    prompts = tmp_path / "metin.txt"
    prompts.write_text("\n".join(f"Question {n}?" for n in range(1, 13)) + "\n", encoding="utf-8")
    writer = TranscriptWriter.start(job.fine_tuned_model, "Be brief.", request.params())
    replay = PromptReplay(
        service,
        read_prompt_file(prompts),
        ChatRequest(job.fine_tuned_model, system_prompt="Be brief.", temperature=0.7),
        transcript=writer,
    )
    assert await replay.run() is ReplayState.DONE
    assert len(replay.messages) == 24

    transcript = load_transcript(writer.path)
    assert len(transcript.turns) == 24
    assert transcript.header.params["temperature"] == 0.7

    out = tmp_path / "export.jsonl"
    assert export_training_examples(transcript, out, mode="exchange") == 12
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(
        [m["role"] for m in row["messages"]] == ["system", "user", "assistant"] for row in rows
    )

    from tuner.data.analysis.analyse import analyse_file

    report = analyse_file(out)
    assert report.valid, report.errors
