"""Together's Files endpoints, including the presigned-URL upload the SDK performs.

The official SDK uploads in three steps: `POST /v1/files` (form fields `purpose`, `file_name`,
`file_type`, `checksum`) answered by a 302 whose `Location` is a presigned PUT URL and whose
`X-Together-File-Id` names the file; a `PUT` of the raw bytes to that URL (with no API key,
as to S3); then `POST /v1/files/{id}/preprocess`. Above 5 GiB it switches to multipart
(`/files/multipart/initiate`, a PUT per part returning an `ETag`, `/complete` or `/abort`).
The presigned URLs are served by this same emulator under `/together/_presigned/<token>`.
The OpenAPI's one-request `POST /files/upload` (a multipart form with the file) is served too.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from typing import Any

from ..multipart import Part
from ..wire import FileResponse, JsonResponse, Request
from .errors import access_denied, entity_too_large, file_already_exists, file_not_found, invalid
from .store import MultipartUpload, TogetherFile, TogetherState, UploadTarget

# The union of the OpenAPI's FilePurpose and the SDK's.
PURPOSES = frozenset(
    {"fine-tune", "eval", "eval-sample", "eval-output", "eval-summary", "batch-generated"}
    | {"batch-api", "calibration"}
)
FILE_TYPES = ("jsonl", "csv", "parquet")
PRESIGNED_PREFIX = "/together/_presigned/"


class FilesEndpoints:
    """Handlers for `/files...` and the presigned upload targets."""

    def __init__(self, state: TogetherState) -> None:
        self.state = state

    # Upload ---------------------------------------------------------------------------

    def request_upload(self, req: Request) -> JsonResponse:
        """`POST /files`: reserve a file id and redirect to a presigned PUT URL."""
        fields = {name: part.text() for name, part in req.form.items() if part.path is None}
        stored = self._reserve(
            fields.get("file_name", ""),
            fields.get("purpose", ""),
            fields.get("file_type"),
            fields.get("checksum", ""),
        )
        url = self._presign(req, UploadTarget(stored.id))
        return JsonResponse({}, 302, {"Location": url, "X-Together-File-Id": stored.id})

    def upload(self, req: Request) -> JsonResponse:
        """`POST /files/upload`: the whole file in one multipart form (the OpenAPI's form)."""
        part = req.form.get("file")
        if part is None or part.path is None:
            return self.request_upload(req)
        name = req.form.get("file_name")
        purpose = req.form.get("purpose")
        file_type = req.form.get("file_type")
        stored = self._reserve(
            name.text() if name else os.path.basename(part.filename or ""),
            purpose.text() if purpose else "",
            file_type.text() if file_type else None,
            "",
        )
        with self.state.lock:
            self.state.adopt(stored, part.path, part.size)
            part.path = None
            self.state.check(stored)
            return JsonResponse(stored.to_json())

    def admit_put(self, token: str, declared: int | None, limit: int) -> None:
        """Refuse a presigned PUT before its body is read, as S3 does: an unknown URL (403
        `AccessDenied`), or a declared length over `limit` (400 `EntityTooLarge`)."""
        with self.state.lock:
            target = self.state.targets.get(token)
            known = target is not None and target.file_id in self.state.files
        if not known:
            raise access_denied()
        if declared is not None and declared > limit:
            raise entity_too_large(declared, limit)

    def put_presigned(self, req: Request, token: str) -> JsonResponse:
        """The presigned PUT: the raw bytes of a file or of one multipart part."""
        body: Part | None = req.form.get("body")
        if body is None or body.path is None:
            fd, path = tempfile.mkstemp(dir=self.state.spool_dir)
            os.close(fd)
            size = 0
        else:
            path, size, body.path = body.path, body.size, None
        etag = _md5(path)
        with self.state.lock:
            target = self.state.targets.get(token)
            stored = self.state.files.get(target.file_id) if target else None
            if target is None or stored is None:
                _remove(path)
                raise access_denied()
            if target.upload_id is None:
                self.state.adopt(stored, path, size)
            else:
                upload = self.state.multipart[target.upload_id]
                old = upload.parts.get(target.part_number)
                if old is not None:
                    _remove(old[0])
                upload.parts[target.part_number] = (path, size, etag)
        return JsonResponse({}, 200, {"ETag": f'"{etag}"'})

    def preprocess(self, req: Request, file_id: str) -> JsonResponse:
        """`POST /files/{id}/preprocess`: check the uploaded bytes; answer the file."""
        with self.state.lock:
            stored = self.state.files.get(file_id)
            if stored is None:
                raise file_not_found(file_id)
            if not stored.uploaded:
                raise invalid(f"File {file_id} has no content yet: PUT it to the upload URL first.")
            self.state.check(stored)
            return JsonResponse(stored.to_json())

    # Multipart ------------------------------------------------------------------------

    def initiate_multipart(self, req: Request) -> JsonResponse:
        body = req.body()
        num_parts = body.get("num_parts")
        size = body.get("file_size")
        if not isinstance(num_parts, int) or not 1 <= num_parts <= 10_000:
            raise invalid("num_parts must be an integer from 1 to 10000.", "num_parts")
        if not isinstance(size, int) or size < 1:
            raise invalid("file_size must be a positive integer.", "file_size")
        stored = self._reserve(
            str(body.get("file_name", "")),
            str(body.get("purpose", "")),
            body.get("file_type"),
            str(body.get("checksum", "")),
        )
        with self.state.lock:
            upload = MultipartUpload(self.state.ids.hex(32), stored.id, num_parts, size)
            self.state.multipart[upload.id] = upload
        parts = [
            {
                "PartNumber": number,
                "URL": self._presign(req, UploadTarget(stored.id, upload.id, number)),
                "Headers": {},
            }
            for number in range(1, num_parts + 1)
        ]
        return JsonResponse({"upload_id": upload.id, "file_id": stored.id, "parts": parts})

    def complete_multipart(self, req: Request) -> JsonResponse:
        body = req.body()
        with self.state.lock:
            upload = self._upload(body)
            listed = body.get("parts")
            listed = listed if isinstance(listed, list) else []
            numbers = [
                item.get("part_number") if isinstance(item, dict) else None for item in listed
            ]
            expected = list(range(1, upload.num_parts + 1))
            if not all(isinstance(n, int) for n in numbers) or sorted(numbers) != expected:
                raise invalid(f"Expected parts 1 to {upload.num_parts}, each once.", "parts")
            for item in listed:
                number = item.get("part_number") if isinstance(item, dict) else None
                part = upload.parts.get(number) if isinstance(number, int) else None
                if part is None or str(item.get("etag", "")).strip('"') != part[2]:
                    raise invalid(f"Part {number} was not uploaded or its ETag differs.", "parts")
            with tempfile.NamedTemporaryFile(dir=self.state.spool_dir, delete=False) as handle:
                for number in range(1, upload.num_parts + 1):
                    with open(upload.parts[number][0], "rb") as source:
                        shutil.copyfileobj(source, handle, 1024 * 1024)
            total = sum(size for _, size, _ in upload.parts.values())
            self._drop(upload)
            stored = self.state.files[upload.file_id]
            self.state.adopt(stored, handle.name, total)
            self.state.check(stored)
            return JsonResponse(stored.to_json())

    def abort_multipart(self, req: Request) -> JsonResponse:
        with self.state.lock:
            upload = self._upload(req.body())
            self._drop(upload)
            self.state.delete_file(upload.file_id)
        return JsonResponse({})

    # Reading and deleting -------------------------------------------------------------

    def list_files(self, req: Request) -> JsonResponse:
        with self.state.lock:
            files = [f.to_json() for f in reversed(self.state.files.values()) if f.uploaded]
        return JsonResponse({"data": files})

    def get_file(self, req: Request, file_id: str) -> JsonResponse:
        with self.state.lock:
            return JsonResponse(self._file(file_id).to_json())

    def file_content(self, req: Request, file_id: str) -> FileResponse:
        with self.state.lock:
            stored = self._file(file_id)
            assert stored.path is not None
            return FileResponse(stored.path, stored.bytes, "application/octet-stream")

    def delete_file(self, req: Request, file_id: str) -> JsonResponse:
        with self.state.lock:
            if file_id not in self.state.files or not self.state.delete_file(file_id):
                raise file_not_found(file_id)
        return JsonResponse({"id": file_id, "deleted": True})

    # Helpers --------------------------------------------------------------------------

    def _file(self, file_id: str) -> TogetherFile:
        stored = self.state.files.get(file_id)
        if stored is None or not stored.uploaded:
            raise file_not_found(file_id)
        return stored

    def _reserve(self, file_name: str, purpose: str, file_type: Any, checksum: str) -> TogetherFile:
        """A new file record awaiting its bytes, or a 409 if the same bytes are already held."""
        file_name = os.path.basename(file_name)
        if not file_name:
            raise invalid("file_name is required.", "file_name")
        if purpose not in PURPOSES:
            raise invalid(f"Invalid purpose '{purpose}'.", "purpose")
        if file_type is None:
            file_type = file_name.rsplit(".", 1)[-1].lower()
        if file_type not in FILE_TYPES:
            raise invalid(
                f"Unsupported file type '{file_type}'. Supported: jsonl, csv, parquet.",
                "file_type",
            )
        with self.state.lock:
            for other in self.state.files.values():
                if (
                    checksum
                    and other.uploaded
                    and (other.checksum, other.purpose)
                    == (
                        checksum,
                        purpose,
                    )
                ):
                    raise file_already_exists(other.id)
            stored = TogetherFile(
                id=self.state.ids.uuid("file-"),
                filename=file_name,
                purpose=purpose,
                file_type=str(file_type),
                created_at=int(self.state.now()),
                checksum=checksum,
            )
            self.state.files[stored.id] = stored
            return stored

    def _presign(self, req: Request, target: UploadTarget) -> str:
        token = self.state.ids.hex(40)
        with self.state.lock:
            self.state.targets[token] = target
        host = req.headers.get("host", "127.0.0.1")
        return f"http://{host}{PRESIGNED_PREFIX}{token}"

    def _upload(self, body: dict[str, Any]) -> MultipartUpload:
        upload = self.state.multipart.get(str(body.get("upload_id")))
        if upload is None or upload.file_id != body.get("file_id"):
            raise invalid("No such multipart upload.", "upload_id")
        return upload

    def _drop(self, upload: MultipartUpload) -> None:
        for path, _, _ in upload.parts.values():
            _remove(path)
        upload.parts.clear()
        self.state.multipart.pop(upload.id, None)
        for token in [t for t, x in self.state.targets.items() if x.upload_id == upload.id]:
            del self.state.targets[token]


def _md5(path: str) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
