"""The emulator's lifecycle: start/stop, the foreground entry point, the clock."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx2
import openai
import pytest
from openai import OpenAI

from tests.helpers import wait_for
from tuner.emulator import Emulator
from tuner.emulator.clock import SimClock
from tuner.emulator.server import EmulatorHTTPServer

from .conftest import API_KEY

REPO = Path(__file__).resolve().parents[2]
AUTH = {"Authorization": f"Bearer {API_KEY}"}


def test_start_stop_without_a_context_manager() -> None:
    emu = Emulator(speed=100).start()
    try:
        assert emu.base_url == f"http://127.0.0.1:{emu.port}/v1"
        assert emu.azure_endpoint == f"http://127.0.0.1:{emu.port}"
        client = OpenAI(base_url=emu.base_url, api_key=API_KEY, max_retries=0)
        assert client.models.list().data  # leaves a keep-alive connection open
    finally:
        emu.stop()
    with pytest.raises(openai.APIConnectionError):
        client.models.list()
    emu.stop()  # idempotent


def test_serve_forever_prints_the_base_url() -> None:
    code = "from tuner.emulator import serve_forever; serve_forever(0, 2.0)"
    process = subprocess.Popen(
        [sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "127.0.0.1:" in line and line.rstrip().endswith("(speed x2); base URLs:")
        openai_line = process.stdout.readline().split()
        assert openai_line[0] == "OpenAI" and openai_line[1].startswith("http://127.0.0.1:")
        url = openai_line[1]
        assert httpx2.get(f"{url}/models", headers={"Authorization": "Bearer any"}).is_success
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_malformed_multipart_is_a_400_and_closes_the_connection(emu: Emulator) -> None:
    response = httpx2.post(
        f"{emu.base_url}/files",
        headers={
            "Authorization": f"Bearer {API_KEY}",
            "Content-Type": "multipart/form-data; boundary=xyz",
        },
        content=b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nab',
    )
    assert response.status_code == 400
    assert response.headers["connection"] == "close"


def test_clock_moves_with_speed_and_advance() -> None:
    clock = SimClock(speed=1000)
    start = clock.now()
    clock.advance(60)
    assert clock.now() - start >= 60
    assert clock.real_seconds(10) == pytest.approx(0.01)
    with pytest.raises(ValueError):
        clock.advance(-1)
    with pytest.raises(ValueError):
        SimClock(speed=0)


def _read_until_closed(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


@pytest.mark.parametrize(
    "sent",
    [
        b"",  # connected, then silence
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n",  # headers never end
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
        b"Content-Length: 100\r\n\r\n{",  # the body never comes
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n10\r\n{",  # nor the chunk
    ],
    ids=["silent", "headers", "body", "chunk"],
)
def test_a_stalled_client_is_cut_off_after_the_read_timeout(sent: bytes) -> None:
    with Emulator(speed=1000, read_timeout=0.2) as emu:
        # The socket's own timeout is far longer: the test waits for the server to hang up.
        with socket.create_connection((emu.host, emu.port), timeout=30) as sock:
            sock.sendall(sent)
            assert b" 200 " not in _read_until_closed(sock)
        # The emulator still serves others.
        assert httpx2.get(f"{emu.base_url}/models", headers=AUTH).is_success


def test_read_timeout_defaults_to_thirty_seconds() -> None:
    assert Emulator().read_timeout == 30.0


def test_the_listen_backlog_absorbs_bursts() -> None:
    assert EmulatorHTTPServer.request_queue_size >= 128


def test_a_client_resetting_its_connection_prints_nothing(capfd: pytest.CaptureFixture) -> None:
    """In `tuner --demo` the emulator shares the terminal with the app: a client that hangs up
    mid-request (a pool closed at exit) printed a traceback over the screen."""
    import struct

    with Emulator(speed=100) as emu:
        with socket.create_connection(("127.0.0.1", emu.port)) as sock:
            sock.sendall(b"GET /v1/models HTTP/1.1\r\n")  # the request line, no more
            wait_for(lambda: emu.open_connections)  # the server holds the connection
            # Close with a reset (linger 0) rather than an orderly FIN.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        wait_for(lambda: not emu.open_connections)  # let go of it: its error path has run
    assert "Traceback" not in capfd.readouterr().err


# -- a refused request's body is never read ---------------------------------------------------

GIB = 1024 * 1024 * 1024


def _files_under(folder: str) -> list[str]:
    return [os.path.join(root, name) for root, _, names in os.walk(folder) for name in names]


@pytest.mark.parametrize(
    ("method", "path", "content_type", "status"),
    [
        ("POST", "/v1/files", "multipart/form-data; boundary=b", 401),
        ("POST", "/v1/uploads/upload_x/parts", "multipart/form-data; boundary=b", 401),
        ("POST", "/openai/v1/files", "multipart/form-data; boundary=b", 401),
        ("POST", "/together/v1/files/upload", "multipart/form-data; boundary=b", 401),
        ("PUT", "/together/_presigned/not-a-token", "application/octet-stream", 403),
    ],
    ids=["openai", "openai-part", "azure", "together", "together-presigned"],
)
def test_a_gigabyte_upload_without_a_key_is_refused_unread(
    method: str, path: str, content_type: str, status: int
) -> None:
    """A 1 GiB upload with no key was read and spooled to disk before its 401. It is refused
    from its headers alone, at once: the socket's timeout is far shorter than the read timeout
    a server waiting for the body would need, and nothing reaches the emulator's folder."""
    with Emulator(speed=1000, read_timeout=120) as emu:
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {GIB}\r\n\r\n"
        ).encode()
        with socket.create_connection((emu.host, emu.port), timeout=30) as sock:
            sock.sendall(head + b"--b\r\n" + b"x" * 65536)  # the body begins, and stops
            response = http.client.HTTPResponse(sock)
            response.begin()
            body = response.read()
        assert response.status == status, body
        assert response.getheader("Connection") == "close"
        assert _files_under(emu.state.spool_dir) == []
        assert httpx2.get(f"{emu.base_url}/models", headers=AUTH).is_success
