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

from tuner.api.chat import ChatDelta, ChatDone, ChatRequest, stream_chat
from tuner.api.client import make_client
from tuner.api.cursors import CursorStore
from tuner.api.files import upload_file
from tuner.api.follower import EventFollower, FollowState
from tuner.api.jobs import JobSpec, create_job, list_checkpoints, retrieve_job
from tuner.api.metrics import fetch_result_metrics, parse_metrics_event
from tuner.api.replay import PromptReplay, ReplayState, read_prompt_file
from tuner.api.transcripts import TranscriptWriter, export_training_examples, load_transcript
from tuner.config import Profile, Settings, resolve_connection, save_api_key, save_settings
from tuner.emulator import Emulator

from .conftest import FAST_POLL

MODEL = "gpt-4o-mini-2024-07-18"


@pytest.fixture(params=["openai", "azure"])
async def any_client(request, emulator: Emulator) -> AsyncIterator[object]:
    """A client built from a saved profile, as a user would set it up (key in secrets.toml)."""
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
    async with make_client(connection) as client:
        yield client


async def test_the_whole_loop(any_client, emulator: Emulator, train_file: Path, tmp_path) -> None:
    client = any_client
    single = await upload_file(client, train_file)
    parts = await upload_file(client, train_file, single_request_limit=1000, part_size=600)
    assert single.bytes == parts.bytes == train_file.stat().st_size

    job = await create_job(
        client, JobSpec(MODEL, parts.id, validation_file=single.id, suffix="e2e", seed=1)
    )
    follower = EventFollower(client, job.id, CursorStore(), FAST_POLL)
    events = [event async for event in follower]
    assert [e.id for e in events] == [e["id"] for e in emulator.server_events(job.id)]
    assert follower.state is FollowState.FINISHED
    live_points = [p for e in events if (p := parse_metrics_event(e))]
    assert live_points

    job = await retrieve_job(client, job.id)
    assert job.status == "succeeded" and job.fine_tuned_model
    checkpoints = await list_checkpoints(client, job.id)
    assert checkpoints
    steps = [c.step_number for c in checkpoints]
    assert steps == sorted(steps, reverse=True)
    assert all(c.fine_tuned_model_checkpoint.startswith("ft:") for c in checkpoints)
    result_points = await fetch_result_metrics(client, job)
    assert result_points and result_points[-1].step == live_points[-1].step

    request = ChatRequest(
        job.fine_tuned_model,
        [{"role": "user", "content": "Say hi"}],
        system_prompt="Be brief.",
        temperature=0.7,
        frequency_penalty=0.1,
        max_tokens=64,
    )
    items = [item async for item in stream_chat(client, request)]
    assert isinstance(items[-1], ChatDone) and items[-1].completion_tokens
    assert any(isinstance(i, ChatDelta) for i in items)

    prompts = tmp_path / "metin.txt"
    prompts.write_text("\n".join(f"Question {n}?" for n in range(1, 13)) + "\n", encoding="utf-8")
    writer = TranscriptWriter.start(job.fine_tuned_model, "Be brief.", request.params())
    replay = PromptReplay(
        client,
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

    from tuner.data.analysis import analyse_file

    report = analyse_file(out)
    assert report.valid, report.errors
