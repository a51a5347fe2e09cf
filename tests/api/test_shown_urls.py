"""No URL tuner shows or records holds a user name or password, even for a connection that did not
come through `resolve_connection` (which refuses one): the service's `where`, "Cannot reach ..."
and a backup's index and README all show the URL without them."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tuner.api.backup.run import backup
from tuner.api.errors import ErrorKind, ServiceError, unreachable
from tuner.api.open import open_service
from tuner.config import Connection, Secret
from tuner.emulator import Emulator

PASSWORD = "hunter2-not-a-key"


def with_password(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://me:{PASSWORD}@{rest}"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_cannot_reach_names_the_url_without_its_password() -> None:
    error = unreachable(with_password("http://127.0.0.1:9/v1"), "connection refused")
    assert error.message == "Cannot reach http://127.0.0.1:9/v1 (connection refused)"


@pytest.mark.parametrize("kind", ["openai", "together"])
async def test_a_service_never_shows_the_password_of_its_url(kind: str) -> None:
    url = with_password(f"http://127.0.0.1:{closed_port()}/v1")
    connection = Connection("p", kind=kind, base_url=url, api_key=Secret("test-key"))  # type: ignore[arg-type]
    service = open_service(connection).without_retries()
    try:
        assert PASSWORD not in service.where and "me:" not in service.where
        with pytest.raises(ServiceError) as caught:
            await service.list_jobs()
        assert caught.value.kind is ErrorKind.CONNECTION
        assert caught.value.message.startswith("Cannot reach http://127.0.0.1:")
        assert PASSWORD not in caught.value.message
    finally:
        await service.close()


async def test_a_backup_records_the_url_without_its_password(tmp_path: Path) -> None:
    with Emulator(port=0, speed=500, api_key=None) as emu:  # takes the basic auth as a key
        connection = Connection("p", base_url=with_password(emu.base_url), api_key=Secret("k"))
        service = open_service(connection)
        try:
            await backup(service, tmp_path / "backup")
        finally:
            await service.close()
    index = json.loads((tmp_path / "backup" / "index.json").read_text(encoding="utf-8"))
    assert index["where"] == emu.base_url
    everything = "".join(p.read_text() for p in (tmp_path / "backup").rglob("*") if p.is_file())
    assert PASSWORD not in everything
