"""Chat completions (plain, streamed, async) and the models endpoints."""

from __future__ import annotations

import openai
import pytest
from openai import AsyncOpenAI, OpenAI
from openai.types import Model, ModelDeleted
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from tests.helpers import finish_raw
from tuner.emulator import Emulator

from .conftest import API_KEY, assert_no_extras, chat_rows

MESSAGES = [
    {"role": "system", "content": "Be helpful."},
    {"role": "user", "content": "How many examples do I need?"},
]


def test_plain_completion(client: OpenAI) -> None:
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, temperature=0.2)
    assert isinstance(reply, ChatCompletion)
    assert_no_extras(reply)
    assert reply.id.startswith("chatcmpl-")
    assert reply.model == "gpt-4o-mini"
    [choice] = reply.choices
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant" and choice.message.content
    assert reply.usage is not None
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    again = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert again.choices[0].message.content == choice.message.content  # deterministic


def test_stream_arrives_in_pieces_with_usage_last(client: OpenAI) -> None:
    plain = client.chat.completions.create(model="gpt-4.1", messages=MESSAGES)
    chunks = list(
        client.chat.completions.create(
            model="gpt-4.1",
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    for chunk in chunks:
        assert isinstance(chunk, ChatCompletionChunk)
        assert_no_extras(chunk)
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    pieces = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert len(pieces) >= 3
    assert "".join(pieces) == plain.choices[0].message.content
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage == plain.usage
    assert all(c.usage is None for c in chunks[:-1])


def test_stream_without_usage_has_no_usage_chunk(client: OpenAI) -> None:
    chunks = list(client.chat.completions.create(model="gpt-4.1", messages=MESSAGES, stream=True))
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in chunks)


def test_max_tokens_cuts_with_length(client: OpenAI) -> None:
    for key in ("max_tokens", "max_completion_tokens"):
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, **{key: 3})
        assert reply.choices[0].finish_reason == "length"
        assert reply.usage is not None and reply.usage.completion_tokens <= 3


def test_some_replies_carry_markdown(client: OpenAI) -> None:
    replies = [
        client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": f"question {i}"}]
        )
        .choices[0]
        .message.content
        or ""
        for i in range(12)
    ]
    assert any("```" in r for r in replies)
    assert any("\n- " in r for r in replies)


def test_unknown_model_is_404(client: OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-9", messages=MESSAGES)
    assert caught.value.code == "model_not_found"
    assert "`gpt-9` does not exist" in caught.value.message


def test_bad_requests(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=[])
    assert caught.value.param == "messages"  # type: ignore[attr-defined]
    with pytest.raises(openai.BadRequestError, match="temperature"):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES, temperature=3)


def test_fine_tuned_model_answers_in_its_own_style(emu: Emulator, client: OpenAI) -> None:
    file_id = client.files.create(file=("t.jsonl", chat_rows(10)), purpose="fine-tune").id
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id, suffix="s")
    assert finish_raw(emu, lambda: client.fine_tuning.jobs.retrieve(job.id)).status == "succeeded"
    model = client.fine_tuning.jobs.retrieve(job.id).fine_tuned_model
    assert model is not None
    tuned = client.chat.completions.create(model=model, messages=MESSAGES)
    base = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert tuned.choices[0].message.content != base.choices[0].message.content
    assert (tuned.choices[0].message.content or "").startswith("**Short answer:**")


async def test_async_streaming(emu: Emulator) -> None:
    async with AsyncOpenAI(base_url=emu.base_url, api_key=API_KEY, max_retries=0) as client:
        stream = await client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True
        )
        text = ""
        count = 0
        async for chunk in stream:
            count += 1
            if chunk.choices and chunk.choices[0].delta.content:
                text += chunk.choices[0].delta.content
        plain = await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert count > 3
    assert text == plain.choices[0].message.content


def test_models_list_retrieve_delete(emu: Emulator, client: OpenAI) -> None:
    models = client.models.list().data
    ids = {m.id for m in models}
    assert {"gpt-4o-mini-2024-07-18", "gpt-4.1-2025-04-14", "gpt-3.5-turbo-0125"} <= ids
    for model in models:
        assert isinstance(model, Model)
        assert_no_extras(model)
    retrieved = client.models.retrieve("gpt-4o-mini")
    assert (retrieved.id, retrieved.owned_by) == ("gpt-4o-mini", "system")
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-9")
    file_id = client.files.create(file=("t.jsonl", chat_rows(10)), purpose="fine-tune").id
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id)
    assert finish_raw(emu, lambda: client.fine_tuning.jobs.retrieve(job.id)).status == "succeeded"
    name = client.fine_tuning.jobs.retrieve(job.id).fine_tuned_model
    assert name is not None
    tuned = client.models.retrieve(name)
    assert tuned.owned_by == "org-tuner-emulator"
    with pytest.raises(openai.PermissionDeniedError):
        client.models.delete("gpt-4o-mini")
    deleted = client.models.delete(name)
    assert isinstance(deleted, ModelDeleted) and deleted.deleted
    assert name not in {m.id for m in client.models.list()}
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model=name, messages=MESSAGES)
