"""Drive one `PromptReplay` per model in lockstep, so two models can be compared turn by turn.

Comparing a base model with its fine-tune only means something if both see the same user turns
in the same order: line k is sent to every model (concurrently), and line k+1 only once every
model has answered, failed or skipped line k. Each model keeps its own conversation (its own
replies are its context), which is what a user of either model would see.

With a single replay this is simply that replay under the same controls, so the chat screen and
`tuner chat` use `ReplayGroup` whether or not they compare. The states are `ReplayState`:
ready → running → done, with pause (after the line in flight) and stop (cuts the line in flight,
partial replies kept). `skip()` drops the line in flight for every model still on it, or the next
line for all when none is in flight.

The models may live on different services (a fine-tune on OpenAI and its copy on Together AI):
each replay carries its own service, so the group neither knows nor cares. `on_line` hears each
line as it goes out to every model (the shared transcript of a comparison starts a line there).
`ProfileServices` holds the services of the profiles other than the one the caller already talks
to, opened when a compared model needs one and closed as soon as none does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING

from tuner.api.chat.replay import LineStatus, PromptReplay, ReplayState

if TYPE_CHECKING:
    from tuner.api.service import FineTuningService

_FINISHED = (ReplayState.DONE, ReplayState.STOPPED)


class ReplayGroup:
    """Lockstep control of several replays of the same lines. `on_state` hears state changes."""

    def __init__(
        self,
        replays: Sequence[PromptReplay],
        *,
        on_state: Callable[[ReplayState], None] | None = None,
        on_line: Callable[[int], None] | None = None,
    ) -> None:
        if not replays:
            raise ValueError("ReplayGroup needs at least one replay")
        totals = {replay.total for replay in replays}
        if len(totals) != 1:
            raise ValueError("every replay in a group must have the same lines")
        self.replays = list(replays)
        self.total = totals.pop()
        self.state = ReplayState.READY if self.total else ReplayState.DONE
        self._on_state = on_state
        self._on_line = on_line
        self._busy = False
        self._pause_requested = False

    @property
    def position(self) -> int:
        """Index of the next line to send (the slowest model's)."""
        return min(replay.position for replay in self.replays)

    @property
    def busy(self) -> bool:
        return self._busy

    def statuses(self, index: int) -> list[LineStatus]:
        """Line `index`'s status for each model, in order."""
        return [replay.statuses[index] for replay in self.replays]

    def failed_lines(self) -> list[int]:
        """0-based indexes of lines that failed for at least one model."""
        return [index for index in range(self.total) if LineStatus.FAILED in self.statuses(index)]

    def answered(self, model: int) -> int:
        """How many lines replay `model` (its index in the group) got a complete answer to."""
        return self.replays[model].statuses.count(LineStatus.DONE)

    def failed(self, model: int) -> int:
        """How many lines failed for replay `model` (after its retries)."""
        return self.replays[model].statuses.count(LineStatus.FAILED)

    def _set_state(self, state: ReplayState) -> None:
        if state is not self.state:
            self.state = state
            if self._on_state is not None:
                self._on_state(state)

    def _begin(self) -> None:
        if self._busy:
            raise RuntimeError("the replay is already running")
        if self.state in _FINISHED:
            raise RuntimeError(f"the replay is {self.state.value}")
        self._busy = True
        self._pause_requested = False
        self._set_state(ReplayState.RUNNING)

    def _finish_if_done(self) -> None:
        if self.state is ReplayState.STOPPED:
            return
        if all(r.position >= r.total or r.state in _FINISHED for r in self.replays):
            self._set_state(ReplayState.DONE)

    async def _step_all(self) -> None:
        index = self.position
        behind = [r for r in self.replays if r.position == index and r.state not in _FINISHED]
        if behind and self._on_line is not None:
            self._on_line(index)
        await asyncio.gather(*(replay.step() for replay in behind))
        if not any(r.position < r.total and r.state not in _FINISHED for r in self.replays):
            # Nothing more can run (e.g. every replay was stopped directly): settle the state.
            done = all(r.position >= r.total for r in self.replays)
            self._set_state(ReplayState.DONE if done else ReplayState.STOPPED)

    async def run(self) -> ReplayState:
        """Send lines to every model until the end, a `pause()` or a `stop()`."""
        self._begin()
        try:
            while self.state is ReplayState.RUNNING:
                if self.position >= self.total:
                    break
                if self._pause_requested:
                    self._pause_requested = False
                    self._set_state(ReplayState.PAUSED)
                    break
                await self._step_all()
            self._finish_if_done()
        finally:
            self._busy = False
        return self.state

    async def step(self) -> ReplayState:
        """Send the next line to every model, then pause (or finish)."""
        self._begin()
        try:
            await self._step_all()
            if self.state is ReplayState.RUNNING:
                self._set_state(ReplayState.PAUSED)
            self._finish_if_done()
        finally:
            self._busy = False
        return self.state

    @property
    def pausing(self) -> bool:
        """A pause was asked for and waits for the line in flight to be answered."""
        return self._pause_requested

    def pause(self) -> None:
        """Pause once the line in flight is answered by every model."""
        if self._busy:
            self._pause_requested = True

    def skip(self) -> None:
        """Drop the line in flight (for the models still on it), or the next line for all."""
        if self.state in _FINISHED:
            return
        in_flight = [replay for replay in self.replays if replay.busy]
        for replay in in_flight or self.replays:
            replay.skip()
        if not in_flight:
            self._finish_if_done()

    def stop(self) -> None:
        """End the replay for every model; replies in flight keep their partial text."""
        if self.state in _FINISHED:
            return
        for replay in self.replays:
            if replay.state not in _FINISHED:
                replay.stop()
        self._set_state(ReplayState.STOPPED)


class ProfileServices:
    """Services of other settings profiles, by name: opened on first use with `connect(name)`
    (which resolves the profile and opens its service; it may raise `ServiceError` or
    `ConfigError`), closed by `release`. The owner's own service is not kept here."""

    def __init__(self, connect: Callable[[str], FineTuningService]) -> None:
        self._connect = connect
        self._open: dict[str, FineTuningService] = {}

    @property
    def profiles(self) -> list[str]:
        """The profiles whose service is open now."""
        return list(self._open)

    def get(self, profile: str) -> FineTuningService:
        """`profile`'s service, opened now if need be. Raises `ServiceError` naming the
        profile when it cannot be opened (no key, a broken or missing profile)."""
        from tuner.api.errors import ErrorKind, ServiceError
        from tuner.config import ConfigError

        service = self._open.get(profile)
        if service is None:
            try:
                service = self._connect(profile)
            except ConfigError as exc:
                raise ServiceError(ErrorKind.NO_KEY, f"profile {profile}: {exc}") from None
            except ServiceError as exc:
                raise ServiceError(exc.kind, f"profile {profile}: {exc.message}") from None
            self._open[profile] = service
        return service

    async def release(self, keep: Collection[str] = ()) -> None:
        """Close every service but those of `keep` (all of them with the default)."""
        for profile in [name for name in self._open if name not in keep]:
            await self._open.pop(profile).close()
