"""Only loopback names in Host (and Origin): a DNS-rebinding page gets a clear refusal."""

from __future__ import annotations

import pytest

from tuner.emulator import Emulator
from tuner.emulator.host_check import is_allowed_host, is_allowed_origin

from .conftest import raw_request, request_bytes


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "localhost:8765",
        "LocalHost:1",
        "127.0.0.1",
        "127.0.0.1:8765",
        "[::1]",
        "[::1]:8765",
    ],
)
def test_loopback_names_are_allowed(host: str) -> None:
    assert is_allowed_host(host)


@pytest.mark.parametrize(
    "host",
    [
        "",
        "evil.example",
        "evil.example:8765",
        "127.0.0.1.evil.example",
        "localhost.evil.example:80",
        "127.0.0.2",
        "0.0.0.0:8765",
        "[::1]x",
        "::1",
        "localhost:port",
        "localhost:99999",
        "user@localhost",
    ],
)
def test_other_names_are_refused(host: str) -> None:
    assert not is_allowed_host(host)


def test_a_non_loopback_bind_address_is_allowed_too() -> None:
    assert is_allowed_host("192.168.1.5:8765", extra=("192.168.1.5",))
    assert not is_allowed_host("192.168.1.6:8765", extra=("192.168.1.5",))


def test_origins() -> None:
    assert is_allowed_origin(None)
    assert is_allowed_origin("http://localhost:3000")
    assert is_allowed_origin("http://127.0.0.1")
    assert is_allowed_origin("https://[::1]:8443")
    assert not is_allowed_origin("null")
    assert not is_allowed_origin("http://evil.example")
    assert not is_allowed_origin("http://localhost.evil.example")
    assert not is_allowed_origin("file://")


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "attacker.test:80"])
def test_rebinding_host_gets_421_with_a_json_error(emu: Emulator, host: str) -> None:
    response = raw_request(emu, request_bytes("GET", "/v1/models", host=host.format(port=emu.port)))
    assert response.status == 421
    error = response.json()["error"]
    assert error["code"] == "invalid_host"
    assert "Host" in error["message"] and "localhost" in error["message"]
    assert response.headers["connection"] == "close"


def test_a_request_without_host_is_refused(emu: Emulator) -> None:
    response = raw_request(emu, request_bytes("GET", "/v1/models", headers={"Host": None}))
    assert response.status == 400
    assert response.json()["error"]["code"] == "invalid_host"


def test_loopback_hosts_are_served(emu: Emulator) -> None:
    for host in ("localhost", f"localhost:{emu.port}", "127.0.0.1", f"[::1]:{emu.port}"):
        response = raw_request(emu, request_bytes("GET", "/v1/models", host=host))
        assert response.status == 200, host


def test_a_foreign_origin_is_refused(emu: Emulator) -> None:
    """A page on another site can send "simple" POSTs with no preflight; refuse them all."""
    body = b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}'
    foreign = request_bytes(
        "POST",
        "/v1/chat/completions",
        body,
        headers={"Origin": "http://evil.example", "Content-Type": "text/plain"},
    )
    response = raw_request(emu, foreign)
    assert response.status == 403
    assert response.json()["error"]["code"] == "invalid_origin"
    local = request_bytes(
        "POST", "/v1/chat/completions", body, headers={"Origin": "http://localhost:3000"}
    )
    assert raw_request(emu, local).status == 200
