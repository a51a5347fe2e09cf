"""What a command's FILE argument names, as a regular file: `tuner validate` reads a large file
by byte ranges in parallel workers, which a stream cannot give.

A regular file is used in place. Standard input (`-`), a pipe (`<(gunzip -c train.jsonl.gz)`,
`/dev/stdin`) or a named FIFO is copied to a temporary file in tuner's cache folder (bounded by
the disk, not by memory) and removed afterwards. A named FIFO is opened without waiting; one
with no writer is refused instead of blocking forever. Anything else (a folder, a device, a
dangling or looping link) is an `InputError`: one line naming FILE and saying why.

Kept apart from the command because it is operating-system work (descriptors, FIFOs, spooling)
that has nothing to do with checking a dataset.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

STDIN_NAME = "stdin"
_OWN_FD = re.compile(r"/dev/(?:stdin|fd/(\d+))|/proc/self/fd/(\d+)")
_SPOOL_CHUNK = 1 << 20


class InputError(Exception):
    """FILE cannot be checked; the message is one line that names it and says why."""


@contextlib.contextmanager
def readable_input(given: str) -> Iterator[tuple[Path, str | None]]:
    """A regular file holding what `given` names, and the name to show for it.

    A regular file is used in place (the name is None: its path is its name). Standard input
    (`-`), a pipe or a FIFO is copied to a temporary file first, removed on exit; a FIFO with no
    writer, a directory, a device, a dangling or looping link raise `InputError`.
    """
    if given == "-":
        fd, head, shown = _stdin_fd(), b"", STDIN_NAME
    else:
        try:
            info = os.stat(given)
        except OSError as exc:
            raise InputError(f"{given}: {_missing(given, exc)}") from None
        if stat.S_ISREG(info.st_mode):
            yield Path(given), None
            return
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"{given}: is a directory, not a file")
        if not stat.S_ISFIFO(info.st_mode):
            raise InputError(f"{given}: is {_kind(info.st_mode)}, not a file")
        own = _own_pipe_fd(given, info)
        fd, head = (os.dup(own), b"") if own is not None else _open_fifo(given)
        shown = given
    try:
        with _spooled(fd, head, shown) as path:
            yield path, shown
    finally:
        os.close(fd)


def _missing(given: str, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop (the link points back to itself)"
    if exc.errno == errno.ENOENT and os.path.islink(given):
        return f"a symbolic link to {os.readlink(given)}, which does not exist"
    if exc.errno == errno.ENOENT:
        return "no such file"
    if exc.errno == errno.ENOTDIR:
        return "no such file (a part of the path is a file, not a folder)"
    return (exc.strerror or str(exc)).lower()


def _kind(mode: int) -> str:
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _stdin_fd() -> int:
    stream = sys.stdin
    if stream is None:
        raise InputError("-: there is no standard input")
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        raise InputError("-: standard input cannot be read as a stream") from None
    if os.isatty(fd):
        raise InputError(
            "-: standard input is a terminal; pipe the file in (tuner validate - < train.jsonl)"
        )
    return os.dup(fd)


def _own_pipe_fd(given: str, info: os.stat_result) -> int | None:
    """The descriptor of ours that `given` names (/dev/stdin, /dev/fd/N), if it is that pipe.

    Reading our own end never waits for a writer that will not come: a pipe whose writers are
    gone reads as its end. Opening it anew could.
    """
    match = _OWN_FD.fullmatch(given)
    if match is None:
        return None
    fd = int(match.group(1) or match.group(2) or 0)
    try:
        mine = os.fstat(fd)
    except OSError:
        return None
    return fd if (mine.st_dev, mine.st_ino) == (info.st_dev, info.st_ino) else None


def _open_fifo(given: str) -> tuple[int, bytes]:
    """Open a named FIFO for reading without waiting; refuse it when no writer has it open.

    Opened with O_NONBLOCK, a FIFO with no writer reads as empty at once, while one whose
    writer has not written yet says "try again": that tells the two apart without waiting.
    Returns the descriptor (blocking again) and the byte the test read, to copy first.
    """
    try:
        fd = os.open(given, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise InputError(f"{given}: {_missing(given, exc)}") from None
    try:
        first = os.read(fd, 1)
    except BlockingIOError:
        first = None  # a writer is there, with nothing written yet
    except OSError as exc:
        os.close(fd)
        raise InputError(f"{given}: {(exc.strerror or str(exc)).lower()}") from None
    if first == b"":
        os.close(fd)
        raise InputError(
            f"{given}: a FIFO with no writer, so there is nothing to read; start the program "
            "that writes to it first"
        )
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    return fd, first or b""


@contextlib.contextmanager
def _spooled(fd: int, head: bytes, shown: str) -> Iterator[Path]:
    """Copy `head` then the stream on `fd` to a temporary file; remove it on exit."""
    folder = _spool_folder()
    try:
        out_fd, name = tempfile.mkstemp(dir=folder, prefix="validate-", suffix=".jsonl")
    except OSError as exc:
        raise InputError(f"{shown}: cannot make a temporary copy in {folder}: {exc}") from None
    path = Path(name)
    try:
        with open(out_fd, "wb") as out:
            _copy_stream(fd, head, out, shown, folder)
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


def _copy_stream(fd: int, head: bytes, out: BinaryIO, shown: str, folder: Path) -> None:
    """Copy in 1 MB reads: memory stays flat however long the stream."""
    try:
        out.write(head)
        while chunk := os.read(fd, _SPOOL_CHUNK):
            out.write(chunk)
        out.flush()
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            raise InputError(
                f"{shown}: cannot keep a copy of it in {folder}: the disk is full"
            ) from None
        raise InputError(f"{shown}: cannot read it: {(exc.strerror or str(exc)).lower()}") from None


def _spool_folder() -> Path:
    """tuner's cache folder (created if need be), else the system's temporary folder."""
    from tuner.config import cache_dir

    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return Path(tempfile.gettempdir())
    return folder
