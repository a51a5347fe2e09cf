"""The emulator's injected faults reach the Together dialect too, as the SDK would meet them."""

from __future__ import annotations

import httpx
import pytest
import together
from together import Together

from tuner.emulator import Emulator, Fault

from . import together_helpers
from .together_helpers import BASE

client = together_helpers.client
emu = together_helpers.emu


def test_rate_limit_then_recovery(emu: Emulator, client: Together) -> None:
    emu.faults.add(Fault(path_pattern=r"^/together/v1/fine-tunes$", status=429, retry_after=1))
    with pytest.raises(together.RateLimitError) as caught:
        client.fine_tuning.list()
    assert caught.value.response.headers["retry-after"] == "1"
    assert client.fine_tuning.list().data == []  # the fault was used up


def test_server_error_on_chat(emu: Emulator, client: Together) -> None:
    emu.faults.add(Fault(path_pattern=r"/together/v1/chat/completions", status=500))
    with pytest.raises(together.InternalServerError):
        client.chat.completions.create(model=BASE, messages=[{"role": "user", "content": "hi"}])


def test_a_dropped_stream_is_an_incomplete_body(emu: Emulator, client: Together) -> None:
    emu.faults.add(Fault(path_pattern=r"/together/v1/chat/completions", drop_connection=True))
    stream = client.chat.completions.create(
        model=BASE, messages=[{"role": "user", "content": "tell me a lot"}], stream=True
    )
    with pytest.raises(httpx.RemoteProtocolError):
        for _chunk in stream:
            pass
