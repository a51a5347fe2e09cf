"""The one shape every validation finding takes, from the rules to the CLI and the screens."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """An error: the service would refuse the file. A warning: it would cost or mislead."""

    ERROR = "error"
    WARNING = "warning"


class DatasetFormat(StrEnum):
    """The training-file shapes tuner recognises. OpenAI takes chat and preference files;
    Together also takes instruction (`prompt`, `completion`) and plain-text (`text`) files."""

    CHAT = "chat"
    PREFERENCE = "preference"
    INSTRUCTION = "instruction"
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding. `code` is stable (scripts match on it); `message` is for people.

    `line` is 1-based as an editor shows it, or None for a finding about the whole file.
    `message_index` is the 0-based index inside the example's `messages` list where it applies.
    """

    code: str
    severity: Severity
    message: str
    line: int | None
    message_index: int | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def located(self) -> str:
        """`line 12: message`, or the message alone for a finding about the whole file: the one
        way every screen and command names where a problem is."""
        return f"line {self.line:,}: {self.message}" if self.line is not None else self.message

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of `tuner validate --json`."""
        return {
            "line": self.line,
            "code": self.code,
            "message": self.message,
            "message_index": self.message_index,
        }


def error(code: str, message: str, line: int | None, message_index: int | None = None) -> Problem:
    return Problem(code, Severity.ERROR, message, line, message_index)


def warning(code: str, message: str, line: int | None, message_index: int | None = None) -> Problem:
    return Problem(code, Severity.WARNING, message, line, message_index)
