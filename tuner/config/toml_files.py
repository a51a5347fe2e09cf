"""Reading TOML files into plain data with readable errors, and replacing files atomically.

Shared by the settings file and the secrets file. A file is replaced by writing a temporary file
beside it and renaming it over, so a crash leaves the old file or the new, never half of one; the
temporary file gets its final mode from the start, so a secret is never readable by others even
for a moment, and a symlink is written through (the link stays, its target changes).
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from tuner.config.errors import ConfigError


def _toml_error_line(message: str) -> int | None:
    found = re.search(r"line (\d+)", message)
    return int(found.group(1)) if found else None


def read_toml(path: Path) -> dict[str, Any]:
    """The file's data; {} when it does not exist. Raises `ConfigError` naming file and line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}", path=path) from None
    return parse_toml(raw, path)


def parse_toml(raw: bytes, path: Path) -> dict[str, Any]:
    """`raw` (the bytes of `path`) as data. Never echoes the file's content in the error: the
    secrets file holds keys."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not valid UTF-8", path=path, line=line) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line = _toml_error_line(message)
        where = f"{path}:{line}" if line else str(path)
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        raise ConfigError(f"{where}: invalid TOML: {reason}", path=path, line=line) from None


def atomic_write(path: Path, text: str, *, mode: int | None = None) -> None:
    """Replace `path` with `text`. `mode`: the file's permissions; None keeps the existing
    file's mode, or uses 0644 minus the umask for a new file."""
    target = path.resolve() if path.is_symlink() else path
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if mode is None:
        try:
            mode = target.stat().st_mode & 0o7777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o644 & ~umask
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
