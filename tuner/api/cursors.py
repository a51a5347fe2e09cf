"""Where each followed job got to: `{job_id: last_seen_event_id}` as JSON in the data dir.

The follower saves the id of each event as it hands it over, so a restarted app (or
`tuner jobs follow --resume`) continues with the next event, never repeating one. Writes are
atomic (temporary file + rename) and merge with what is on disk, so two followers of different
jobs do not erase each other's cursors.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

CURSOR_FILE = "cursors.json"


class CursorStore:
    """A tiny persistent map from job id to the newest event id already shown."""

    def __init__(self, path: Path | None = None) -> None:
        if path is None:
            from tuner.config import data_dir

            path = data_dir() / CURSOR_FILE
        self.path = path

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError, UnicodeDecodeError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): v for k, v in data.items() if isinstance(v, str)}

    def get(self, job_id: str) -> str | None:
        """The last event id seen for `job_id`, or None."""
        return self._read().get(job_id)

    def set(self, job_id: str, event_id: str) -> None:
        data = self._read()
        if data.get(job_id) == event_id:
            return
        data[job_id] = event_id
        self._write(data)

    def forget(self, job_id: str) -> None:
        data = self._read()
        if data.pop(job_id, None) is not None:
            self._write(data)

    def _write(self, data: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)
