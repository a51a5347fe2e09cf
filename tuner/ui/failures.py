"""What went wrong, in one readable line: the one wording of failures for the whole UI.

Workers post their results as messages, and their failures too: a worker decorated with
`fails_as(SomethingFailed)` posts that `WorkFailed` message, carrying the exception (and what
`of_call` keeps of the call's arguments: which file), when it raises, and the screen handles it in
its own `on_something_failed`. The message's type says what failed, so no screen sorts failures
by worker group names. Every handler turns the exception into text here (`describe_error`), so a
refused request, an unreadable file or a bad settings file reads the same on every screen, never
as a traceback.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar, ParamSpec, Protocol, overload

from textual.message import Message
from textual.message_pump import MessagePump
from textual.worker import NoActiveWorker, get_current_worker

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


class WorkFailed(Message, bubble=False):
    """A worker could not finish: `error` is why, `doing` what it was doing, in words ("list
    uploaded files", "convert train.json"). Subclass it once per kind of work; the screen that
    started the work handles it (it does not bubble: nobody else ran that work)."""

    DOING: ClassVar[str] = "work"

    def __init_subclass__(cls, bubble: bool | None = False, **kwargs: Any) -> None:
        # Textual makes a subclass bubble unless it says otherwise; a failure should not.
        super().__init_subclass__(bubble=bubble, **kwargs)

    def __init__(self, error: BaseException, doing: str | None = None) -> None:
        super().__init__()
        self.error = error
        self.doing = doing or self.DOING

    @classmethod
    def of_call(cls, error: Exception, *args: Any, **kwargs: Any) -> WorkFailed:
        """The failure of the worker method called with `args` and `kwargs` (its owner left
        out), as `fails_as` posts it: the error alone. A failure the screen must tie to its call
        (the file checked, the profile a read started under) overrides this to keep what it
        needs of them."""
        return cls(error)

    @property
    def reason(self) -> str:
        """The error in the UI's one wording (`describe_error`)."""
        return describe_error(self.error)


P = ParamSpec("P")


class FailureReporting(Protocol):
    """What `fails_as(...)` gives: a decorator that keeps a worker method's signature, async
    or not (worker methods return nothing: their results go out as messages)."""

    @overload
    def __call__(
        self, method: Callable[P, Coroutine[Any, Any, None]]
    ) -> Callable[P, Coroutine[Any, Any, None]]: ...

    @overload
    def __call__(self, method: Callable[P, None]) -> Callable[P, None]: ...


def _cancelled() -> bool:
    """True inside a worker that was cancelled: what it raises after that is no failure (a
    thread worker learns of its cancelling late and may raise on its way out)."""
    try:
        return get_current_worker().is_cancelled
    except NoActiveWorker:
        return False


def fails_as(failure: type[WorkFailed]) -> FailureReporting:
    """Decorate a worker method (under `@work`, async or threaded): when it raises, post
    `failure.of_call(error, ...)` (with the call's arguments) to its owner instead, and end the
    worker quietly. Cancellation is not a failure and passes through."""

    def decorate(method: Callable[P, Any]) -> Callable[P, Any]:
        def report(error: Exception, owner: object, *args: Any, **kwargs: Any) -> None:
            if not _cancelled():
                assert isinstance(owner, MessagePump)
                owner.post_message(failure.of_call(error, *args, **kwargs))

        if inspect.iscoroutinefunction(method):

            @functools.wraps(method)
            async def run_async(*args: P.args, **kwargs: P.kwargs) -> None:
                try:
                    await method(*args, **kwargs)
                except Exception as error:
                    report(error, *args, **kwargs)

            return run_async

        @functools.wraps(method)
        def run(*args: P.args, **kwargs: P.kwargs) -> None:
            try:
                method(*args, **kwargs)
            except Exception as error:
                report(error, *args, **kwargs)

        return run

    return decorate
