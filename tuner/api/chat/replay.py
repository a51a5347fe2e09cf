"""Replay a prompt file into one growing conversation, line by line, under the user's control.

Each non-empty line of the file becomes the next user message; the assistant's streamed reply is
appended before the next line goes, so later prompts see earlier answers (the `metin.txt` habit:
a list of questions asked in one sitting). `PromptReplay` is a small async state machine that the
chat screen and `tuner chat --replay` both drive:

    ready --run()/step()--> running --(end)--> done
                              |  pause() -> paused (after the line in flight) --run()--> running
                              |  stop()  -> stopped (the line in flight is cut; its partial reply
                              |            is kept, marked partial in the transcript)
    skip(): the line in flight (or the next one) is dropped and the replay moves on.

A line whose request fails with a retryable error (429 honouring Retry-After, 5xx, timeout,
dropped connection) is retried with backoff; if it still fails it is marked failed and skipped,
and the conversation so far is kept. Progress and text arrive as `ReplayEvent`s via `on_event`.

A transcript that cannot be written (a read-only or full data folder) never costs the
conversation: the replay says so once (`TranscriptUnsaved`) and goes on without saving.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuner.api.chat.request import ChatDelta, ChatDone, ChatRequest
from tuner.api.errors import DROPPED_MESSAGE, ErrorKind, ServiceError, os_reason
from tuner.api.retry import RetryPolicy

if TYPE_CHECKING:
    from tuner.api.chat.transcripts import TranscriptWriter
    from tuner.api.service import FineTuningService


class PromptFileError(Exception):
    """A prompt file that cannot be read; the message names the file and line."""

    def __init__(self, message: str, *, path: Path, line: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line


@dataclass(frozen=True)
class PromptLine:
    number: int  # 1-based line in the file, for messages
    text: str


def read_prompt_file(path: str | os.PathLike[str]) -> list[PromptLine]:
    """The non-empty lines of a UTF-8 text file (BOM tolerated), stripped, with line numbers."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PromptFileError(f"{path}: cannot read: {exc.strerror}", path=path) from None
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise PromptFileError(
            f"{path}:{line}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {column})",
            path=path,
            line=line,
        ) from None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [
        PromptLine(number, stripped)
        for number, line in enumerate(lines, start=1)
        if (stripped := line.strip())
    ]


class ReplayState(StrEnum):
    READY = "ready"
    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"
    STOPPED = "stopped"


class LineStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    STOPPED = "stopped"


# ------------------------------------------------------------------------------ events


@dataclass(frozen=True)
class StateChanged:
    state: ReplayState


@dataclass(frozen=True)
class LineStarted:
    index: int  # 0-based; show as index + 1 of total
    total: int
    line: PromptLine
    attempt: int  # 0 for the first try


@dataclass(frozen=True)
class LineDelta:
    index: int
    text: str


@dataclass(frozen=True)
class LineRetrying:
    index: int
    attempt: int
    delay: float
    error: ServiceError


@dataclass(frozen=True)
class LineFinished:
    index: int
    total: int
    reply: ChatDone


@dataclass(frozen=True)
class LineFailed:
    index: int
    error: ServiceError


def ends_the_run(error: ServiceError, answered: int) -> bool:
    """Whether a line's failure means every line would fail the same way, for a model that has
    `answered` lines so far.

    No key, a refused key, an unknown model: yes. A service that could never be connected
    to, before any line was answered: yes (a typo in the URL). A service that answered with
    a rate limit, a 5xx, a slow reply or a stream cut short is there: only this line is
    lost, and so is a request the service refused for its content (a prompt too long).
    """
    if error.kind is ErrorKind.CONNECTION:
        return answered == 0
    return not error.retryable and error.kind is not ErrorKind.INVALID_REQUEST


@dataclass(frozen=True)
class LineSkipped:
    index: int


@dataclass(frozen=True)
class LineStopped:
    index: int
    partial: str


@dataclass(frozen=True)
class TranscriptUnsaved:
    """The transcript could not be written; the replay goes on unsaved. Sent once.

    `folder` is where it should have gone (None when the writer does not say), `reason` the
    system's words ("read-only file system", "no space left on device")."""

    folder: Path | None
    reason: str


ReplayEvent = (
    StateChanged
    | LineStarted
    | LineDelta
    | LineRetrying
    | LineFinished
    | LineFailed
    | LineSkipped
    | LineStopped
    | TranscriptUnsaved
)

Streamer = Callable[[ChatRequest], Any]  # returns an async iterator of ChatDelta | ChatDone


class PromptReplay:
    """Drive a prompt file through one conversation. See the module docstring for the states.

    `request` is the template: model, system prompt, sampling params, and in `messages` the
    conversation to continue (usually empty). `messages` holds the conversation as it grows.
    """

    def __init__(
        self,
        service: FineTuningService | None,
        lines: Sequence[PromptLine | str],
        request: ChatRequest,
        *,
        on_event: Callable[[ReplayEvent], None] | None = None,
        retry: RetryPolicy | None = None,
        transcript: TranscriptWriter | None = None,
        streamer: Streamer | None = None,
    ) -> None:
        self.lines = [
            line if isinstance(line, PromptLine) else PromptLine(n, line)
            for n, line in enumerate(lines, start=1)
        ]
        self.request = request
        self.messages: list[dict[str, Any]] = [dict(m) for m in request.messages]
        self.statuses = [LineStatus.PENDING] * len(self.lines)
        self.position = 0  # index of the next line to send
        self.state = ReplayState.READY if self.lines else ReplayState.DONE
        self.retry = retry or RetryPolicy(attempts=4, base=1.0, cap=20.0)
        self._on_event = on_event
        self._transcript = transcript
        if streamer is None:
            if service is None:
                raise ValueError("PromptReplay needs a service or a streamer")
            streamer = service.without_retries().stream_chat  # we retry, visibly
        self._streamer = streamer
        self._busy = False
        self._pause_requested = False
        self._inflight: asyncio.Task[ChatDone] | None = None
        self._interrupt: str | None = None
        self._partial: list[str] = []

    # ------------------------------------------------------------------ reporting

    @property
    def total(self) -> int:
        return len(self.lines)

    @property
    def busy(self) -> bool:
        return self._busy

    def _emit(self, event: ReplayEvent) -> None:
        if self._on_event is not None:
            self._on_event(event)

    def _set_state(self, state: ReplayState) -> None:
        if state is not self.state:
            self.state = state
            self._emit(StateChanged(state))

    # ------------------------------------------------------------------ controls

    async def run(self) -> ReplayState:
        """Send lines until the end, a `pause()` or a `stop()`; returns the state reached."""
        self._begin()
        try:
            while self.position < self.total and self.state is ReplayState.RUNNING:
                if self._pause_requested:
                    self._pause_requested = False
                    self._set_state(ReplayState.PAUSED)
                    break
                await self._run_line(self.position)
            else:
                self._finish_if_done()
        finally:
            self._busy = False
        return self.state

    async def step(self) -> LineStatus | None:
        """Send just the next line; returns its status (None when nothing was left)."""
        if self.position >= self.total:
            return None
        self._begin()
        index = self.position
        try:
            await self._run_line(index)
            if self.state is ReplayState.RUNNING:
                self._set_state(ReplayState.PAUSED)
            self._finish_if_done()
        finally:
            self._busy = False
        return self.statuses[index]

    def pause(self) -> None:
        """Stop after the line in flight (its reply is kept)."""
        if self._busy:
            self._pause_requested = True

    def skip(self) -> None:
        """Drop the line in flight, or the next line when none is; the replay moves on."""
        if self._inflight is not None and not self._inflight.done():
            self._interrupt = "skip"
            self._inflight.cancel()
        elif self.position < self.total and self.state not in (
            ReplayState.DONE,
            ReplayState.STOPPED,
        ):
            self.statuses[self.position] = LineStatus.SKIPPED
            self._emit(LineSkipped(self.position))
            self.position += 1
            self._finish_if_done()

    def stop(self) -> None:
        """End the replay: the line in flight is cut (partial reply kept); nothing more is sent."""
        if self._inflight is not None and not self._inflight.done():
            self._interrupt = "stop"
            self._inflight.cancel()
        self._set_state(ReplayState.STOPPED)

    # ------------------------------------------------------------------ machinery

    def _begin(self) -> None:
        if self._busy:
            raise RuntimeError("the replay is already running")
        if self.state in (ReplayState.DONE, ReplayState.STOPPED):
            raise RuntimeError(f"the replay is {self.state.value}")
        self._busy = True
        self._pause_requested = False
        self._set_state(ReplayState.RUNNING)

    def _finish_if_done(self) -> None:
        if self.position >= self.total and self.state is not ReplayState.STOPPED:
            self._set_state(ReplayState.DONE)

    async def _run_line(self, index: int) -> None:
        line = self.lines[index]
        self.messages.append({"role": "user", "content": line.text})
        self.statuses[index] = LineStatus.SENDING
        self._interrupt = None
        self._partial = []
        task = asyncio.create_task(self._send_with_retries(index))
        self._inflight = task
        try:
            reply = await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if self._interrupt is None or (current is not None and current.cancelling()):
                self.messages.pop()
                raise  # our owner was cancelled: not ours to swallow
            self._interrupted(index, line)
            return
        except ServiceError as error:
            self.messages.pop()
            self.statuses[index] = LineStatus.FAILED
            self.position = index + 1
            self._emit(LineFailed(index, error))
            return
        finally:
            self._inflight = None
        self.messages.append({"role": "assistant", "content": reply.text})
        self.statuses[index] = LineStatus.DONE
        self.position = index + 1
        self._record(line.text, reply.text, reply, partial=False)
        self._emit(LineFinished(index, self.total, reply))

    def _interrupted(self, index: int, line: PromptLine) -> None:
        self.position = index + 1
        if self._interrupt == "skip":
            self.messages.pop()
            self.statuses[index] = LineStatus.SKIPPED
            self._emit(LineSkipped(index))
            return
        partial = "".join(self._partial)
        if partial:
            self.messages.append({"role": "assistant", "content": partial})
            self._record(line.text, partial, None, partial=True)
        else:
            self.messages.pop()
        self.statuses[index] = LineStatus.STOPPED
        self._emit(LineStopped(index, partial))

    def _record(self, prompt: str, text: str, reply: ChatDone | None, *, partial: bool) -> None:
        transcript = self._transcript
        if transcript is None:
            return
        try:
            transcript.append("user", prompt)
            transcript.append(
                "assistant",
                text,
                model=(reply.model if reply else None) or self.request.model,
                finish_reason=reply.finish_reason if reply else None,
                prompt_tokens=reply.prompt_tokens if reply else None,
                completion_tokens=reply.completion_tokens if reply else None,
                partial=partial,
            )
        except OSError as error:
            # The conversation matters more than its copy on disk: stop writing, say so once.
            folder = getattr(transcript, "folder", None)
            if folder is None and error.filename:
                folder = Path(os.fsdecode(error.filename)).parent
            self._transcript = None
            self._emit(TranscriptUnsaved(folder, os_reason(error)))

    async def _send_with_retries(self, index: int) -> ChatDone:
        request = replace(self.request, messages=tuple(self.messages))
        attempt = 0
        while True:
            self._partial = []
            self._emit(LineStarted(index, self.total, self.lines[index], attempt))
            try:
                return await self._send_once(index, request)
            except ServiceError as error:
                if not error.retryable or self.retry.gives_up(attempt):
                    raise
                delay = self.retry.delay(attempt, error)
                attempt += 1
                self._emit(LineRetrying(index, attempt, delay, error))
                await asyncio.sleep(delay)

    async def _send_once(self, index: int, request: ChatRequest) -> ChatDone:
        async with contextlib.aclosing(self._streamer(request)) as stream:
            async for item in stream:
                if isinstance(item, ChatDelta):
                    self._partial.append(item.text)
                    self._emit(LineDelta(index, item.text))
                elif isinstance(item, ChatDone):
                    return item
        # The stream closed without its last chunk: the service was there, the reply was cut.
        raise ServiceError(ErrorKind.DROPPED, DROPPED_MESSAGE)
