"""Together's files through the official SDK: the presigned upload, multipart, list, content."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest
import together
from together import Together
from together.lib.resources import files as sdk_files
from together.types import FileDeleteResponse, FileList, FileResponse

from tuner.emulator import Emulator

from . import together_helpers
from .conftest import API_KEY, chat_rows
from .together_helpers import assert_known_fields, bad_rows, write_rows

# Fixtures shared by the Together tests.
client = together_helpers.client
emu = together_helpers.emu


def test_upload_redirects_puts_and_preprocesses(
    emu: Emulator, client: Together, tmp_path: Path
) -> None:
    path = write_rows(tmp_path, "train.jsonl", 12)
    uploaded = client.files.upload(path, purpose="fine-tune")
    assert isinstance(uploaded, FileResponse)
    assert uploaded.id.startswith("file-") and len(uploaded.id) == len("file-") + 36
    assert uploaded.filename == "train.jsonl"
    assert uploaded.bytes == path.stat().st_size
    assert uploaded.file_type == "jsonl" and uploaded.purpose == "fine-tune"
    assert uploaded.processing_status == "COMPLETED"
    fetched = client.files.retrieve(uploaded.id)
    assert_known_fields(fetched)
    assert fetched.validation_report is not None
    assert fetched.validation_report.valid and fetched.validation_report.nlines == 12
    assert fetched.validation_report.dataset_format == "CONVERSATION"
    assert client.files.content(uploaded.id).read() == path.read_bytes()
    with emu.together.state.lock:
        assert not emu.together.state.files[uploaded.id].check_error


def test_list_retrieve_delete(client: Together, tmp_path: Path) -> None:
    first = client.files.upload(write_rows(tmp_path, "a.jsonl", 10)).id
    second = client.files.upload(write_rows(tmp_path, "b.jsonl", 11)).id
    listed = client.files.list()
    assert isinstance(listed, FileList)
    assert_known_fields(listed)
    assert [f.id for f in listed.data] == [second, first]  # newest first
    deleted = client.files.delete(first)
    assert isinstance(deleted, FileDeleteResponse)
    assert (deleted.id, deleted.deleted) == (first, True)
    assert [f.id for f in client.files.list().data] == [second]
    with pytest.raises(together.NotFoundError):
        client.files.retrieve(first)


def test_same_bytes_again_answer_the_existing_file(client: Together, tmp_path: Path) -> None:
    original = client.files.upload(write_rows(tmp_path, "one.jsonl", 10))
    again = client.files.upload(write_rows(tmp_path, "two.jsonl", 10))  # the SDK follows the 409
    assert again.id == original.id
    with pytest.raises(sdk_files.FileAlreadyExistsError):
        client.files.upload(write_rows(tmp_path, "three.jsonl", 10), raise_if_already_exists=True)
    assert len(client.files.list().data) == 1


def test_a_refused_file_uploads_but_reports_its_problem(client: Together, tmp_path: Path) -> None:
    uploaded = client.files.upload(bad_rows(tmp_path))
    report = client.files.retrieve(uploaded.id).validation_report
    assert report is not None and not report.valid
    assert report.error_type == "INVALID_FORMAT"
    assert report.error and "Invalid file format" in report.error


def test_multipart_upload_when_the_file_is_over_the_threshold(
    emu: Emulator, client: Together, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The SDK goes multipart above 5 GiB in 250 MB parts; shrink both so a small file does.
    monkeypatch.setattr(sdk_files, "MULTIPART_THRESHOLD_GB", 0.0)
    monkeypatch.setattr(sdk_files, "TARGET_PART_SIZE_MB", 1)
    monkeypatch.setattr(sdk_files, "MIN_PART_SIZE_MB", 1)
    path = write_rows(tmp_path, "big.jsonl", 15_000)
    assert path.stat().st_size > 2 * 1024 * 1024
    uploaded = client.files.upload(path, check=False)
    assert uploaded.bytes == path.stat().st_size
    assert client.files.content(uploaded.id).read() == path.read_bytes()
    with emu.together.state.lock:
        assert not emu.together.state.multipart  # completed and cleaned up


def test_the_presigned_url_needs_its_token_not_the_api_key(emu: Emulator) -> None:
    base = emu.together_base_url
    with httpx2.Client(headers={"Authorization": f"Bearer {API_KEY}"}) as http:
        form = {"purpose": "fine-tune", "file_name": "t.jsonl", "file_type": "jsonl"}
        reserved = http.post(f"{base}/v1/files", data=form, files={"_": (None, "")})
        assert reserved.status_code == 302
        location = reserved.headers["Location"]
        file_id = reserved.headers["X-Together-File-Id"]
        early = http.post(f"{base}/v1/files/{file_id}/preprocess")
        assert early.status_code == 400
        assert httpx2.put(location + "x", content=b"{}").status_code == 403
    rows = chat_rows(10)
    halves = iter([rows[:100], rows[100:]])  # a generator body goes out chunked
    assert httpx2.put(location, content=halves).status_code == 200
    with httpx2.Client(headers={"Authorization": f"Bearer {API_KEY}"}) as http:
        done = http.post(f"{base}/v1/files/{file_id}/preprocess").json()
    assert done["id"] == file_id and done["Processed"] is True
    assert done["bytes"] == len(rows) and done["validation_report"]["valid"]


def test_one_request_upload_form(emu: Emulator) -> None:
    """The OpenAPI's `POST /files/upload` with the file in the form answers the file at once."""
    with httpx2.Client(headers={"Authorization": f"Bearer {API_KEY}"}) as http:
        answer = http.post(
            f"{emu.together_base_url}/v1/files/upload",
            data={"purpose": "fine-tune", "file_name": "direct.jsonl"},
            files={"file": ("direct.jsonl", chat_rows(10))},
        )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["filename"] == "direct.jsonl" and body["FileType"] == "jsonl"
    assert body["Processed"] is True and body["bytes"] == len(chat_rows(10))


def test_multipart_refuses_missing_parts_and_aborts_cleanly(emu: Emulator) -> None:
    with httpx2.Client(
        base_url=f"{emu.together_base_url}/v1", headers={"Authorization": f"Bearer {API_KEY}"}
    ) as http:
        body = {"file_name": "m.jsonl", "file_size": 6, "num_parts": 2, "purpose": "fine-tune"}
        started = http.post("/files/multipart/initiate", json=body).json()
        ids = {"upload_id": started["upload_id"], "file_id": started["file_id"]}
        first = started["parts"][0]
        put = httpx2.put(first["URL"], content=b"abc")
        assert put.status_code == 200 and put.headers["ETag"]
        parts = [{"part_number": 1, "etag": put.headers["ETag"]}]
        refused = http.post("/files/multipart/complete", json={**ids, "parts": parts})
        assert refused.status_code == 400
        assert http.post("/files/multipart/abort", json=ids).status_code == 200
        assert http.get(f"/files/{started['file_id']}").status_code == 404
    assert httpx2.put(started["parts"][1]["URL"], content=b"def").status_code == 403
