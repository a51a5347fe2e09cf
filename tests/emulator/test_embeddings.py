"""Embeddings in both dialects, through the real SDKs: shapes, sizes, closeness, refusals."""

from __future__ import annotations

import math

import openai
import pytest
import together
from openai import AzureOpenAI, OpenAI
from openai.types import CreateEmbeddingResponse

from tuner.emulator import Emulator
from tuner.emulator.embeddings import cosine, vector

from .conftest import API_KEY, assert_no_extras
from .together_helpers import BASE, assert_known_fields, sdk

QUESTION = "Where is my order LM-48213? It has not arrived yet."
PARAPHRASE = "My order LM-48213 has not arrived yet: where is it?"
UNRELATED = "Kapıda kartla ödeme yapabilir miyim?"


def _closeness(vectors: list[list[float]]) -> tuple[float, float]:
    question, paraphrase, unrelated = vectors
    return cosine(question, paraphrase), cosine(question, unrelated)


def test_openai_embeddings_parse_and_paraphrases_are_closer(client: OpenAI) -> None:
    answer = client.embeddings.create(
        model="text-embedding-3-small", input=[QUESTION, PARAPHRASE, UNRELATED]
    )  # the SDK asks for base64 and decodes it
    assert isinstance(answer, CreateEmbeddingResponse)
    assert_no_extras(answer)
    assert answer.model == "text-embedding-3-small"
    assert [d.index for d in answer.data] == [0, 1, 2]
    vectors = [d.embedding for d in answer.data]
    assert {len(v) for v in vectors} == {1536}
    assert all(math.isclose(math.sqrt(sum(x * x for x in v)), 1.0, rel_tol=1e-4) for v in vectors)
    close, far = _closeness(vectors)
    assert close > 0.6 > 0.2 > far
    assert answer.usage.prompt_tokens == answer.usage.total_tokens > 0
    floats = client.embeddings.create(
        model="text-embedding-3-small", input=QUESTION, encoding_format="float"
    )
    assert floats.data[0].embedding == pytest.approx(vectors[0], abs=1e-6)


def test_dimensions_are_honoured_where_the_model_has_them(client: OpenAI) -> None:
    short = client.embeddings.create(model="text-embedding-3-large", input="hi", dimensions=256)
    assert len(short.data[0].embedding) == 256
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model="text-embedding-ada-002", input="hi", dimensions=256)
    assert caught.value.body["param"] == "dimensions"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="text-embedding-3-small", input="hi", dimensions=4096)


def test_chat_models_make_no_embeddings_and_embedding_models_do_not_chat(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model="gpt-4o-mini", input="hi")
    assert caught.value.code == "model_not_supported"
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="no-such-model", input="hi")
    with pytest.raises(openai.NotFoundError) as not_chat:
        client.chat.completions.create(
            model="text-embedding-3-small", messages=[{"role": "user", "content": "hi"}]
        )
    assert "not a chat model" in not_chat.value.message
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="text-embedding-3-small", input="")


def test_embedding_models_are_listed(client: OpenAI) -> None:
    listed = {m.id for m in client.models.list()}
    assert {"text-embedding-3-small", "text-embedding-3-large", "text-embedding-ada-002"} <= listed


def test_azure_serves_embeddings_by_deployment(emu: Emulator, azure: AzureOpenAI) -> None:
    answer = azure.embeddings.create(model="text-embedding-3-small", input=QUESTION)
    assert len(answer.data[0].embedding) == 1536
    emu.deploy("text-embedding-3-large", "search")
    named = azure.embeddings.create(model="search", input=QUESTION, dimensions=64)
    assert named.model == "text-embedding-3-large" and len(named.data[0].embedding) == 64
    with pytest.raises(openai.BadRequestError) as caught:
        azure.embeddings.create(model="gpt-4o-mini", input=QUESTION)
    assert caught.value.code == "OperationNotSupported"
    v1 = OpenAI(base_url=emu.azure_v1_base_url, api_key=API_KEY, max_retries=0)
    same = v1.embeddings.create(model="text-embedding-3-small", input=QUESTION)
    assert same.data[0].embedding == pytest.approx(answer.data[0].embedding, abs=1e-6)


def test_together_embeddings_parse_and_paraphrases_are_closer(emu: Emulator) -> None:
    with sdk(emu) as client:
        answer = client.embeddings.create(
            model="BAAI/bge-large-en-v1.5", input=[QUESTION, PARAPHRASE, UNRELATED]
        )
        assert_known_fields(answer)
        vectors = [d.embedding for d in answer.data]
        assert {len(v) for v in vectors} == {1024}
        close, far = _closeness(vectors)
        assert close > 0.6 > 0.2 > far
        one = client.embeddings.create(model="BAAI/bge-base-en-v1.5", input=QUESTION)
        assert len(one.data[0].embedding) == 768
        with pytest.raises(together.BadRequestError):
            client.embeddings.create(model=BASE, input=QUESTION)
        with pytest.raises(together.NotFoundError):
            client.embeddings.create(model="nobody/nothing", input=QUESTION)
        with pytest.raises(together.BadRequestError):
            client.chat.completions.create(
                model="BAAI/bge-large-en-v1.5", messages=[{"role": "user", "content": "hi"}]
            )


def test_vectors_are_the_same_on_both_services_and_every_run() -> None:
    assert vector(QUESTION, 1024) == vector(QUESTION, 1024)
    assert vector("", 8) == [0.0] * 8
