"""Embeddings in both dialects: the models, the request checks, and deterministic vectors.

A text's vector hashes its words and their character trigrams into a fixed number of
dimensions, each feature with a sign from the same hash, and is normalised to length 1. Texts
that share words and word pieces (a paraphrase, the same sentence with another name in it) get a
high cosine; unrelated texts one near 0. The same text gives the same vector in every run, on
either service and for every model of the same size.

OpenAI's models (`POST /v1/embeddings`, Azure's paths too) take `dimensions` (text-embedding-3
only) and `encoding_format` "float" or "base64" (little-endian float32, which the openai SDK asks
for by default); their usage counts tokens as chat's estimate does. Together's
(`POST /together/v1/embeddings`) take only `model` and `input`, and answer without usage, as
its OpenAPI description says.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import struct
from dataclasses import dataclass
from typing import Any

from .chat import approx_tokens

# How much a whole word counts against one of its trigrams.
WORD_WEIGHT = 1.0
TRIGRAM_WEIGHT = 0.5
# The most inputs one request may carry (OpenAI's published limit).
MAX_INPUTS = 2048

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class EmbeddingModel:
    id: str
    dimensions: int
    created: int
    shortens: bool = False  # accepts `dimensions` (OpenAI's text-embedding-3 models)


OPENAI_MODELS: dict[str, EmbeddingModel] = {
    m.id: m
    for m in (
        EmbeddingModel("text-embedding-3-small", 1536, 1705948997, shortens=True),
        EmbeddingModel("text-embedding-3-large", 3072, 1705953180, shortens=True),
        EmbeddingModel("text-embedding-ada-002", 1536, 1671217299),
    )
}
TOGETHER_MODELS: dict[str, EmbeddingModel] = {
    m.id: m
    for m in (
        EmbeddingModel("BAAI/bge-large-en-v1.5", 1024, 1699401600),
        EmbeddingModel("BAAI/bge-base-en-v1.5", 768, 1699401600),
        EmbeddingModel("togethercomputer/m2-bert-80M-8k-retrieval", 768, 1704067200),
        EmbeddingModel("WhereIsAI/UAE-Large-V1", 1024, 1703116800),
    )
}


class EmbeddingRequestError(ValueError):
    """A request the service would refuse with a 400; `param` names the field."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


def features(text: str) -> dict[str, float]:
    """The weighted features of a text: its words and each word's character trigrams."""
    weights: dict[str, float] = {}
    for word in _WORD.findall(text.casefold()):
        weights["w:" + word] = weights.get("w:" + word, 0.0) + WORD_WEIGHT
        padded = f"#{word}#"
        for start in range(len(padded) - 2):
            gram = "g:" + padded[start : start + 3]
            weights[gram] = weights.get(gram, 0.0) + TRIGRAM_WEIGHT
    return weights


def vector(text: str, dimensions: int) -> list[float]:
    """The text's unit vector in `dimensions` dimensions (all zeros for a text with no words)."""
    values = [0.0] * dimensions
    for feature, weight in features(text).items():
        digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
        number = int.from_bytes(digest, "little")
        sign = 1.0 if number & 1 else -1.0
        values[(number >> 1) % dimensions] += sign * weight
    norm = math.sqrt(sum(v * v for v in values))
    if norm == 0:
        return values
    return [round(v / norm, 7) for v in values]


def cosine(a: list[float], b: list[float]) -> float:
    """Cosine similarity of two vectors of the same length (0 when either is all zeros)."""
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def as_base64(values: list[float]) -> str:
    """The vector as OpenAI's base64 encoding: little-endian float32."""
    return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode("ascii")


def openai_inputs(value: Any) -> tuple[list[str], int]:
    """The texts an OpenAI request embeds and their token count: a string, a list of strings,
    or token ids (a list of integers, or a list of such lists), embedded as their digits."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise EmbeddingRequestError("'input' must be a non-empty string or array.", "input")
    if len(value) > MAX_INPUTS:
        raise EmbeddingRequestError(
            f"'input' has {len(value)} items; at most {MAX_INPUTS} are allowed.", "input"
        )
    if all(_is_int(item) for item in value):
        return [" ".join(str(t) for t in value)], len(value)
    texts: list[str] = []
    tokens = 0
    for index, item in enumerate(value):
        if isinstance(item, str):
            if not item:
                raise EmbeddingRequestError(f"'input[{index}]' must not be empty.", "input")
            texts.append(item)
            tokens += approx_tokens(item)
        elif isinstance(item, list) and item and all(_is_int(t) for t in item):
            texts.append(" ".join(str(t) for t in item))
            tokens += len(item)
        else:
            raise EmbeddingRequestError(
                f"'input[{index}]' must be a string or an array of token ids.", "input"
            )
    return texts, tokens


def together_inputs(value: Any) -> list[str]:
    """The texts a Together request embeds: a string or a list of strings."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise EmbeddingRequestError("input must be a string or a non-empty array of strings.")
    if len(value) > MAX_INPUTS:
        raise EmbeddingRequestError(f"input has {len(value)} items; at most {MAX_INPUTS}.")
    return value


def openai_body(model: EmbeddingModel, body: dict[str, Any], served_as: str) -> dict[str, Any]:
    """The `CreateEmbeddingResponse` for an OpenAI-dialect request (already known to be for an
    embedding model); raises `EmbeddingRequestError` for a bad field."""
    texts, tokens = openai_inputs(body.get("input"))
    dimensions = body.get("dimensions")
    size = model.dimensions
    if dimensions is not None:
        if not model.shortens:
            raise EmbeddingRequestError(
                "This model does not support specifying dimensions.", "dimensions"
            )
        if not _is_int(dimensions) or not 1 <= dimensions <= model.dimensions:
            raise EmbeddingRequestError(
                f"Invalid 'dimensions': expected an integer from 1 to {model.dimensions}.",
                "dimensions",
            )
        size = dimensions
    encoding = body.get("encoding_format", "float")
    if encoding not in ("float", "base64"):
        raise EmbeddingRequestError(
            f"Invalid value: {encoding!r}. Supported values are: 'float' and 'base64'.",
            "encoding_format",
        )
    data = []
    for index, text in enumerate(texts):
        values = vector(text, size)
        embedding: Any = as_base64(values) if encoding == "base64" else values
        data.append({"object": "embedding", "index": index, "embedding": embedding})
    return {
        "object": "list",
        "data": data,
        "model": served_as,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def together_body(model: EmbeddingModel, body: dict[str, Any]) -> dict[str, Any]:
    """Together's `EmbeddingsResponse` for a request to an embedding model."""
    texts = together_inputs(body.get("input"))
    data = [
        {"object": "embedding", "index": index, "embedding": vector(text, model.dimensions)}
        for index, text in enumerate(texts)
    ]
    return {"object": "list", "model": model.id, "data": data}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
