"""The one error a settings or secrets file can raise, naming the file and the line."""

from __future__ import annotations

from pathlib import Path


class ConfigError(Exception):
    """A settings or secrets file that cannot be used; the message names the file (and line)."""

    def __init__(self, message: str, *, path: Path | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
