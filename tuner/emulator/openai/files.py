"""The Files and Uploads endpoints: small files in one request, big ones in parts.

Part data arrives already on disk (see `multipart`); completing an Upload concatenates
the parts file by file, so gigabytes never pass through memory.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from typing import Any

from ..errors import invalid_request, not_found
from ..wire import FileResponse, JsonResponse, Request
from .store import FILE_PURPOSES, State, StoredFile, UploadPartRecord, UploadRecord

MB = 1024 * 1024
GB = 1024 * MB
UPLOAD_EXPIRES_AFTER = 3600


class FilesEndpoints:
    """Handlers for `/files` and `/uploads`. Size limits are attributes so tests can shrink them."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.max_file_bytes = 512 * MB
        self.max_upload_bytes = 8 * GB
        self.max_part_bytes = 64 * MB

    # Files --------------------------------------------------------------------------

    def create_file(self, req: Request) -> JsonResponse:
        purpose_part = req.form.get("purpose")
        upload = req.form.get("file")
        if upload is None or upload.path is None:
            raise invalid_request("Missing required parameter: 'file'.", param="file")
        if purpose_part is None:
            raise invalid_request("Missing required parameter: 'purpose'.", param="purpose")
        purpose = _check_purpose(purpose_part.text())
        if upload.size > self.max_file_bytes:
            raise invalid_request(
                f"File is too large ({upload.size} bytes). The maximum size for a file is "
                f"{self.max_file_bytes // MB} MB; upload larger files (up to 8 GB) in parts "
                "with the Uploads API (POST /v1/uploads).",
                param="file",
                code="file_too_large",
            )
        filename = os.path.basename(upload.filename or "file")
        if purpose == "fine-tune" and not filename.lower().endswith(".jsonl"):
            raise invalid_request(
                "Invalid file format for Fine-Tuning API. Must be .jsonl", param="file"
            )
        stored = self.state.add_file(filename, purpose, upload.path, upload.size)
        upload.path = None  # adopted by the store
        return JsonResponse(stored.to_json())

    def list_files(self, req: Request) -> JsonResponse:
        purpose = req.arg("purpose")
        limit = req.int_arg("limit", 10000, 1, 10000)
        order = req.arg("order", "desc")
        if order not in ("asc", "desc"):
            raise invalid_request("Invalid 'order': expected 'asc' or 'desc'.", param="order")
        with self.state.lock:
            files = [f for f in self.state.files.values() if purpose in (None, f.purpose)]
        if order == "desc":
            files.reverse()
        data, has_more = page(files, req.arg("after"), limit)
        body = list_body([f.to_json() for f in data], has_more)
        return JsonResponse(body)

    def get_file(self, req: Request, file_id: str) -> JsonResponse:
        return JsonResponse(self._file(file_id).to_json())

    def delete_file(self, req: Request, file_id: str) -> JsonResponse:
        if not self.state.delete_file(file_id):
            raise _no_file(file_id)
        return JsonResponse({"id": file_id, "object": "file", "deleted": True})

    def file_content(self, req: Request, file_id: str) -> FileResponse:
        stored = self._file(file_id)
        kind = "text/csv" if stored.filename.endswith(".csv") else "application/octet-stream"
        return FileResponse(stored.path, stored.bytes, kind)

    def _file(self, file_id: str) -> StoredFile:
        with self.state.lock:
            stored = self.state.files.get(file_id)
        if stored is None:
            raise _no_file(file_id)
        return stored

    # Uploads ------------------------------------------------------------------------

    def create_upload(self, req: Request) -> JsonResponse:
        body = req.body()
        for key in ("filename", "purpose", "bytes", "mime_type"):
            if body.get(key) is None:
                raise invalid_request(f"Missing required parameter: '{key}'.", param=key)
        for key in ("filename", "mime_type"):
            if not isinstance(body[key], str):
                raise invalid_request(f"'{key}' must be a string.", param=key)
        purpose = _check_purpose(body["purpose"])
        size = body["bytes"]
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise invalid_request("'bytes' must be a positive integer.", param="bytes")
        if size > self.max_upload_bytes:
            raise invalid_request(
                f"An Upload can hold at most {self.max_upload_bytes // GB} GB.", param="bytes"
            )
        now = self.state.now()
        upload = UploadRecord(
            id=self.state.ids.new("upload_"),
            filename=os.path.basename(body["filename"]),
            purpose=purpose,
            bytes=size,
            mime_type=body["mime_type"],
            created_at=now,
            expires_at=now + UPLOAD_EXPIRES_AFTER,
        )
        with self.state.lock:
            self.state.uploads[upload.id] = upload
        return JsonResponse(upload.to_json())

    def add_part(self, req: Request, upload_id: str) -> JsonResponse:
        data = req.form.get("data")
        if data is None or data.path is None:
            raise invalid_request("Missing required parameter: 'data'.", param="data")
        if data.size > self.max_part_bytes:
            raise invalid_request(
                f"A part can be at most {self.max_part_bytes // MB} MB "
                f"(this one is {data.size} bytes).",
                param="data",
            )
        with self.state.lock:
            upload = self._pending(upload_id)
            part = UploadPartRecord(
                self.state.ids.new("part_"), upload_id, self.state.now(), data.path, data.size
            )
            upload.parts[part.id] = part
            data.path = None  # adopted by the upload
        return JsonResponse(part.to_json())

    def complete_upload(self, req: Request, upload_id: str) -> JsonResponse:
        body = req.body()
        part_ids = body.get("part_ids")
        if not isinstance(part_ids, list) or not all(isinstance(p, str) for p in part_ids):
            raise invalid_request("'part_ids' must be a list of part ids.", param="part_ids")
        with self.state.lock:
            upload = self._pending(upload_id)
            unknown = [p for p in part_ids if p not in upload.parts]
            if unknown:
                raise invalid_request(
                    f"Part {unknown[0]} does not belong to upload {upload_id}.", param="part_ids"
                )
            parts = [upload.parts[p] for p in part_ids]
            total = sum(p.size for p in parts)
            if total != upload.bytes:
                raise invalid_request(
                    f"The number of bytes uploaded ({total}) does not match the number of "
                    f"bytes specified when the Upload was created ({upload.bytes}).",
                    param="part_ids",
                )
            with tempfile.NamedTemporaryFile(dir=self.state.spool_dir, delete=False) as handle:
                for part in parts:
                    with open(part.path, "rb") as source:
                        shutil.copyfileobj(source, handle, MB)
            _remove_parts(upload)
            upload.file = self.state.add_file(upload.filename, upload.purpose, handle.name, total)
            upload.status = "completed"
            return JsonResponse(upload.to_json())

    def cancel_upload(self, req: Request, upload_id: str) -> JsonResponse:
        with self.state.lock:
            upload = self._pending(upload_id)
            _remove_parts(upload)
            upload.status = "cancelled"
            return JsonResponse(upload.to_json())

    def _pending(self, upload_id: str) -> UploadRecord:
        upload = self.state.uploads.get(upload_id)
        if upload is None:
            raise not_found(f"No such upload: {upload_id}", param="upload_id")
        if upload.status == "pending" and self.state.now() > upload.expires_at:
            upload.status = "expired"
            _remove_parts(upload)
        if upload.status != "pending":
            raise invalid_request(
                f"Upload {upload_id} is {upload.status}; only a pending upload can be changed.",
                param="upload_id",
            )
        return upload


def _check_purpose(purpose: Any) -> str:
    if purpose not in FILE_PURPOSES:
        allowed = ", ".join(f"'{p}'" for p in FILE_PURPOSES)
        raise invalid_request(f"'{purpose}' is not one of [{allowed}] - 'purpose'", param="purpose")
    return str(purpose)


def _no_file(file_id: str) -> Exception:
    return not_found(f"No such File object: {file_id}", param="id")


def _remove_parts(upload: UploadRecord) -> None:
    for part in upload.parts.values():
        with contextlib.suppress(FileNotFoundError):
            os.unlink(part.path)
    upload.parts.clear()


def page(items: list[Any], after: str | None, limit: int) -> tuple[list[Any], bool]:
    """Cursor paging over items already in list order: those after the one with id `after`."""
    if after is not None:
        ids = [item.id for item in items]
        if after not in ids:
            return [], False
        items = items[ids.index(after) + 1 :]
    return items[:limit], len(items) > limit


def list_body(data: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    """A cursor-paged list in the service's shape (with first/last ids, as files use)."""
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": has_more,
    }
