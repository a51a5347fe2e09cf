"""Fixtures for the service layer: a fast emulator, the env pointing at it, a client, data files.

The suite-wide conftest already gives each test private TUNER_*_DIR folders and removes the
developer's OPENAI_* variables; here the key and base URL point at a local emulator.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tuner.api.follower import PollPolicy
from tuner.api.retry import RetryPolicy
from tuner.emulator import Emulator

TEST_KEY = "test-key"
# A whole job (20 examples, 3 epochs) takes about 60 simulated seconds: 0.12 s at this speed.
FAST = 500.0
# Polls every ~15 ms while events arrive; retries start at 10 ms.
FAST_POLL = PollPolicy(fast=0.015, slow=0.06, retry=RetryPolicy(attempts=None, base=0.01, cap=0.05))


def chat_example(i: int) -> dict:
    return {
        "messages": [
            {"role": "system", "content": "You answer briefly."},
            {"role": "user", "content": f"What is {i} + {i}?"},
            {"role": "assistant", "content": f"{2 * i}"},
        ]
    }


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(port=0, speed=FAST, api_key=TEST_KEY) as emu:
        yield emu


@pytest.fixture
def service_env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """OPENAI_API_KEY / OPENAI_BASE_URL set for the emulator (what a user's shell would do)."""
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", emulator.base_url)
    return emulator


@pytest.fixture
async def client(service_env: Emulator) -> AsyncIterator[object]:
    from tuner.api.client import make_client
    from tuner.config import resolve_connection

    async with make_client(resolve_connection()) as sdk_client:
        yield sdk_client


@pytest.fixture
def train_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "train.jsonl", [chat_example(i) for i in range(20)])


@pytest.fixture
def bad_train_file(tmp_path: Path) -> Path:
    """Valid JSONL that the service fails the job for: fewer than 10 examples."""
    return write_jsonl(tmp_path / "small.jsonl", [chat_example(i) for i in range(3)])


async def train_model(client: object, train_file: Path, suffix: str) -> object:
    """Upload `train_file`, fine-tune the base model on it, and wait for success (the emulator's
    fast clock makes this about a tenth of a second); returns the finished job."""
    import asyncio

    from tuner.api.files import upload_file
    from tuner.api.jobs import JobSpec, create_job, retrieve_job

    uploaded = await upload_file(client, train_file)
    job = await create_job(client, JobSpec("gpt-4o-mini-2024-07-18", uploaded.id, suffix=suffix))
    for _ in range(400):
        job = await retrieve_job(client, job.id)
        if job.status == "succeeded":
            return job
        await asyncio.sleep(0.01)
    raise AssertionError(f"job {job.id} did not succeed: {job.status}")
