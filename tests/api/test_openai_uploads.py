"""Uploads by both routes, with progress that ends at the file size."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.openai_service import uploads
from tuner.api.openai_service.uploads import upload_file
from tuner.emulator import Emulator, Fault


async def file_text(client, file_id: str) -> str:
    return (await client.files.content(file_id)).text


async def test_single_request_upload_reports_progress(client, train_file: Path) -> None:
    seen: list[tuple[int, int]] = []
    uploaded = await upload_file(client, train_file, progress=lambda a, b: seen.append((a, b)))
    size = train_file.stat().st_size
    assert uploaded.bytes == size
    assert uploaded.filename == "train.jsonl"
    assert uploaded.purpose == "fine-tune"
    assert seen[-1] == (size, size)
    assert all(total == size for _, total in seen)
    assert await file_text(client, uploaded.id) == train_file.read_text()


async def test_uploads_api_in_parts(client, service_env: Emulator, train_file: Path) -> None:
    seen: list[int] = []
    size = train_file.stat().st_size
    uploaded = await upload_file(
        client,
        train_file,
        progress=lambda done, total: seen.append(done),
        single_request_limit=100,
        part_size=700,
    )
    expected_parts = -(-size // 700)
    assert seen == [min(size, 700 * (n + 1)) for n in range(expected_parts)]
    assert uploaded.bytes == size
    # The parts were joined in order: the content is byte for byte the file.
    assert await file_text(client, uploaded.id) == train_file.read_text()


async def test_part_failure_cancels_the_upload(client, service_env: Emulator, train_file) -> None:
    service_env.faults.add(Fault(path_pattern=r"/parts$", status=400, message="bad part"))
    with pytest.raises(ServiceError) as caught:
        await upload_file(client, train_file, single_request_limit=10, part_size=500)
    assert caught.value.kind is ErrorKind.INVALID_REQUEST
    assert "bad part" in caught.value.message


async def test_module_constants_are_the_service_limits() -> None:
    assert uploads.SINGLE_REQUEST_LIMIT == 512 * 1024 * 1024
    assert uploads.PART_SIZE == 64 * 1024 * 1024


async def test_missing_local_file_is_oserror(client, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        await upload_file(client, tmp_path / "nope.jsonl")
