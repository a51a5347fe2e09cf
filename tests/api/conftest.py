"""Fixtures for the service layer: a fast emulator, the env pointing at it, a client, data files.

The suite-wide conftest already gives each test private TUNER_*_DIR folders and removes the
developer's OPENAI_* variables; here the key and base URL point at a local emulator.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.helpers import TEST_KEY, chat_example, write_jsonl
from tuner.api.follower import PollPolicy
from tuner.api.retry import RetryPolicy
from tuner.emulator import Emulator

if TYPE_CHECKING:
    from tuner.api.service import FineTuningService

# A whole job (20 examples, 3 epochs) takes about 60 simulated seconds: 0.12 s at this speed.
FAST = 500.0
# Polls every ~15 ms while events arrive; retries start at 10 ms.
FAST_POLL = PollPolicy(fast=0.015, slow=0.06, retry=RetryPolicy(attempts=None, base=0.01, cap=0.05))


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
async def service(service_env: Emulator) -> AsyncIterator[FineTuningService]:
    """The real OpenAI-API service, resolved from the environment as a user's shell sets it."""
    from tuner.api.service import open_service
    from tuner.config import resolve_connection

    opened = open_service(resolve_connection())
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def client(service_env: Emulator) -> AsyncIterator[object]:
    """The SDK client itself, for the tests of the OpenAI implementation's own modules."""
    from tuner.api.openai_service.client import make_client
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
