"""Replace a file safely: the whole new content, or the old file untouched.

tuner writes whole files that people keep (`tuner convert`'s output, a backup, a download). The
new content goes to a hidden temporary file beside the target, is synced, then renamed over the
target in one step, so a full disk, an error or an interruption never leaves half a file. The
details people notice are kept right:

- permissions: a replaced file keeps its mode; a new file gets 0666 minus the umask, like any
  file a program creates (not the 0600 of a temporary file);
- symbolic links are written through: the file a link points to is replaced and the link stays;
  a dangling link counts as an existing file (it is only replaced with `force`);
- errors name the path the user gave, never the temporary file, and say what went wrong in
  words ("the disk is full", "the folder ... does not exist").

Every temporary file tuner writes beside a file is named one way, `.NAME.PID-XXXXXXXX.tmp` (the
writing process's id, 8 random hex digits): `create_temporary` makes one, and
`remove_stale_temporaries` removes those a killed run left in a folder (SIGKILL and power cuts
run no clean-up), never one whose process still runs. No reader trusts a hidden file, so a
left-over one is never mistaken for a whole file; the cleanup only gives the space back.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}

# `.NAME.PID-XXXXXXXX.tmp`; also the names of earlier versions, `.NAME.XXXXXXXX.tmp` (hex, or
# `tempfile.mkstemp`'s letters, digits and `_`), which name no process.
_TEMPORARY = re.compile(r"^\..+\.(?:(?P<pid>[0-9]+)-)?[0-9a-z_]{8}\.tmp$")


class OutputError(Exception):
    """The output cannot be written; the message is one line naming the path the user gave."""


@dataclass(frozen=True, slots=True)
class OutputTarget:
    """Where to write: `shown` as the user gave it, `path` the file that will be replaced."""

    shown: Path
    path: Path


def output_target(dst: str | os.PathLike[str], *, force: bool) -> OutputTarget:
    """Check that `dst` can be written and find the file to replace (through a symbolic link).

    Raises `FileExistsError` if `dst` exists (a dangling link included) and `force` is False,
    and `OutputError` if it is a directory, a link loop, or in a folder that does not exist.
    """
    shown = Path(dst)
    if os.path.lexists(shown) and not force:
        raise FileExistsError(f"{shown} already exists; use --force to overwrite it")
    path = shown
    if shown.is_symlink():
        try:
            path = Path(os.path.realpath(shown, strict=True))
        except FileNotFoundError:  # a dangling link: create the file it names
            path = Path(os.path.realpath(shown))
        except OSError as exc:
            raise OutputError(f"cannot write {shown}: {describe_os_error(exc)}") from None
    if path.is_dir():
        raise OutputError(f"cannot write {shown}: it is a directory")
    if not path.parent.is_dir():
        folder = shown.parent if path == shown else path.parent
        raise OutputError(f"cannot write {shown}: the folder {folder} does not exist")
    return OutputTarget(shown, path)


def write_atomically(target: OutputTarget, write: Callable[[BinaryIO], bool]) -> bool:
    """Call `write(out)` with a file that replaces `target` once `write` returns True.

    When `write` returns False (nothing worth writing) or raises, the target is left as it
    was and the temporary file is removed. Returns whether the target was replaced. Errors of
    the output itself (from `out.write`, syncing, renaming) are raised as `OutputError`;
    anything `write` raises otherwise (reading its input, say) passes through unchanged.
    """
    mode = _existing_mode(target.path)
    fd, tmp = _create_temp(target)
    try:
        with os.fdopen(fd, "wb", buffering=0) as raw:
            if mode is not None:
                os.fchmod(raw.fileno(), mode)
            out = _GuardedOutput(raw, target.shown)
            keep = write(out)  # type: ignore[arg-type]  # the guard writes like a BinaryIO
            out.flush()
            _sync(raw, target.shown)
        if not keep:
            tmp.unlink()
            return False
        try:
            os.replace(tmp, target.path)
        except OSError as exc:
            raise output_error(exc, target.shown) from None
        return True
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def describe_os_error(exc: OSError) -> str:
    """An OS error in a few lower-case words: "no such file", "symbolic link loop", ..."""
    if exc.errno == errno.ENOENT:
        return "no such file"
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    if exc.errno in _DISK_FULL:
        return "the disk is full"
    return (exc.strerror or str(exc)).lower()


def output_error(exc: OSError, shown: Path) -> OutputError:
    """The `OutputError` for `exc`, met while writing the file the user calls `shown`."""
    if exc.errno in _DISK_FULL:
        return OutputError(f"cannot write {shown}: the disk is full; {shown} was not changed")
    return OutputError(f"cannot write {shown}: {describe_os_error(exc)}")


def _existing_mode(path: Path) -> int | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return stat.S_IMODE(info.st_mode) if stat.S_ISREG(info.st_mode) else None


def _create_temp(target: OutputTarget) -> tuple[int, Path]:
    """A new temporary file beside the target; errors as `OutputError` naming the user's path."""
    try:
        return create_temporary(target.path)
    except FileExistsError:
        message = f"cannot write {target.shown}: no free temporary name beside it"
        raise OutputError(message) from None
    except OSError as exc:
        raise output_error(exc, target.shown) from None


def create_temporary(path: Path) -> tuple[int, Path]:
    """(an open descriptor, the path) of a new hidden file beside `path`, to be renamed over it
    once whole: `.NAME.PID-XXXXXXXX.tmp`. Created 0666 so that the umask applies (a finished
    file gets the mode any new file gets, not a temporary file's 0600). Raises `OSError`
    (`FileExistsError` if no free name was found)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path))


def is_temporary(name: str) -> bool:
    """Whether a file name is one of tuner's temporary files (this version's or an earlier's)."""
    return _TEMPORARY.match(name) is not None


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove the temporary files in `folder` (not below it) that no running process is
    writing: those a killed run left. Returns what was removed. A missing folder holds none;
    one that cannot be listed raises `OSError`; a file that cannot be removed is left."""
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return []
    removed = []
    for entry in entries:
        found = _TEMPORARY.match(entry.name)
        if found is None or not entry.is_file(follow_symlinks=False):
            continue
        pid = found.group("pid")
        if pid is not None and _running(int(pid)):
            continue
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


def _running(pid: int) -> bool:
    """Whether process `pid` runs (this one does; elsewhere than POSIX, say no: signal 0 is
    not a harmless probe there)."""
    if pid == os.getpid():
        return True
    if os.name != "posix" or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True  # another user's process: it exists
    except OSError:
        return False
    return True


def _sync(raw: BinaryIO, shown: Path) -> None:
    try:
        os.fsync(raw.fileno())
    except OSError as exc:
        raise output_error(exc, shown) from None


class _GuardedOutput:
    """A buffered writer whose own errors become `OutputError` naming the user's path."""

    _BUFFER = 1 << 20

    def __init__(self, raw: BinaryIO, shown: Path) -> None:
        self._raw = raw
        self._shown = shown
        self._pending: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> int:
        self._pending.append(data)
        self._size += len(data)
        if self._size >= self._BUFFER:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if not self._pending:
            return
        data = b"".join(self._pending)
        self._pending, self._size = [], 0
        try:
            view = memoryview(data)
            while view:
                written = self._raw.write(view)
                if not written:
                    raise OSError(errno.EIO, "the write made no progress")
                view = view[written:]
        except OSError as exc:
            raise output_error(exc, self._shown) from None
