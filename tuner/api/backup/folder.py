"""Where a backup keeps things on disk, and how it writes them: a whole file or none.

A backup folder outlives the account it came from, and a later run resumes it, so what is on
disk is the truth: a file under its final name is complete because every file is written to a
hidden temporary file beside it and renamed into place (`tuner.data.jsonl.atomic_file`). A run that
is killed leaves at most a hidden temporary file (`.NAME.PID-XXXXXXXX.tmp`), which no run
trusts and the next one removes.

    DIR/
      README.md              for a person: what is here, how to use it
      index.json             every job and file, local paths, sizes, sha256, what is missing
      jobs/JOB/job.json      the job (`Job.to_json()`); written last, so it marks the job done
      jobs/JOB/events.jsonl  its events, oldest first, one per line
      jobs/JOB/checkpoints.json
      jobs/JOB/metrics.json  per-step metrics, for a service that keeps no result file
      files/ID__NAME         a file's bytes, by its id and original name (just ID if unknown)

Ids and names come from the service and are made safe as one path component here, so nothing
the service says can write outside the folder. The writes run in a thread (a training file
can be large and fsync is slow: the app's event loop must not wait on them); `in_thread` lets
a started write finish even when the backup is cancelled, so nothing is written into the
folder after `backup()` has returned.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from tuner.api.errors import os_reason
from tuner.data.jsonl.atomic_file import (
    OutputError,
    output_target,
    remove_stale_temporaries,
    write_atomically,
)

T = TypeVar("T")
log = logging.getLogger(__name__)

INDEX_NAME = "index.json"
README_NAME = "README.md"
JOBS_DIR = "jobs"
FILES_DIR = "files"
JOB_JSON = "job.json"
EVENTS_JSONL = "events.jsonl"
CHECKPOINTS_JSON = "checkpoints.json"
METRICS_JSON = "metrics.json"
ID_SEPARATOR = "__"

_UNSAFE = re.compile(r"[^\w.-]+")
_MAX_NAME = 120
# File ids and the separator at the start of a name (`file-abc__`, OpenAI's or Together's ids).
_ID_PREFIXES = re.compile(r"^(?:file-[A-Za-z0-9-]+" + ID_SEPARATOR + ")+")
_CHUNK = 1 << 20


class BackupError(Exception):
    """The backup folder cannot be used or written. One line, naming the path the user gave."""


# --------------------------------------------------------------------------- names


def safe_name(text: str) -> str:
    """`text` as one path component: its last segment, runs of anything but letters, digits,
    `.`, `-` and `_` replaced by `_`, no leading dot (nothing hidden, no `..`), at most 120
    characters (the extension kept). "" when nothing is left."""
    last = text.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", last).lstrip(".")
    if len(name) > _MAX_NAME:
        stem, dot, suffix = name.rpartition(".")
        if dot and 0 < len(suffix) <= 16:
            name = stem[: _MAX_NAME - len(suffix) - 1] + "." + suffix
        else:
            name = name[:_MAX_NAME]
    return name


def safe_id(service_id: str) -> str:
    """A job or file id as a path component; an id that had to change gets a short hash of
    the original, so two ids never share a folder."""
    name = safe_name(service_id).replace(ID_SEPARATOR, "_")
    if name == service_id:
        return name
    digest = hashlib.sha256(service_id.encode()).hexdigest()[:8]
    return f"{name or 'id'}-{digest}"


def file_name(file_id: str, filename: str | None) -> str:
    """`file-abc__train.jsonl`: the id, then the original name when the service gave one.

    A name that itself starts with file ids (a file tuner uploaded from a work folder,
    `file-abc__train.together.jsonl`) loses them: the id in front is this file's own, and a
    file moved twice is not `file-new__file-abc__...`."""
    name = safe_name(_ID_PREFIXES.sub("", filename or ""))
    return f"{safe_id(file_id)}{ID_SEPARATOR}{name}" if name else safe_id(file_id)


# --------------------------------------------------------------------------- the folder


class BackupFolder:
    """The paths of one backup folder. `root` is the folder as the user gave it, so every
    path and message names it their way."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.index = root / INDEX_NAME
        self.readme = root / README_NAME
        self.jobs = root / JOBS_DIR
        self.files = root / FILES_DIR

    def job_dir(self, job_id: str) -> Path:
        return self.jobs / safe_id(job_id)

    def relative(self, path: Path) -> str:
        """`path` relative to the folder, with `/`: what the index records (portable)."""
        return path.relative_to(self.root).as_posix()

    def prepare(self) -> None:
        """Create the folder and its sub-folders; refuse a file, and remove the temporary
        files of a run that was killed. Raises `BackupError`."""
        if self.root.exists() and not self.root.is_dir():
            raise BackupError(f"{self.root} is a file, not a folder")
        for folder in (self.root, self.jobs, self.files):
            make_folder(folder)
        self._remove_leftovers()

    def _remove_leftovers(self) -> None:
        folders = [self.root, self.files]
        try:
            folders += [entry for entry in self.jobs.iterdir() if entry.is_dir()]
        except OSError as exc:
            raise BackupError(f"cannot read {self.jobs}: {os_reason(exc)}") from None
        for folder in folders:
            try:
                remove_stale_temporaries(folder)
            except OSError as exc:
                raise BackupError(f"cannot read {folder}: {os_reason(exc)}") from None

    def local_files(self) -> dict[str, Path]:
        """The files already saved, by the safe form of their id (the name up to `__`)."""
        found: dict[str, Path] = {}
        for entry in _entries(self.files):
            if entry.name.startswith(".") or not entry.is_file():
                continue
            found[entry.name.partition(ID_SEPARATOR)[0]] = entry
        return found

    def saved_job_ids(self) -> list[str]:
        """The folder names under `jobs/` that hold a `job.json` (a job saved by some run)."""
        return sorted(
            entry.name
            for entry in _entries(self.jobs)
            if not entry.name.startswith(".") and (entry / JOB_JSON).is_file()
        )


def _entries(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise BackupError(f"cannot read {folder}: {os_reason(exc)}") from None


# --------------------------------------------------------------------------- writing


def write_bytes(path: Path, data: bytes | memoryview) -> str:
    """Replace `path` with `data`, atomically; returns the sha256 of what was written.

    `data` goes out in 1 MB pieces, so a large file is not copied whole on its way to disk.
    """
    digest = hashlib.sha256()

    def write(out: BinaryIO) -> bool:
        view = memoryview(data)
        for start in range(0, len(view), _CHUNK):
            piece = view[start : start + _CHUNK]
            digest.update(piece)
            out.write(piece)
        return True

    try:
        write_atomically(output_target(path, force=True), write)
    except OutputError as exc:
        raise BackupError(str(exc)) from None
    except OSError as exc:
        raise BackupError(f"cannot write {path}: {os_reason(exc)}") from None
    return digest.hexdigest()


def json_bytes(value: Any) -> bytes:
    """`value` as the readable JSON every backup file uses (indented, UTF-8, final newline)."""
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def write_json(path: Path, value: Any) -> None:
    write_bytes(path, json_bytes(value))


def write_json_lines(path: Path, items: Iterable[Any]) -> None:
    """One compact JSON value per line (JSONL): events, read a line at a time by any tool."""
    text = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)
    write_bytes(path, text.encode("utf-8"))


# --------------------------------------------------------------------------- reading


def read_json(path: Path) -> Any:
    """The JSON in `path`, or None when it is absent or unreadable (a run rebuilds it)."""
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None


def read_json_lines(path: Path) -> list[dict[str, Any]]:
    """The objects of a JSONL file; [] when it is absent or any line is unreadable (so a
    damaged file is fetched again whole rather than merged)."""
    try:
        lines = path.read_bytes().splitlines()
    except OSError:
        return []
    items: list[dict[str, Any]] = []
    for line in lines:
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            return []
        if not isinstance(item, dict):
            return []
        items.append(item)
    return items


def sha256_of(path: Path) -> str:
    """The sha256 of a file, read in 1 MB pieces."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while piece := handle.read(_CHUNK):
                digest.update(piece)
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {os_reason(exc)}") from None
    return digest.hexdigest()


def make_folder(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise BackupError(f"{path} is a file, not a folder") from None
    except OSError as exc:
        raise BackupError(f"cannot create {path}: {os_reason(exc)}") from None


def remove_file(path: Path) -> None:
    """Remove a copy that a newer one replaced; one left behind is harmless (logged)."""
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("cannot remove %s: %s", path, os_reason(exc))


def file_size(path: Path) -> int | None:
    try:
        return os.stat(path).st_size
    except OSError:
        return None


# --------------------------------------------------------------------------- threads


async def in_thread(call: Callable[..., T], *args: Any) -> T:
    """`call(*args)` in a thread, awaited. If the awaiting task is cancelled meanwhile, the
    thread (which cannot be stopped) is waited for before the cancellation goes on: a write
    that started ends, whole and renamed, before the backup returns."""
    future = asyncio.ensure_future(asyncio.to_thread(call, *args))
    interrupted = False
    while not future.done():
        try:
            await asyncio.wait({future})
        except asyncio.CancelledError:
            interrupted = True
    if interrupted:
        if not future.cancelled():
            future.exception()  # seen: the caller is told of the cancellation instead
        raise asyncio.CancelledError
    return future.result()
