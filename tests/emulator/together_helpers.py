"""Fixtures and helpers for the Together dialect's tests (imported by `test_together_*`).

The official `together` SDK talks to a real emulator over a socket, exactly as tuner will.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from together import Together

from tuner.emulator import Emulator

from .conftest import API_KEY, chat_rows

BASE = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
LORA_ONLY = "Qwen/Qwen2.5-7B-Instruct"
TERMINAL = ("completed", "cancelled", "error")

# Fields the official OpenAPI requires that SDK 3.x's generated types no longer declare; the
# emulator sends them (see `together.job_wire` and `together.store`), so they are the only
# extras a parsed answer may carry.
OPENAPI_ONLY_FIELDS = frozenset({"training_offset", "hash", "Processed"})


def assert_known_fields(value: Any, allowed: frozenset[str] = OPENAPI_ONLY_FIELDS) -> None:
    """No field the SDK's types do not declare, at any depth, except the documented ones.

    The SDK's non-validating `construct` also files aliased keys (`FileType`,
    `model_output_name`) under `model_extra`; a declared alias is a known field.
    """
    if isinstance(value, BaseModel):
        aliases = {field.alias for field in type(value).model_fields.values() if field.alias}
        extras = set(value.model_extra or {}) - allowed - aliases
        assert not extras, f"{type(value).__name__} has unknown fields {sorted(extras)}"
        for name in type(value).model_fields:
            assert_known_fields(getattr(value, name, None), allowed)
    elif isinstance(value, list | tuple):
        for item in value:
            assert_known_fields(item, allowed)


def write_rows(folder: Path, name: str, count: int) -> Path:
    path = folder / name
    path.write_bytes(chat_rows(count))
    return path


def bad_rows(folder: Path, name: str = "bad.jsonl") -> Path:
    """A file the SDK's local check accepts but Together's rules refuse: a conversation with no
    assistant turn to train on."""
    path = folder / name
    row = {"messages": [{"role": "user", "content": "hi"}]}
    path.write_text(json.dumps(row) + "\n")
    return path


def sdk(emulator: Emulator, api_key: str = API_KEY) -> Together:
    return Together(base_url=emulator.together_base_url, api_key=api_key, max_retries=0)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """A fast emulator: a small job finishes in a few tens of milliseconds."""
    with Emulator(speed=1000, seed=7) as emulator:
        yield emulator


@pytest.fixture
def still_emu() -> Iterator[Emulator]:
    """An emulator whose clock barely moves by itself: tests drive it with `advance()`."""
    with Emulator(speed=0.001, seed=8) as emulator:
        yield emulator


@pytest.fixture
def client(emu: Emulator) -> Iterator[Together]:
    with sdk(emu) as together:
        yield together


@pytest.fixture
def still_client(still_emu: Emulator) -> Iterator[Together]:
    with sdk(still_emu) as together:
        yield together


@pytest.fixture
def upload(client: Together, tmp_path: Path) -> Callable[..., str]:
    """Upload a valid chat file of `count` examples through the SDK; its id."""

    def make(count: int = 20, name: str = "train.jsonl") -> str:
        return client.files.upload(write_rows(tmp_path, name, count)).id

    return make
