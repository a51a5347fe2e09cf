"""Injected faults and authentication, as the SDK sees them."""

from __future__ import annotations

import time

import httpx2
import openai
import pytest
from openai import OpenAI

from tuner.emulator import Emulator, Fault
from tuner.emulator.faults import FaultSet

from .conftest import API_KEY

EVENTS = r"/fine_tuning/jobs/[^/]+/events"


def test_429_with_retry_after_reaches_a_client_without_retries(
    emu: Emulator, client: OpenAI
) -> None:
    emu.faults.add(Fault(path_pattern=r"/models$", status=429, retry_after=0.25))
    with pytest.raises(openai.RateLimitError) as caught:
        client.models.list()
    headers = caught.value.response.headers
    assert headers["retry-after"] == "0.25"
    assert headers["retry-after-ms"] == "250"
    assert caught.value.code == "rate_limit_exceeded"
    assert client.models.list().data  # used up after one request
    assert len(emu.faults) == 0


def test_a_retrying_client_recovers_after_429s(emu: Emulator) -> None:
    emu.faults.add(Fault(path_pattern=r"/models$", status=429, retry_after=0.01, times=2))
    with OpenAI(base_url=emu.base_url, api_key=API_KEY, max_retries=2) as client:
        assert client.models.list().data


def test_500_and_503(emu: Emulator, client: OpenAI) -> None:
    emu.faults.add(Fault(path_pattern=r"/files", status=500))
    emu.faults.add(Fault(path_pattern=r"/files", status=503))
    with pytest.raises(openai.InternalServerError) as first:
        client.files.list()
    assert first.value.status_code == 500
    body = first.value.body
    assert isinstance(body, dict) and body["type"] == "server_error"
    with pytest.raises(openai.InternalServerError) as second:
        client.files.list()
    assert second.value.status_code == 503
    client.files.list()


def test_method_filter(emu: Emulator, client: OpenAI) -> None:
    emu.faults.add(Fault(path_pattern=r"/files$", method="POST", status=500))
    client.files.list()  # a GET is untouched
    with pytest.raises(openai.InternalServerError):
        client.files.create(file=("a.jsonl", b"{}"), purpose="batch")


def test_dropped_connection_is_a_connection_error(emu: Emulator, client: OpenAI) -> None:
    emu.faults.add(Fault(path_pattern=r"/models$", drop_connection=True))
    with pytest.raises(openai.APIConnectionError):
        client.models.list()
    assert client.models.list().data


def test_dropped_connection_mid_stream(emu: Emulator, client: OpenAI) -> None:
    emu.faults.add(Fault(path_pattern=r"/chat/completions$", drop_connection=True))
    received = []
    with pytest.raises((openai.APIConnectionError, httpx2.HTTPError)):
        stream = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        for chunk in stream:
            received.append(chunk)
    assert 1 <= len(received) < 10


def test_delay_is_real_seconds(emu: Emulator, client: OpenAI) -> None:
    emu.faults.add(Fault(path_pattern=r"/models$", delay=0.3))
    start = time.monotonic()
    client.models.list()
    assert time.monotonic() - start >= 0.3


def test_faults_clear_and_match_paths() -> None:
    faults = FaultSet()
    faults.add(Fault(path_pattern=EVENTS, status=429, times=2))
    assert faults.take("GET", "/v1/fine_tuning/jobs/ftjob-x") is None
    assert faults.take("GET", "/v1/fine_tuning/jobs/ftjob-x/events") is not None
    faults.clear()
    assert faults.take("GET", "/v1/fine_tuning/jobs/ftjob-x/events") is None


def test_wrong_and_missing_keys_are_401(emu: Emulator) -> None:
    client = OpenAI(base_url=emu.base_url, api_key="wrong-key", max_retries=0)
    with client, pytest.raises(openai.AuthenticationError) as caught:
        client.models.list()
    assert caught.value.status_code == 401
    assert caught.value.code == "invalid_api_key"
    assert "wrong-key" not in caught.value.message  # the key is never echoed
    response = httpx2.get(f"{emu.base_url}/models")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


def test_no_configured_key_accepts_any() -> None:
    with (
        Emulator(speed=1000, api_key=None) as emu,
        OpenAI(base_url=emu.base_url, api_key="anything", max_retries=0) as client,
    ):
        assert client.models.list().data


def test_unknown_route_is_404(emu: Emulator) -> None:
    response = httpx2.get(f"{emu.base_url}/nothing", headers={"Authorization": f"Bearer {API_KEY}"})
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Invalid URL (GET /v1/nothing)"
