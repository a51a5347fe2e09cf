"""The same endpoints under Azure's `/openai/...?api-version=` layout, via AzureOpenAI."""

from __future__ import annotations

import httpx2
import openai
import pytest
from openai import AsyncAzureOpenAI, AzureOpenAI

from tuner.emulator import Emulator

from .conftest import API_KEY, AZURE_API_VERSION, chat_rows, wait_for


def test_files_jobs_and_chat_over_azure(emu: Emulator, azure: AzureOpenAI) -> None:
    file_id = azure.files.create(file=("t.jsonl", chat_rows(10)), purpose="fine-tune").id
    assert [f.id for f in azure.files.list()] == [file_id]
    job = azure.fine_tuning.jobs.create(model="gpt-4.1-mini", training_file=file_id)
    wait_for(lambda: azure.fine_tuning.jobs.retrieve(job.id).status == "succeeded")
    events = list(azure.fine_tuning.jobs.list_events(job.id, limit=50))  # auto-paging
    assert [e.id for e in events] == [e["id"] for e in emu.server_events(job.id)][::-1]
    model = azure.fine_tuning.jobs.retrieve(job.id).fine_tuned_model
    assert model is not None
    # The SDK sends chat to /openai/deployments/{model}/chat/completions.
    reply = azure.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
    assert reply.model == model and reply.choices[0].message.content


def test_unknown_deployment(azure: AzureOpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        azure.chat.completions.create(model="nope", messages=[{"role": "user", "content": "hi"}])
    assert caught.value.code == "DeploymentNotFound"


def test_client_with_a_fixed_deployment(emu: Emulator) -> None:
    with AzureOpenAI(
        azure_endpoint=emu.azure_endpoint,
        azure_deployment="gpt-4o-mini",
        api_version=AZURE_API_VERSION,
        api_key=API_KEY,
        max_retries=0,
    ) as client:
        reply = client.chat.completions.create(
            model="ignored", messages=[{"role": "user", "content": "hi"}]
        )
        assert reply.model == "gpt-4o-mini"
        assert client.models.list().data  # non-deployment paths still go to /openai/models


async def test_async_azure_client(emu: Emulator) -> None:
    async with AsyncAzureOpenAI(
        azure_endpoint=emu.azure_endpoint, api_version=AZURE_API_VERSION, api_key=API_KEY
    ) as client:
        stream = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        pieces = [c.choices[0].delta.content async for c in stream if c.choices]
    assert "".join(p or "" for p in pieces)


def test_azure_key_header_is_checked(emu: Emulator) -> None:
    with (
        AzureOpenAI(
            azure_endpoint=emu.azure_endpoint,
            api_version=AZURE_API_VERSION,
            api_key="wrong-key",
            max_retries=0,
        ) as client,
        pytest.raises(openai.AuthenticationError),
    ):
        client.models.list()


def test_api_version_is_required(emu: Emulator) -> None:
    headers = {"api-key": API_KEY}
    missing = httpx2.get(f"{emu.azure_endpoint}/openai/models", headers=headers)
    assert missing.status_code == 404
    bad = httpx2.get(f"{emu.azure_endpoint}/openai/models?api-version=latest", headers=headers)
    assert bad.status_code == 400
    good = httpx2.get(
        f"{emu.azure_endpoint}/openai/models?api-version={AZURE_API_VERSION}", headers=headers
    )
    assert good.status_code == 200
