"""The app's one connection to a fine-tuning service, owned once and shared by every screen.

`ServiceSession` holds the active connection (what the settings resolved, with the words the
title shows for it) and the `FineTuningService` built from it on first use. Screens ask it for
the service and never build a client; a profile switch closes the old service and the next
request opens the new one, so every screen follows the switch; the app closes it on exit.

Opening a service imports the SDK, which costs over a second: nothing here does it before a
screen actually talks to the service, and a screen's worker asks for it with `opened()`, which
opens it in a thread, so the screen's frame is drawn (and stays live) while the SDK loads.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from tuner.config import Connection

if TYPE_CHECKING:
    from tuner.api.service import FineTuningService

NO_PROFILE = "No profile: press s for settings, or run tuner settings"
NO_KEY = "No API key for {name}: press s for settings (or run tuner settings), or set {variable}"


@dataclass(frozen=True, slots=True)
class ActiveConnection:
    """The connection the app uses, and the words the title shows for it.

    `connection` (key wrapped in a `Secret`) is None when the settings cannot produce one, in
    which case `problem` says why. `label` never contains the key.
    """

    label: str
    connection: Connection | None = None
    demo: bool = False
    problem: str | None = None

    @property
    def service_name(self) -> str:
        """`OpenAI`, `Together AI`, ...; "no service" when there is no connection."""
        return self.connection.service_name if self.connection is not None else "no service"

    @property
    def unusable(self) -> str | None:
        """Why no service can be reached with this connection (one sentence), or None."""
        if self.connection is None:
            return f"{NO_PROFILE} ({self.problem})" if self.problem else NO_PROFILE
        if self.connection.api_key is None:
            return NO_KEY.format(
                name=f"profile {self.connection.profile_name}",
                variable=self.connection.key_variable,
            )
        return None


class ConnectionChanged(Message):
    """Posted to every screen when the app switches to another connection (a profile switch,
    a saved profile): a screen whose figures depend on the service (its data rules, its
    catalog) works them out again."""


ServiceOpener = Callable[[Connection], "FineTuningService"]


def connect_service(connection: Connection) -> FineTuningService:
    from tuner.api.open import open_service

    return open_service(connection)


class ServiceSession:
    """The active connection and its service, made on first use and closed on a switch."""

    def __init__(self, active: ActiveConnection, opener: ServiceOpener = connect_service) -> None:
        self.active = active
        self._opener = opener
        self._service: FineTuningService | None = None
        self._opened_for: Connection | None = None  # the connection `_service` was opened for
        self._lock = threading.Lock()  # one opening at a time (workers open it in threads)
        self._retired: list[FineTuningService] = []
        self.generation = 0  # bumped on every switch: screens compare it to know to re-read

    @property
    def problem(self) -> str | None:
        """Why there is no service to talk to, or None."""
        return self.active.unusable

    @property
    def connected(self) -> bool:
        return self.active.connection is not None

    @property
    def current(self) -> FineTuningService | None:
        """The service if it is open already (None: not yet, or switched since)."""
        return self._service

    def service(self) -> FineTuningService:
        """The service for the active connection, opened now if need be (on the caller's
        thread: a screen's worker uses `opened()` instead).

        Raises `ServiceError` (no profile, no key) in the words the screens show.
        """
        from tuner.api.errors import ErrorKind, ServiceError

        connection = self.active.connection
        if connection is None:
            raise ServiceError(ErrorKind.NO_KEY, self.problem or NO_PROFILE)
        return self._open(connection)

    async def opened(self) -> FineTuningService:
        """The service for the active connection, opened in a thread the first time (the SDK's
        import takes a second or more: the event loop goes on drawing meanwhile)."""
        while True:
            service = self._service
            if service is not None:
                return service
            generation = self.generation
            connection = self.active.connection
            if connection is None:
                return self.service()  # raises, in the screens' words
            service = await asyncio.to_thread(self._open, connection)
            if generation == self.generation:
                return service
            # The profile was switched while the old one opened: open the new one.

    def _open(self, connection: Connection) -> FineTuningService:
        """The service for `connection`, opened once however many threads ask at once; one
        opened for a connection that is no longer active is closed with the retired ones."""
        with self._lock:
            if self._service is not None and self._opened_for is connection:
                return self._service
            service = self._opener(connection)
            if self.active.connection is connection:
                self._service, self._opened_for = service, connection
            else:
                self._retired.append(service)
            return service

    def switch(self, active: ActiveConnection) -> None:
        """Use `active` from now on; the old service is closed by the next `close_retired`."""
        if self._service is not None:
            self._retired.append(self._service)
            self._service = None
        self.active = active
        self.generation += 1

    async def close_retired(self) -> None:
        """Close services left behind by a switch (their requests in flight end with them)."""
        retired, self._retired = self._retired, []
        for service in retired:
            await service.close()

    async def close(self) -> None:
        """Close everything (the app is exiting)."""
        if self._service is not None:
            self._retired.append(self._service)
            self._service = None
        await self.close_retired()
