"""Where each followed job got to: `{job_id: last_seen_event_id}` as JSON in the data dir.

The follower saves the id of each event as it hands it over, so a restarted app (or
`tuner jobs follow --resume`) continues with the next event, never repeating one.

Several processes share the file (two `tuner jobs follow` in two terminals, the app), so it is a
`SharedJsonFile`: every change a read-modify-write under a lock, written whole by a rename. No
fsync: the follower saves after every event, and a cursor lost to a power cut only means events
shown again, never events lost (a damaged file reads as a fresh start).

Writes raise `OSError` when the folder cannot be written (read-only, full, a file where a folder
should be); callers that can carry on without a cursor catch it (see `EventFollower`).
"""

from __future__ import annotations

from pathlib import Path

from tuner.api.shared_json import LOCK_POLL, LOCK_TIMEOUT, SharedJsonFile, data_file

__all__ = ["CURSOR_FILE", "LOCK_POLL", "LOCK_TIMEOUT", "CursorStore"]

CURSOR_FILE = "cursors.json"


class CursorStore:
    """A tiny persistent map from job id to the newest event id already shown."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else data_file(CURSOR_FILE)
        self._file = SharedJsonFile(self.path)

    @property
    def lock_path(self) -> Path:
        """The lock file every writer takes first; kept beside the cursor file."""
        return self._file.lock_path

    def _read(self) -> dict[str, str]:
        """What is on disk; {} for a missing or damaged file (a fresh start, not an error)."""
        return {str(k): v for k, v in self._file.read().items() if isinstance(v, str)}

    def get(self, job_id: str) -> str | None:
        """The last event id seen for `job_id`, or None (also when the file cannot be read:
        following from the start is better than not following)."""
        try:
            return self._read().get(job_id)
        except OSError:
            return None

    def set(self, job_id: str, event_id: str) -> None:
        """Save `event_id` as the last one shown for `job_id`. Raises `OSError`."""

        def change(data: dict[str, object]) -> bool:
            if data.get(job_id) == event_id:
                return False
            data[job_id] = event_id
            return True

        self._file.update(change)

    def forget(self, job_id: str) -> None:
        """Drop `job_id`'s cursor. Raises `OSError`."""
        self._file.update(lambda data: data.pop(job_id, None) is not None)
