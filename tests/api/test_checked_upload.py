"""`tuner.api.files.checked_upload`: a file is checked, then uploaded once; running again reuses the
identical file the service still holds (OpenAI's side and Together's, over the real SDKs), and
uploads again when that file is gone, changed, or a new upload is asked for."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    write_examples,
)
from tuner.api.files.checked_upload import upload_checked
from tuner.api.files.upload_record import UPLOADS_FILE, UploadRecord
from tuner.config import data_dir


@pytest.fixture
def service(counted_service: Any) -> Any:
    """OpenAI's side, then Together's (tests/api/conftest.py)."""
    return counted_service


async def test_a_second_upload_of_the_same_bytes_reuses_the_first(
    service: Any, tmp_path: Path
) -> None:
    path = write_examples(tmp_path / "train.jsonl", 20)

    first = await upload_checked(service, path)
    again = await upload_checked(service, path)

    assert not first.reused and again.reused and again.id == first.id
    assert service.calls["upload_file"] == 1
    assert [f.id for f in await service.list_files()] == [first.id]
    said = again.describe(path)
    assert said.startswith(f"reusing {first.id} (uploaded 20") and said.endswith(
        f", identical) for {path}"
    )
    assert first.describe(path) == f"uploaded {path} as {first.id}"
    recorded = json.loads((data_dir() / UPLOADS_FILE).read_text())
    ((key, by_sum),) = recorded.items()
    assert key.startswith(service.capabilities.kind + " http://127.0.0.1:")
    ((_, entries),) = by_sum.items()
    assert [e["id"] for e in entries] == [first.id]


async def test_a_copy_elsewhere_with_the_same_bytes_is_the_same_file(
    service: Any, tmp_path: Path
) -> None:
    path = write_examples(tmp_path / "train.jsonl", 20)
    copy = tmp_path / "elsewhere" / "copy.jsonl"
    copy.parent.mkdir()
    copy.write_bytes(path.read_bytes())

    first = await upload_checked(service, path)
    again = await upload_checked(service, copy)

    assert again.reused and again.id == first.id


async def test_changed_bytes_a_deleted_file_or_reuse_off_upload_again(
    service: Any, tmp_path: Path
) -> None:
    path = write_examples(tmp_path / "train.jsonl", 20)
    first = await upload_checked(service, path)

    forced = await upload_checked(service, path, reuse=False)
    assert not forced.reused and service.calls["upload_file"] == 2
    if service.capabilities.kind == "openai":  # Together answers with the file it holds
        assert forced.id != first.id

    write_examples(path, 21)  # one more example: other bytes
    changed = await upload_checked(service, path)
    assert not changed.reused and changed.id not in (first.id, forced.id)

    await service.delete_file(changed.id)
    after_delete = await upload_checked(service, path)
    assert not after_delete.reused and after_delete.id != changed.id
    record = UploadRecord()
    (key,) = record.file.read()
    data = path.read_bytes()
    found = record.find(key, hashlib.sha256(data).hexdigest(), len(data))
    assert [e.file_id for e in found] == [after_delete.id]  # the deleted id was dropped


async def test_an_unreadable_record_only_costs_an_upload(service: Any, tmp_path: Path) -> None:
    path = write_examples(tmp_path / "train.jsonl", 20)
    (data_dir() / UPLOADS_FILE).parent.mkdir(parents=True, exist_ok=True)
    (data_dir() / UPLOADS_FILE).write_text("{not json", encoding="utf-8")

    first = await upload_checked(service, path)
    again = await upload_checked(service, path)

    assert not first.reused and again.reused and again.id == first.id
