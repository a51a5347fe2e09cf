"""The same endpoints under Azure's layouts: classic `/openai/...?api-version=` (AzureOpenAI),
the v1 API under `/openai/v1` (the plain OpenAI client), and deployments before chat."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import openai
import pytest
from openai import AsyncAzureOpenAI, AzureOpenAI, OpenAI

from tests.helpers import finish_raw
from tuner.emulator import Emulator

from .conftest import API_KEY, AZURE_API_VERSION, assert_no_extras, chat_rows

HI = [{"role": "user", "content": "hi"}]


def test_files_jobs_and_chat_over_azure(emu: Emulator, azure: AzureOpenAI) -> None:
    file_id = azure.files.create(file=("t.jsonl", chat_rows(10)), purpose="fine-tune").id
    assert [f.id for f in azure.files.list()] == [file_id]
    job = azure.fine_tuning.jobs.create(model="gpt-4.1-mini", training_file=file_id)
    assert finish_raw(emu, lambda: azure.fine_tuning.jobs.retrieve(job.id)).status == "succeeded"
    events = list(azure.fine_tuning.jobs.list_events(job.id, limit=50))  # auto-paging
    assert [e.id for e in events] == [e["id"] for e in emu.server_events(job.id)][::-1]
    model = azure.fine_tuning.jobs.retrieve(job.id).fine_tuned_model
    assert model is not None
    # The SDK sends chat to /openai/deployments/{model}/chat/completions: a fine-tuned model
    # answers only once deployed, under the deployment's name.
    with pytest.raises(openai.NotFoundError) as caught:
        azure.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
    assert caught.value.code == "DeploymentNotFound"
    assert emu.deploy(model, "support-bot") == "support-bot"
    reply = azure.chat.completions.create(
        model="support-bot", messages=[{"role": "user", "content": "hi"}]
    )
    assert reply.model == model and reply.choices[0].message.content
    assert_no_extras(reply)


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


# The v1 API -----------------------------------------------------------------------------


@pytest.fixture
def v1(emu: Emulator) -> Iterator[OpenAI]:
    """The plain OpenAI client on Azure's v1 API, as Microsoft documents it."""
    with OpenAI(base_url=emu.azure_v1_base_url, api_key=API_KEY, max_retries=0) as client:
        yield client


def _fine_tune(emu: Emulator, client: OpenAI) -> str:
    file_id = client.files.create(file=("t.jsonl", chat_rows(10)), purpose="fine-tune").id
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id)
    assert finish_raw(emu, lambda: client.fine_tuning.jobs.retrieve(job.id)).status == "succeeded"
    model = client.fine_tuning.jobs.retrieve(job.id).fine_tuned_model
    assert model is not None
    return model


def test_the_v1_api_serves_the_whole_loop(emu: Emulator, v1: OpenAI) -> None:
    assert emu.azure_v1_base_url == f"http://127.0.0.1:{emu.port}/openai/v1"
    model = _fine_tune(emu, v1)
    job = v1.fine_tuning.jobs.list().data[0]
    assert_no_extras(job)
    assert [e.id for e in v1.fine_tuning.jobs.list_events(job.id, limit=100)] == [
        e["id"] for e in emu.server_events(job.id)
    ][::-1]
    assert v1.fine_tuning.jobs.checkpoints.list(job.id).data
    # Base models answer under their own names (the emulator's implicit deployments).
    base = v1.chat.completions.create(model="gpt-4o-mini", messages=HI)
    assert base.model == "gpt-4o-mini"
    # A fine-tuned model is not callable until deployed; then by the deployment's name.
    with pytest.raises(openai.NotFoundError) as caught:
        v1.chat.completions.create(model=model, messages=HI)
    assert caught.value.code == "DeploymentNotFound"
    assert "deployment" in caught.value.message.lower()
    emu.deploy(model, "bot")
    reply = v1.chat.completions.create(model="bot", messages=HI)
    assert reply.model == model and reply.choices[0].message.content
    assert_no_extras(reply)
    chunks = list(v1.chat.completions.create(model="bot", messages=HI, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    with pytest.raises(openai.NotFoundError):
        v1.chat.completions.create(model="no-such-deployment", messages=HI)


def test_the_v1_api_needs_no_api_version_and_takes_either_key_header(emu: Emulator) -> None:
    url = f"{emu.azure_v1_base_url}/models"
    assert httpx2.get(url, headers={"api-key": API_KEY}).status_code == 200
    assert httpx2.get(url, headers={"Authorization": f"Bearer {API_KEY}"}).status_code == 200
    preview = httpx2.get(url, params={"api-version": "preview"}, headers={"api-key": API_KEY})
    assert preview.status_code == 200
    assert httpx2.get(url).status_code == 401
    assert httpx2.get(url, headers={"api-key": "wrong-key"}).status_code == 401


def test_deploying_a_checkpoint_and_undeploying(emu: Emulator, v1: OpenAI) -> None:
    _fine_tune(emu, v1)
    job = v1.fine_tuning.jobs.list().data[0]
    checkpoint = v1.fine_tuning.jobs.checkpoints.list(job.id).data[-1]
    name = emu.deploy(checkpoint.fine_tuned_model_checkpoint)
    assert name == checkpoint.fine_tuned_model_checkpoint  # the model id is the default name
    assert v1.chat.completions.create(model=name, messages=HI).choices
    emu.undeploy(name)
    with pytest.raises(openai.NotFoundError):
        v1.chat.completions.create(model=name, messages=HI)


def test_deploying_an_unknown_model_is_an_error(emu: Emulator) -> None:
    with pytest.raises(ValueError, match="no-such-model"):
        emu.deploy("no-such-model", "x")


def test_deployments_leave_the_openai_layout_alone(emu: Emulator, client: OpenAI) -> None:
    """On OpenAI's own paths, a fine-tuned model answers by its id, deployed or not."""
    model = _fine_tune(emu, client)
    assert client.chat.completions.create(model=model, messages=HI).model == model


# The ARM-like control plane -------------------------------------------------------------

ARM = (
    "/azure-management/subscriptions/sub/resourceGroups/rg/providers/"
    "Microsoft.CognitiveServices/accounts/acct/deployments/{name}?api-version=2024-10-01"
)


def test_a_deployment_through_the_control_plane(emu: Emulator, v1: OpenAI) -> None:
    model = _fine_tune(emu, v1)
    url = emu.azure_endpoint + ARM.format(name="bot")
    auth = {"Authorization": f"Bearer {API_KEY}"}
    body = {
        "sku": {"name": "standard", "capacity": 1},
        "properties": {"model": {"format": "OpenAI", "name": model, "version": "1"}},
    }
    created = httpx2.put(url, json=body, headers=auth)
    assert created.status_code == 201, created.text
    deployment = created.json()
    assert deployment["name"] == "bot"
    assert deployment["properties"]["model"]["name"] == model
    assert deployment["properties"]["provisioningState"] == "Succeeded"
    assert httpx2.put(url, json=body, headers=auth).status_code == 200  # an update
    assert httpx2.get(url, headers=auth).json()["name"] == "bot"
    assert v1.chat.completions.create(model="bot", messages=HI).model == model
    assert httpx2.delete(url, headers=auth).status_code == 200
    assert httpx2.get(url, headers=auth).status_code == 404
    with pytest.raises(openai.NotFoundError):
        v1.chat.completions.create(model="bot", messages=HI)


def test_control_plane_refusals(emu: Emulator) -> None:
    url = emu.azure_endpoint + ARM.format(name="bot")
    auth = {"Authorization": f"Bearer {API_KEY}"}
    unknown = {"properties": {"model": {"format": "OpenAI", "name": "ft:nope", "version": "1"}}}
    refused = httpx2.put(url, json=unknown, headers=auth)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "DeploymentModelNotSupported"
    assert httpx2.put(url, json={}, headers=auth).status_code == 400
    assert httpx2.put(url, json=unknown).status_code == 401
    assert httpx2.put(url.split("?")[0], json=unknown, headers=auth).status_code == 400
