"""What went wrong, in one readable line: the one wording of failures for the whole UI.

Workers post their results as messages; only failures reach the screens' worker-state handlers,
and every one of those turns the exception into text here, so a refused request, an unreadable
file or a bad settings file reads the same on every screen, never as a traceback.
"""

from __future__ import annotations

from typing import Any

from textual.worker import Worker, WorkerState

from tuner.data.fit_text import short_paths


def describe_error(error: BaseException | None) -> str:
    """One line for `error`: the service's message, an OSError's reason, or the text; a path
    in it is shortened in its middle (`~/.config/…/settings.toml`), its file name kept."""
    if error is None:
        return "unknown error"
    message = getattr(error, "message", None)  # ServiceError, ConfigError-like
    if isinstance(message, str) and message:
        return short_paths(message)
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()  # the caller's message names the file
    return short_paths(str(error)) or type(error).__name__


def failed_worker(event: Worker.StateChanged) -> Worker[Any] | None:
    """The worker when `event` reports its failure (not a cancellation), else None."""
    if event.state is WorkerState.ERROR:
        return event.worker
    return None
