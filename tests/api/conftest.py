"""Fixtures for the service layer: the service and the SDK client over the emulator, fast polls.

The suite-wide conftest gives the emulator, the environment pointing at it and the data files.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest

from tuner.api.jobs.follower import PollPolicy
from tuner.api.retry import RetryPolicy
from tuner.emulator import Emulator

if TYPE_CHECKING:
    from tuner.api.service import FineTuningService

# Polls every ~15 ms while events arrive; retries start at 10 ms.
FAST_POLL = PollPolicy(fast=0.015, slow=0.06, retry=RetryPolicy(attempts=None, base=0.01, cap=0.05))


@pytest.fixture
async def service(service_env: Emulator) -> AsyncIterator[FineTuningService]:
    """The real OpenAI-API service, resolved from the environment as a user's shell sets it."""
    from tuner.api.open import open_service
    from tuner.config import resolve_connection

    opened = open_service(resolve_connection())
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def client(service_env: Emulator) -> AsyncIterator[object]:
    """The SDK client itself, for the tests of the OpenAI implementation's own modules."""
    from tuner.api.providers.openai.client import make_client
    from tuner.config import resolve_connection

    async with make_client(resolve_connection()) as sdk_client:
        yield sdk_client


@pytest.fixture(params=["openai", "together"])
async def counted_service(request: pytest.FixtureRequest, emulator: Emulator) -> AsyncIterator[Any]:
    """OpenAI's side, then Together's, each over its real SDK, counting the calls made."""
    from tests.helpers import CountingService, open_test_service, open_together_service

    opened = (
        open_test_service(emulator)
        if request.param == "openai"
        else open_together_service(emulator)
    )
    try:
        yield CountingService(opened)
    finally:
        await opened.close()
