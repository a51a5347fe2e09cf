"""Together's /models and chat completions (plain, streamed, async), and its key check."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import together
from together import AsyncTogether, Together
from together.types import FinetuneResponse
from together.types.chat import ChatCompletion, ChatCompletionChunk

from tests.helpers import finish_raw
from tuner.emulator import Emulator
from tuner.emulator.embeddings import TOGETHER_MODELS as TOGETHER_EMBEDDINGS
from tuner.emulator.together import catalog

from . import together_helpers
from .conftest import API_KEY
from .together_helpers import BASE, assert_known_fields, sdk, write_rows

# Fixtures shared by the Together tests.
client = together_helpers.client
emu = together_helpers.emu
upload = together_helpers.upload

MESSAGES = [
    {"role": "system", "content": "Be helpful."},
    {"role": "user", "content": "How many examples do I need?"},
]


def _trained(emu: Emulator, client: Together, upload: Callable[..., str]) -> str:
    job = client.fine_tuning.create(training_file=upload(), model=BASE, suffix="chat")
    done = finish_raw(emu, lambda: client.fine_tuning.retrieve(job.id))
    assert done.status == "completed" and done.x_model_output_name
    return done.x_model_output_name


def test_plain_completion(client: Together) -> None:
    reply = client.chat.completions.create(model=BASE, messages=MESSAGES, temperature=0.2)
    assert isinstance(reply, ChatCompletion)
    assert_known_fields(reply)
    assert reply.object == "chat.completion" and reply.model == BASE
    [choice] = reply.choices
    assert choice.finish_reason == "stop"
    assert choice.message is not None and choice.message.role == "assistant"
    assert choice.message.content
    assert reply.usage is not None
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    again = client.chat.completions.create(model=BASE, messages=MESSAGES)
    assert again.choices[0].message is not None
    assert again.choices[0].message.content == choice.message.content  # deterministic


def test_stream_with_the_trained_model(
    emu: Emulator, client: Together, upload: Callable[..., str]
) -> None:
    name = _trained(emu, client, upload)
    plain = client.chat.completions.create(model=name, messages=MESSAGES)
    assert plain.choices[0].message is not None
    chunks = list(client.chat.completions.create(model=name, messages=MESSAGES, stream=True))
    assert len(chunks) > 2
    for chunk in chunks:
        assert isinstance(chunk, ChatCompletionChunk)
        assert_known_fields(chunk)
        assert chunk.model == name and chunk.choices[0].delta.role == "assistant"
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert text == plain.choices[0].message.content
    assert text.startswith("**Short answer:**")  # the fine-tuned style
    assert [c.choices[0].finish_reason for c in chunks][-1] == "stop"
    assert all(c.usage is None for c in chunks[:-1]) and chunks[-1].usage is not None


def test_models_lists_the_catalog_then_the_trained_model(
    emu: Emulator, client: Together, upload: Callable[..., str]
) -> None:
    before = client.get("/v1/models", cast_to=object)
    assert isinstance(before, list)
    chats = [m for m in before if m["type"] == "chat"]
    assert [m["id"] for m in chats] == [model.name for model in catalog.MODELS]
    assert all(m["object"] == "model" for m in before)
    assert {m["id"] for m in before if m["type"] == "embedding"} == set(TOGETHER_EMBEDDINGS)
    name = _trained(emu, client, upload)
    after = client.get("/v1/models", cast_to=object)
    assert isinstance(after, list)
    assert after[-1]["id"] == name and after[-1]["organization"] == catalog.ACCOUNT


def test_unknown_model_is_a_404_in_togethers_words(client: Together) -> None:
    with pytest.raises(together.NotFoundError) as caught:
        client.chat.completions.create(model="nobody/nothing", messages=MESSAGES)
    body = caught.value.body
    assert isinstance(body, dict)
    assert body["error"]["code"] == "model_not_found"
    assert body["error"]["message"].startswith("Unable to access model nobody/nothing.")


def test_a_wrong_key_is_refused_everywhere(emu: Emulator, tmp_path: Path) -> None:
    with sdk(emu, api_key="wrong-key") as wrong:
        with pytest.raises(together.AuthenticationError) as caught:
            wrong.fine_tuning.list()
        assert isinstance(caught.value.body, dict)
        assert caught.value.body["error"]["code"] == "invalid_api_key"
        with pytest.raises(together.AuthenticationError):
            wrong.chat.completions.create(model=BASE, messages=MESSAGES)
        with pytest.raises(together.AuthenticationError):
            wrong.files.upload(write_rows(tmp_path, "t.jsonl", 10))
    with emu.together.state.lock:
        assert not emu.together.state.files


def test_no_key_needed_when_the_emulator_accepts_any(tmp_path: Path) -> None:
    with Emulator(speed=1000, api_key=None) as open_emu, sdk(open_emu, "anything") as anyone:
        assert anyone.fine_tuning.list().data == []


async def test_async_client_uploads_trains_and_streams(emu: Emulator, tmp_path: Path) -> None:
    async with AsyncTogether(
        base_url=emu.together_base_url, api_key=API_KEY, max_retries=0
    ) as client:
        uploaded = await client.files.upload(write_rows(tmp_path, "a.jsonl", 16))
        job = await client.fine_tuning.create(training_file=uploaded.id, model=BASE, suffix="a")
        # Unlike the sync client, async `create` parses into the generated `FinetuneResponse`,
        # which names the output `x_model_output_name` and lacks two fields of the answer.
        assert isinstance(job, FinetuneResponse) and job.x_model_output_name
        assert set(job.model_extra or {}) <= {"suffix", "adapter_output_name", "model_output_name"}
        with Together(base_url=emu.together_base_url, api_key=API_KEY) as sync_client:
            finish_raw(emu, lambda: sync_client.fine_tuning.retrieve(job.id))
        events = await client.fine_tuning.list_events(job.id)
        assert events.data[-1].type == "job_complete"
        stream = await client.chat.completions.create(
            model=job.x_model_output_name, messages=MESSAGES, stream=True
        )
        pieces = [chunk.choices[0].delta.content or "" async for chunk in stream]
        assert "".join(pieces).startswith("**Short answer:**")
