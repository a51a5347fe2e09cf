"""`tuner.api.files.upload_record`: what tuner uploaded where, by checksum and size; bounded,
tolerant of a damaged file, and never naming a password or a query from a service's address."""

from __future__ import annotations

import json
from pathlib import Path

from tuner.api.files.upload_record import (
    KEPT_PER_CHECKSUM,
    RecordedUpload,
    UploadRecord,
    service_key,
)

SUM = "ab" * 32


def test_the_newest_upload_first_a_few_kept_and_a_gone_one_forgotten(tmp_path: Path) -> None:
    record = UploadRecord(tmp_path / "uploads.json")
    key = service_key("openai", "http://127.0.0.1:9/v1")
    for n in range(KEPT_PER_CHECKSUM + 2):
        record.add(key, SUM, RecordedUpload(f"file-{n}", 120, "train.jsonl", 1000.0 + n))

    found = record.find(key, SUM, 120)

    assert [e.file_id for e in found] == [f"file-{n}" for n in range(6, 1, -1)]
    assert record.find(key, SUM, 121) == [] and record.find(key, "cd" * 32, 120) == []
    assert record.find(service_key("together", "http://127.0.0.1:9/v1"), SUM, 120) == []
    record.forget(key, SUM, "file-6")
    assert record.find(key, SUM, 120)[0].file_id == "file-5"


def test_a_damaged_record_reads_as_empty_and_bad_entries_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "uploads.json"
    path.write_text("[1, 2", encoding="utf-8")
    record = UploadRecord(path)
    assert record.find("k", SUM, 1) == []
    entries = [{"id": 7}, "x", {"id": "file-ok", "bytes": 1, "filename": 3, "uploaded_at": None}]
    path.write_text(json.dumps({"k": {SUM: entries}}), encoding="utf-8")
    (entry,) = record.find("k", SUM, 1)
    assert entry == RecordedUpload("file-ok", 1, "", 0.0)


def test_a_service_is_named_by_its_address_without_credentials() -> None:
    key = service_key("openai", "https://user:secret@llm.example.com:8443/v1/?token=x#y")
    assert key == "openai https://llm.example.com:8443/v1"
    assert service_key("openai", "https://api.openai.com/v1/") == "openai https://api.openai.com/v1"
