"""A small JSON object in tuner's data folder that several processes read and change at once.

tuner keeps a few records there that make running again cost nothing: where each followed job got
to (`cursors`), which files were uploaded where (`upload_record`), which jobs were moved where
(`move_record`). Two `tuner` processes (two terminals, the app and a script) may change the same
file at the same moment, so every change is a read-modify-write under an exclusive lock (`NAME.lock`
beside the file, `filelock`): without it, one process could read, another write, and the first
write its stale copy back, dropping what the second added. The new content is written to a
temporary file in the same folder and renamed over the old one, so a reader never sees half a
file. A missing or damaged file reads as empty (a record lost only means work found again the
slow way, never wrong work).

Changes raise `OSError` when the folder cannot be written (read-only, full, a file where a folder
should be) or the lock is held past `LOCK_TIMEOUT` (`TimeoutError`); callers that can carry on
without the record catch it.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tuner.data.jsonl.atomic_file import create_temporary

# Seconds to wait for another process's lock before giving up with `TimeoutError` (an OSError).
# A write takes milliseconds; only a hung process could hold it this long.
LOCK_TIMEOUT = 10.0
# How often a waiting writer looks again: a write holds the lock for about a millisecond.
LOCK_POLL = 0.005


def data_file(name: str) -> Path:
    """`name` in tuner's data folder (`TUNER_DATA_DIR` moves it); not created here."""
    from tuner.config import data_dir

    return data_dir() / name


class SharedJsonFile:
    """One JSON object on disk, read whole and changed under a lock."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def lock_path(self) -> Path:
        """The lock file every writer takes first; kept beside the file (removing it would
        let two writers lock two different files)."""
        return self.path.with_name(self.path.name + ".lock")

    def read(self) -> dict[str, Any]:
        """What is on disk; {} for a missing or damaged file. Raises `OSError` only when the
        file is there but cannot be read."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, NotADirectoryError, ValueError, UnicodeDecodeError):
            return {}
        return data if isinstance(data, dict) else {}

    def update(self, change: Callable[[dict[str, Any]], bool]) -> None:
        """Under the lock: read the object, let `change` modify it in place, and write it back
        when `change` returns True (nothing is written otherwise). Raises `OSError`."""
        with self._locked():
            data = self.read()
            if change(data):
                self._write(data)

    def _locked(self) -> contextlib.AbstractContextManager[object]:
        """The lock, taken (`TimeoutError` after `LOCK_TIMEOUT`); release it with `with`."""
        from filelock import FileLock

        self.path.parent.mkdir(parents=True, exist_ok=True)
        return FileLock(self.lock_path, timeout=LOCK_TIMEOUT).acquire(poll_interval=LOCK_POLL)

    def _write(self, data: dict[str, Any]) -> None:
        """Replace the file atomically: a temporary file in the same folder, then a rename. No
        fsync: these records are written often, and losing the last change to a power cut only
        costs finding that work again."""
        temp: Path | None = None
        try:
            fd, temp = create_temporary(self.path)
            with open(fd, "w", encoding="utf-8") as handle:
                handle.write(json.dumps(data, indent=1, sort_keys=True))
            os.replace(temp, self.path)
        except BaseException:
            if temp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
            raise
