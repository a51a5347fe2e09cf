"""Files and Uploads through the real SDK."""

from __future__ import annotations

import openai
import pytest
from openai import OpenAI
from openai.types import FileDeleted, FileObject, Upload
from openai.types.uploads import UploadPart

from tuner.emulator import Emulator

from .conftest import assert_no_extras, chat_rows


def test_create_retrieve_list_content_delete(client: OpenAI) -> None:
    content = chat_rows(12)
    created = client.files.create(file=("train.jsonl", content), purpose="fine-tune")
    assert isinstance(created, FileObject)
    assert_no_extras(created)
    assert created.id.startswith("file-")
    assert (created.bytes, created.filename, created.purpose) == (
        len(content),
        "train.jsonl",
        "fine-tune",
    )
    assert created.status == "processed"
    assert client.files.retrieve(created.id) == created
    assert client.files.content(created.id).content == content
    listed = client.files.list()
    assert [f.id for f in listed.data] == [created.id]
    deleted = client.files.delete(created.id)
    assert isinstance(deleted, FileDeleted)
    assert (deleted.id, deleted.deleted, deleted.object) == (created.id, True, "file")
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(created.id)


def test_list_filters_orders_and_pages(client: OpenAI) -> None:
    ids = [
        client.files.create(file=(f"f{i}.jsonl", chat_rows(1)), purpose="fine-tune").id
        for i in range(5)
    ]
    batch = client.files.create(file=("b.jsonl", b"{}\n"), purpose="batch").id
    assert [f.id for f in client.files.list(purpose="fine-tune").data] == ids[::-1]
    assert [f.id for f in client.files.list(order="asc").data] == [*ids, batch]
    first = client.files.list(purpose="fine-tune", limit=2)
    assert first.has_more is True
    assert [f.id for f in first.data] == ids[:2:-1][:2]
    # The SDK's auto-paging follows `after` to the end.
    assert [f.id for f in client.files.list(purpose="fine-tune", limit=2)] == ids[::-1]


def test_bad_purpose_is_refused_with_param(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.create(file=("x.jsonl", b"{}"), purpose="nonsense")  # type: ignore[arg-type]
    assert caught.value.status_code == 400
    body = caught.value.body
    assert isinstance(body, dict)
    assert body["param"] == "purpose"
    assert body["type"] == "invalid_request_error"


def test_fine_tune_files_must_be_jsonl(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match=r"\.jsonl"):
        client.files.create(file=("train.txt", chat_rows(10)), purpose="fine-tune")


def test_file_over_the_limit_points_to_uploads(emu: Emulator, client: OpenAI) -> None:
    emu.service.files.max_file_bytes = 100  # stands in for 512 MB
    with pytest.raises(openai.BadRequestError, match="Uploads API") as caught:
        client.files.create(file=("big.jsonl", b"x" * 101), purpose="fine-tune")
    assert caught.value.code == "file_too_large"
    assert client.files.list().data == []


def test_upload_in_parts(emu: Emulator, client: OpenAI) -> None:
    content = chat_rows(30)
    upload = client.uploads.create(
        bytes=len(content), filename="big.jsonl", mime_type="text/jsonl", purpose="fine-tune"
    )
    assert isinstance(upload, Upload)
    assert_no_extras(upload)
    assert upload.id.startswith("upload_") and upload.status == "pending"
    half = len(content) // 2
    second = client.uploads.parts.create(upload.id, data=content[half:])
    first = client.uploads.parts.create(upload.id, data=content[:half])
    assert isinstance(first, UploadPart)
    assert first.id.startswith("part_") and first.upload_id == upload.id
    done = client.uploads.complete(upload.id, part_ids=[first.id, second.id])
    assert done.status == "completed"
    assert done.file is not None
    assert_no_extras(done)
    assert done.file.bytes == len(content)
    assert client.files.content(done.file.id).content == content


def test_upload_file_chunked_helper(emu: Emulator, client: OpenAI) -> None:
    content = chat_rows(40)
    done = client.uploads.upload_file_chunked(
        file=content,
        filename="chunked.jsonl",
        bytes=len(content),
        mime_type="text/jsonl",
        purpose="fine-tune",
        part_size=1000,
    )
    assert done.file is not None
    assert client.files.content(done.file.id).content == content


def test_upload_byte_count_must_match(client: OpenAI) -> None:
    upload = client.uploads.create(
        bytes=10, filename="a.jsonl", mime_type="text/jsonl", purpose="fine-tune"
    )
    part = client.uploads.parts.create(upload.id, data=b"12345")
    with pytest.raises(openai.BadRequestError, match="does not match"):
        client.uploads.complete(upload.id, part_ids=[part.id])


def test_upload_part_size_limit(emu: Emulator, client: OpenAI) -> None:
    emu.service.files.max_part_bytes = 4  # stands in for 64 MB
    upload = client.uploads.create(
        bytes=10, filename="a.jsonl", mime_type="text/jsonl", purpose="fine-tune"
    )
    with pytest.raises(openai.BadRequestError, match="part"):
        client.uploads.parts.create(upload.id, data=b"12345")


def test_cancelled_upload_cannot_complete(client: OpenAI) -> None:
    upload = client.uploads.create(
        bytes=5, filename="a.jsonl", mime_type="text/jsonl", purpose="fine-tune"
    )
    part = client.uploads.parts.create(upload.id, data=b"12345")
    assert client.uploads.cancel(upload.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError, match="cancelled"):
        client.uploads.complete(upload.id, part_ids=[part.id])


def test_upload_expires_after_an_hour(emu: Emulator, client: OpenAI) -> None:
    upload = client.uploads.create(
        bytes=5, filename="a.jsonl", mime_type="text/jsonl", purpose="fine-tune"
    )
    emu.advance(3601)
    with pytest.raises(openai.BadRequestError, match="expired"):
        client.uploads.parts.create(upload.id, data=b"12345")
