"""Ids that become part of a request's path, checked once before anything is sent.

A job, file or checkpoint id is a segment of the URL (`/fine_tuning/jobs/{id}/events`), and on
Azure's classic API so is the model (`/deployments/{model}/...`). The SDKs refuse `.`, `..` and
an empty id with a bare `ValueError` that no caller expects (a traceback); an id holding `/`,
whitespace or control characters would be sent percent-quoted and ask the service for something
the user never meant. An id comes from the user (`tuner jobs follow ..`) or from a service's own
list (a backup walks every job and file), so the services check it here first and refuse it in
one line ("'..' is not a job id") with `MalformedId`: a `ServiceError` (invalid request), which
every caller already reports, and which a backup records as "not saved" and goes past.

The check is a deny-list, so real ids of every service pass (`ftjob-abc123`, `file-abc`,
Together's `ft-<uuid>`, Azure's, `ft:gpt-4o-mini:org:suffix:id`): only what no id holds is
refused.
"""

from __future__ import annotations

import unicodedata

from tuner.api.errors import ErrorKind, ServiceError
from tuner.data.visible_text import visible_line

# Characters that would change the path or the query an id is put in.
_PATH_CHARACTERS = frozenset("/\\?#%")
# How much of a refused id the message repeats.
_SHOWN = 60


class MalformedId(ServiceError):
    """An id that cannot be sent: `value` as given, `what` it was meant to be ("job")."""

    def __init__(self, value: str, what: str) -> None:
        shown = visible_line(value)
        if len(shown) > _SHOWN:
            shown = shown[: _SHOWN - 1] + "…"
        super().__init__(ErrorKind.INVALID_REQUEST, f"'{shown}' is not a {what} id")
        self.value = value
        self.what = what


def usable_id(value: str) -> bool:
    """Whether `value` can be one segment of a request's path: not empty, not only dots (`.`,
    `..`), and no slash, backslash, `?`, `#`, `%`, whitespace, control or format character."""
    if not value or not value.strip("."):
        return False
    return not any(
        char in _PATH_CHARACTERS or char.isspace() or unicodedata.category(char)[0] in "CZ"
        for char in value
    )


def checked_id(value: str, what: str) -> str:
    """`value`, when it can go into a request's path; else `MalformedId` ("'..' is not a
    `what` id"), raised before any request is made."""
    if not usable_id(value):
        raise MalformedId(value, what)
    return value
