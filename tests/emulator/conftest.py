"""Fixtures for the emulator tests: a running emulator and SDK clients pointed at it."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from openai import AzureOpenAI, OpenAI
from pydantic import BaseModel

from tuner.emulator import Emulator

API_KEY = "test-key"
AZURE_API_VERSION = "2024-10-21"


def chat_rows(count: int) -> bytes:
    """A valid chat-format training file with `count` examples."""
    rows = [
        json.dumps(
            {
                "messages": [
                    {"role": "system", "content": "You answer briefly."},
                    {"role": "user", "content": f"What is {i} + {i}?"},
                    {"role": "assistant", "content": f"{2 * i}."},
                ]
            }
        )
        for i in range(count)
    ]
    return ("\n".join(rows) + "\n").encode()


def assert_no_extras(value: Any) -> None:
    """No field the SDK does not know, at any depth of a parsed SDK object."""
    if isinstance(value, BaseModel):
        assert not value.model_extra, f"{type(value).__name__} has extras {value.model_extra}"
        for name in type(value).model_fields:
            assert_no_extras(getattr(value, name))
    elif isinstance(value, list | tuple):
        for item in value:
            assert_no_extras(item)


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def raw_request(emu: Emulator, data: bytes, timeout: float = 10.0) -> RawResponse:
    """Send `data` as it is (a request the SDK would never make) and read one response."""
    with socket.create_connection((emu.host, emu.port), timeout=timeout) as sock:
        sock.sendall(data)
        # The request is all there is: the server sees its end (unless it hung up already).
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = response.read()
        headers = {k.lower(): v for k, v in response.getheaders()}
        return RawResponse(response.status, headers, body)


def request_bytes(
    method: str,
    path: str,
    body: bytes = b"",
    *,
    host: str = "127.0.0.1",
    headers: dict[str, str | None] | None = None,
) -> bytes:
    """An HTTP/1.1 request with the test key; `headers` may override, add or (None) drop any."""
    fields: dict[str, str | None] = {
        "Host": host,
        "Authorization": f"Bearer {API_KEY}",
        "Connection": "close",
    }
    if body:
        fields["Content-Length"] = str(len(body))
    fields.update(headers or {})
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in fields.items() if v is not None
    )
    return (head + "\r\n").encode("latin-1") + body


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """A fast emulator: a small job finishes in about a tenth of a second."""
    with Emulator(speed=1000, seed=1) as emulator:
        yield emulator


@pytest.fixture
def slow_emu() -> Iterator[Emulator]:
    """A real-time emulator, moved along only by `advance()` in the test."""
    with Emulator(speed=1, seed=2) as emulator:
        yield emulator


@pytest.fixture
def client(emu: Emulator) -> Iterator[OpenAI]:
    with OpenAI(base_url=emu.base_url, api_key=API_KEY, max_retries=0) as sdk:
        yield sdk


@pytest.fixture
def slow_client(slow_emu: Emulator) -> Iterator[OpenAI]:
    with OpenAI(base_url=slow_emu.base_url, api_key=API_KEY, max_retries=0) as sdk:
        yield sdk


@pytest.fixture
def azure(emu: Emulator) -> Iterator[AzureOpenAI]:
    with AzureOpenAI(
        azure_endpoint=emu.azure_endpoint,
        api_version=AZURE_API_VERSION,
        api_key=API_KEY,
        max_retries=0,
    ) as sdk:
        yield sdk


@pytest.fixture
def training_file(client: OpenAI) -> str:
    """The id of an uploaded 20-example training file."""
    return client.files.create(file=("train.jsonl", chat_rows(20)), purpose="fine-tune").id
