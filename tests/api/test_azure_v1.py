"""tuner's OpenAI service on Azure OpenAI's v1 API: a profile with `api_version = "v1"` runs the
whole loop through the plain client at RESOURCE/openai/v1/, and chat needs a deployment."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import DEADLINE, TEST_KEY
from tuner.api.chat.request import ChatDone, ChatRequest
from tuner.api.errors import ServiceError
from tuner.api.jobs.spec import JobSpec
from tuner.api.open import open_service
from tuner.api.types import JobStatus
from tuner.config import Profile, Settings, resolve_connection
from tuner.emulator import Emulator


def azure_v1(emulator: Emulator):
    endpoint = emulator.base_url.removesuffix("/v1")
    profile = Profile("az", kind="azure", azure_endpoint=endpoint, api_version="v1")
    settings = Settings(active_profile="az", profiles={"az": profile})
    return resolve_connection(settings, env={"AZURE_OPENAI_API_KEY": TEST_KEY})


async def reply(service, model: str) -> ChatDone:
    done = None
    async for item in service.stream_chat(ChatRequest(model, [{"role": "user", "content": "hi"}])):
        if isinstance(item, ChatDone):
            done = item
    assert done is not None
    return done


async def test_the_whole_loop_on_the_v1_api(emulator: Emulator, train_file: Path) -> None:
    connection = azure_v1(emulator)
    assert connection.azure_v1 and connection.service_name == "Azure OpenAI v1"
    service = open_service(connection)
    try:
        assert service.where == f"{emulator.base_url.removesuffix('/v1')}/openai/v1"
        assert service.capabilities.models_need_deployment
        uploaded = await service.upload_file(train_file)
        job = await service.create_job(JobSpec("gpt-4o-mini-2024-07-18", uploaded.id))
        for _ in range(int(DEADLINE * 10)):
            emulator.advance(3600)
            job = await service.retrieve_job(job.id)
            if job.finished:
                break
        assert job.status is JobStatus.SUCCEEDED and job.fine_tuned_model
        # Azure serves a fine-tuned model only through a deployment, named in chat's `model`.
        with pytest.raises(ServiceError) as refused:
            await reply(service, job.fine_tuned_model)
        assert refused.value.kind.value == "not_found"
        emulator.deploy(job.fine_tuned_model, "support-bot")
        answered = await reply(service, "support-bot")
        assert answered.text and answered.completion_tokens
    finally:
        await service.close()
