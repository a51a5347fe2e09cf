"""Where each followed job got to: `{job_id: last_seen_event_id}` as JSON in the data dir.

The follower saves the id of each event as it hands it over, so a restarted app (or
`tuner jobs follow --resume`) continues with the next event, never repeating one.

Several processes share the file (two `tuner jobs follow` in two terminals, the app), so every
change is a read-modify-write under an exclusive lock (`cursors.json.lock` beside the file,
`filelock`): without it, one process could read, another write, and the first write its stale
copy back, rolling a job's cursor back or dropping the key. The new content is written to a
temporary file in the same folder and renamed over the old one, so a reader never sees half a
file. No fsync: the follower saves after every event, and a cursor lost to a power cut only
means events shown again, never events lost (a damaged file reads as a fresh start).

Writes raise `OSError` when the folder cannot be written (read-only, full, a file where a folder
should be); callers that can carry on without a cursor catch it (see `EventFollower`).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

CURSOR_FILE = "cursors.json"
# Seconds to wait for another process's lock before giving up with `TimeoutError` (an OSError).
# A write takes milliseconds; only a hung process could hold it this long.
LOCK_TIMEOUT = 10.0
# How often a waiting writer looks again: a write holds the lock for about a millisecond.
LOCK_POLL = 0.005


class CursorStore:
    """A tiny persistent map from job id to the newest event id already shown."""

    def __init__(self, path: Path | None = None) -> None:
        if path is None:
            from tuner.config import data_dir

            path = data_dir() / CURSOR_FILE
        self.path = path

    @property
    def lock_path(self) -> Path:
        """The lock file every writer takes first; kept beside the cursor file."""
        return self.path.with_name(self.path.name + ".lock")

    def _read(self) -> dict[str, str]:
        """What is on disk; {} for a missing or damaged file (a fresh start, not an error)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError, UnicodeDecodeError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): v for k, v in data.items() if isinstance(v, str)}

    def get(self, job_id: str) -> str | None:
        """The last event id seen for `job_id`, or None (also when the file cannot be read:
        following from the start is better than not following)."""
        try:
            return self._read().get(job_id)
        except OSError:
            return None

    def set(self, job_id: str, event_id: str) -> None:
        """Save `event_id` as the last one shown for `job_id`. Raises `OSError`."""
        with self._locked():
            data = self._read()
            if data.get(job_id) == event_id:
                return
            data[job_id] = event_id
            self._write(data)

    def forget(self, job_id: str) -> None:
        """Drop `job_id`'s cursor. Raises `OSError`."""
        with self._locked():
            data = self._read()
            if data.pop(job_id, None) is not None:
                self._write(data)

    def _locked(self) -> contextlib.AbstractContextManager[object]:
        """The lock, taken (`TimeoutError` after `LOCK_TIMEOUT`); release it with `with`."""
        from filelock import FileLock

        self.path.parent.mkdir(parents=True, exist_ok=True)
        return FileLock(self.lock_path, timeout=LOCK_TIMEOUT).acquire(poll_interval=LOCK_POLL)

    def _write(self, data: dict[str, str]) -> None:
        """Replace the file atomically: a temporary file in the same folder, then a rename."""
        fd, name = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
        )
        try:
            with open(fd, "w", encoding="utf-8") as handle:
                handle.write(json.dumps(data, indent=1, sort_keys=True))
            os.replace(name, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(name)
            raise
