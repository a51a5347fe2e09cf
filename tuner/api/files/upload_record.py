"""Which files tuner uploaded where: a file's checksum and size to the ids it got on a service.

Uploading the same training file again costs time (a large file takes minutes), storage on the
service, and a second id that a user must tell from the first. Together recognises bytes it
already holds by their sha256; OpenAI's file list gives each file's name, size, purpose and
status, but no checksum. So tuner records each upload it makes here (`uploads.json` in its data
folder, a `SharedJsonFile`): per service address, the sha256 of the bytes, their size, the id,
the name and when. Before an upload, `tuner.api.files.checked_upload` looks the file up here and
asks the service whether that id still holds it (listed, same size, not deleted or refused): only
then is it reused. The record is a hint, the service's list is the truth.

Only the last few ids per checksum are kept, so the file stays small however often the same
bytes are uploaded (with `--force-upload`, on purpose).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tuner.api.shared_json import SharedJsonFile, data_file

UPLOADS_FILE = "uploads.json"
# Ids kept per checksum on one service, newest first.
KEPT_PER_CHECKSUM = 5


@dataclass(frozen=True, slots=True)
class RecordedUpload:
    """One upload tuner made: the file id it got, the size and name of what was sent, when."""

    file_id: str
    bytes: int
    filename: str
    uploaded_at: float

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.file_id,
            "bytes": self.bytes,
            "filename": self.filename,
            "uploaded_at": self.uploaded_at,
        }

    @classmethod
    def from_json(cls, item: Any) -> RecordedUpload | None:
        """The entry, or None for one that does not read back whole (it is skipped)."""
        if not isinstance(item, dict):
            return None
        file_id, size, name, when = (
            item.get(k) for k in ("id", "bytes", "filename", "uploaded_at")
        )
        if not isinstance(file_id, str) or not isinstance(size, int) or isinstance(size, bool):
            return None
        when = when if isinstance(when, int | float) and not isinstance(when, bool) else 0.0
        return cls(file_id, size, name if isinstance(name, str) else "", float(when))


def service_key(kind: str, where: str) -> str:
    """How the record names a service: its kind and address, without any user, password,
    query or fragment (`openai https://api.openai.com/v1`). Two accounts on one address share
    a key; their ids never mix up, because each is checked against the account's own list."""
    with contextlib.suppress(ValueError):
        parts = urlsplit(where)
        if parts.scheme and parts.hostname:
            host = parts.hostname + (f":{parts.port}" if parts.port else "")
            where = urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))
    return f"{kind} {where}"


class UploadRecord:
    """The uploads tuner made, by service, then sha256 (see the module docstring)."""

    def __init__(self, path: Path | None = None) -> None:
        self.file = SharedJsonFile(path if path is not None else data_file(UPLOADS_FILE))

    def find(self, service: str, sha256: str, size: int) -> list[RecordedUpload]:
        """The uploads of these bytes (by checksum and size) to `service`, newest first; []
        when none is recorded or the record cannot be read."""
        try:
            entries = self.file.read().get(service, {}).get(sha256, [])
        except (OSError, AttributeError):
            return []
        found = [RecordedUpload.from_json(item) for item in entries if isinstance(entries, list)]
        return [entry for entry in found if entry is not None and entry.bytes == size]

    def add(self, service: str, sha256: str, upload: RecordedUpload) -> None:
        """Record `upload` as the newest of these bytes on `service`. Raises `OSError`."""

        def change(data: dict[str, Any]) -> bool:
            by_sum = data.get(service)
            if not isinstance(by_sum, dict):
                by_sum = data[service] = {}
            earlier = by_sum.get(sha256)
            earlier = earlier if isinstance(earlier, list) else []
            others = [
                e for e in earlier if not (isinstance(e, dict) and e.get("id") == upload.file_id)
            ]
            by_sum[sha256] = [upload.to_json(), *others][:KEPT_PER_CHECKSUM]
            return True

        self.file.update(change)

    def forget(self, service: str, sha256: str, file_id: str) -> None:
        """Drop an id the service no longer holds (deleted, say). Raises `OSError`."""

        def change(data: dict[str, Any]) -> bool:
            entries = (
                data.get(service, {}).get(sha256) if isinstance(data.get(service), dict) else None
            )
            if not isinstance(entries, list):
                return False
            kept = [e for e in entries if not (isinstance(e, dict) and e.get("id") == file_id)]
            if len(kept) == len(entries):
                return False
            data[service][sha256] = kept
            return True

        self.file.update(change)
