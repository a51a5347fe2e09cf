"""Why a move of a fine-tune to another service stops: one line a user can act on.

`MigrationError` is every stop of `tuner.api.migrate.move` that is not the service's own refusal
(those stay `ServiceError`, in the service's words). `DataRefused` is the converted data failing
the target's rules: it carries the problems, each with its file and line, and the changes that
were made before the check, so the user sees both what was done and what is still wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tuner.data.wording import plural

if TYPE_CHECKING:
    from tuner.data.migrate.notes import Change
    from tuner.data.rules.problems import Problem


class MigrationError(Exception):
    """A migration cannot go on; `message` says why in one line, in the user's terms."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class DataRefused(MigrationError):
    """The converted file still breaks the target's rules (too few examples left, one the
    conversion could not fix): `problems` lists the errors, `changes` what was done first."""

    def __init__(
        self,
        path: Path,
        service: str,
        problems: list[Problem],
        changes: list[Change],
        count: int | None = None,
    ) -> None:
        count = len(problems) if count is None else count
        first = problems[0].located() if problems else "no detail"
        super().__init__(
            f"{path} breaks {service}'s rules even after conversion: "
            f"{plural(count, 'error')} ({first})"
        )
        self.path = path
        self.problems = problems
        self.changes = changes
        self.count = count  # every error, `problems` listing the first of each kind
