"""One model's side of a chat: its settings, its growing conversation and its transcript.

The chat screen and `tuner chat` both send every user turn through `PromptReplay` (a typed
message is a one-line replay), so retries, stop-with-partial and transcript records behave the
same for typed messages and for prompt files. A `ChatThread` hands each replay *its own*
`messages` list: `PromptReplay` appends and pops that list in place, so the conversation stays
in one place however many replays (typed turns, files) continue it.

`ChatSettings.parse` turns what a user typed in the parameter fields into checked values, with
the ranges the service accepts, so a typo is refused before a request is spent on it.

A thread whose transcript cannot be written (a read-only or full data folder) keeps talking:
the first replay to fail says so (`TranscriptUnsaved`), and the thread's later replays do not
try again (`ChatThread.unsaved`).

Comparing models (`compare_threads`) gives one thread per side, each with its own conversation
(its own replies are its context), and one `Comparison` they share: one transcript file naming
every side and profile, the user turn written once per line, each reply tagged with its side.
`lockstep` puts the sides' replays under one `ReplayGroup` that tells the comparison where each
line starts, so a prompt is never written twice or paired with another line's replies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuner.api.chat.replay import PromptLine, PromptReplay, ReplayEvent
from tuner.api.chat.request import ChatRequest, sampling_params
from tuner.api.chat.transcripts import (
    CompareSide,
    Transcript,
    TranscriptHeader,
    TranscriptWriter,
    Turn,
    transcripts_dir,
)
from tuner.api.retry import RetryPolicy

if TYPE_CHECKING:
    from tuner.api.chat.compare import ReplayGroup
    from tuner.api.chat.replay import ReplayState
    from tuner.api.service import FineTuningService

# (name, lowest, highest) of each float parameter, as the chat completions API documents them.
FLOAT_RANGES: dict[str, tuple[float, float]] = {
    "temperature": (0.0, 2.0),
    "frequency_penalty": (-2.0, 2.0),
    "presence_penalty": (-2.0, 2.0),
}


class SettingsError(ValueError):
    """A parameter a user typed that the service would refuse; the message names it."""


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """System prompt and sampling parameters; None leaves the service's default."""

    system_prompt: str | None = None
    temperature: float | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    max_tokens: int | None = None

    def params(self) -> dict[str, Any]:
        """The parameters that are set, as the request and the transcript header take them."""
        return sampling_params(self)

    def summary(self) -> str:
        """`temp 0.7 · freq 0 · pres 0 · max 200`, with `—` for the service default."""

        def show(value: float | int | None) -> str:
            return "—" if value is None else f"{value:g}"

        return (
            f"temp {show(self.temperature)} · freq {show(self.frequency_penalty)} · "
            f"pres {show(self.presence_penalty)} · max {show(self.max_tokens)}"
        )

    @classmethod
    def of_transcript(cls, header: TranscriptHeader) -> ChatSettings:
        """The settings a saved conversation was held with, to continue it alike."""
        params = dict(header.params)
        return cls(
            header.system_prompt,
            params.get("temperature"),
            params.get("frequency_penalty"),
            params.get("presence_penalty"),
            params.get("max_tokens"),
        )

    @classmethod
    def parse(
        cls,
        system_prompt: str = "",
        temperature: str = "",
        frequency_penalty: str = "",
        presence_penalty: str = "",
        max_tokens: str = "",
    ) -> ChatSettings:
        """Settings from text fields; blank means default. Raises `SettingsError`."""
        floats = {
            name: _parse_float(name, text)
            for name, text in (
                ("temperature", temperature),
                ("frequency_penalty", frequency_penalty),
                ("presence_penalty", presence_penalty),
            )
        }
        return cls(
            system_prompt=system_prompt.strip() or None,
            max_tokens=_parse_max_tokens(max_tokens),
            **floats,
        )


def _parse_float(name: str, text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    label = name.replace("_", " ")
    try:
        value = float(text)
    except ValueError:
        raise SettingsError(f"{label}: {text!r} is not a number") from None
    low, high = FLOAT_RANGES[name]
    if not low <= value <= high:
        raise SettingsError(f"{label}: {value:g} is outside {low:g} to {high:g}")
    return value


def _parse_max_tokens(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise SettingsError(f"max tokens: {text!r} is not a whole number") from None
    if value < 1:
        raise SettingsError("max tokens: must be at least 1")
    return value


@dataclass
class ChatThread:
    """One model's conversation. The transcript file is created with the first turn.

    `profile` names the settings profile whose service the model is reached through (recorded
    in the transcript, never a key). In a comparison, `comparison` is shared by every side and
    `side` is this thread's index in it; `transcript` is then the shared file.
    """

    model: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    transcript: TranscriptWriter | None = None
    title: str | None = None
    directory: Path | None = None  # None: the data dir's transcripts folder
    unsaved: OSError | None = None  # why the transcript could not be written, once it failed
    profile: str | None = None
    comparison: Comparison | None = None
    side: int = 0

    @classmethod
    def resume(cls, transcript: Transcript) -> ChatThread:
        """Continue a saved conversation: its messages, model and file (partial replies kept).
        A comparison continues as a comparison: see `Comparison.resume`."""
        if transcript.compared:
            raise ValueError("a comparison is continued with Comparison.resume")
        return cls(
            model=transcript.header.model,
            messages=transcript.messages(),
            transcript=TranscriptWriter.reopen(transcript),
            title=transcript.header.title,
            profile=transcript.header.profile,
        )

    @property
    def label(self) -> str:
        """`model · profile`, or the model alone when no profile is named."""
        return CompareSide(self.model, self.profile).label

    def request(self, settings: ChatSettings) -> ChatRequest:
        return ChatRequest(
            self.model,
            tuple(self.messages),
            settings.system_prompt,
            settings.temperature,
            settings.frequency_penalty,
            settings.presence_penalty,
            settings.max_tokens,
        )

    def writer(self, settings: ChatSettings) -> TranscriptWriter:
        """The transcript to append to, started now (header with model, prompt, params)."""
        if self.comparison is not None:
            return self.comparison.writer(settings)
        if self.transcript is None:
            self.transcript = TranscriptWriter.start(
                self.model,
                settings.system_prompt,
                settings.params(),
                title=self.title,
                directory=self.directory,
                profile=self.profile,
            )
        return self.transcript

    def replay(
        self,
        service: FineTuningService | None,
        lines: Sequence[PromptLine | str],
        settings: ChatSettings,
        *,
        on_event: Callable[[ReplayEvent], None] | None = None,
        retry: RetryPolicy | None = None,
        streamer: Any = None,
        save: bool = True,
    ) -> PromptReplay:
        """A replay of `lines` that continues (and grows) this thread's `messages`."""
        writer = _FirstTurnWriter(self, settings) if save and self.unsaved is None else None
        player = PromptReplay(
            service,
            lines,
            self.request(settings),
            on_event=on_event,
            retry=retry,
            transcript=writer,  # type: ignore[arg-type]
            streamer=streamer,
        )
        player.messages = self.messages  # shared: the replay grows this conversation in place
        return player


class Comparison:
    """What compared threads share: one transcript naming every side, written as they talk.

    Each side's replay records a line as "user, then reply" once that side is done with it.
    The user turn is written by the first side to finish the line and skipped for the others;
    `begin_line` (called by the lockstep group as each line goes out) marks where a new line
    starts. Without it a side recording a second prompt starts a new line too, so the file is
    right even when driven by hand.
    """

    def __init__(
        self,
        sides: Sequence[CompareSide],
        *,
        title: str | None = None,
        directory: Path | None = None,
        transcript: TranscriptWriter | None = None,
    ) -> None:
        if len(sides) < 2:
            raise ValueError("a comparison needs at least two sides")
        self.sides = tuple(sides)
        self.title = title
        self.directory = directory
        self.transcript = transcript
        self.unsaved: OSError | None = None
        self.threads: list[ChatThread] = []
        self._recorded: set[int] | None = None  # sides that recorded this line's prompt

    @classmethod
    def resume(cls, transcript: Transcript) -> Comparison:
        """Continue a saved comparison: each side's conversation, the same file."""
        header = transcript.header
        comparison = cls(
            header.compare, title=header.title, transcript=TranscriptWriter.reopen(transcript)
        )
        for index, side in enumerate(header.compare):
            comparison.threads.append(
                ChatThread(
                    side.model,
                    messages=transcript.side(index).messages(),
                    transcript=comparison.transcript,
                    title=header.title,
                    profile=side.profile,
                    comparison=comparison,
                    side=index,
                )
            )
        return comparison

    @property
    def folder(self) -> Path:
        if self.transcript is not None:
            return self.transcript.folder
        return self.directory or transcripts_dir()

    def writer(self, settings: ChatSettings) -> TranscriptWriter:
        """The shared transcript, started now with every side in its header."""
        if self.transcript is None:
            first = self.sides[0]
            self.transcript = TranscriptWriter.start(
                first.model,
                settings.system_prompt,
                settings.params(),
                title=self.title,
                directory=self.directory,
                compare=self.sides,
            )
            for thread in self.threads:
                thread.transcript = self.transcript
        return self.transcript

    def begin_line(self, _index: int = 0) -> None:
        """A new line goes out to every side: the next prompt recorded starts it."""
        self._recorded = None

    def record(
        self, side: int, settings: ChatSettings, role: Any, content: str, **fields: Any
    ) -> Turn | None:
        """Write `side`'s turn: a prompt once per line, a reply tagged with its side."""
        if role == "user":
            if self._recorded is not None and side not in self._recorded:
                self._recorded.add(side)
                return None  # another side wrote this line's prompt already
            self._recorded = {side}
            return self.writer(settings).append(role, content, **fields)
        return self.writer(settings).append(role, content, side=side, **fields)

    def failed(self, error: OSError) -> None:
        """The file cannot be written: every side goes on unsaved."""
        self.unsaved = error
        for thread in self.threads:
            thread.unsaved = error


def compare_threads(
    sides: Sequence[CompareSide], *, title: str | None = None, directory: Path | None = None
) -> list[ChatThread]:
    """One thread per side of a new comparison, sharing one (not yet written) transcript."""
    comparison = Comparison(sides, title=title, directory=directory)
    comparison.threads = [
        ChatThread(
            side.model,
            title=title,
            directory=directory,
            profile=side.profile,
            comparison=comparison,
            side=index,
        )
        for index, side in enumerate(sides)
    ]
    return list(comparison.threads)


def conversation_threads(sides: Sequence[CompareSide]) -> list[ChatThread]:
    """The threads of a new conversation with `sides`: one model's, or a comparison's (titled
    `compare: A vs B`, one transcript for both)."""
    if len(sides) > 1:
        return compare_threads(sides, title=f"compare: {sides[0].model} vs {sides[1].model}")
    return [ChatThread(sides[0].model, profile=sides[0].profile)]


def resume_threads(transcript: Transcript) -> list[ChatThread]:
    """The threads that continue a saved conversation: one, or one per side of a comparison
    (sharing its file), each on the profile it was held on."""
    if transcript.compared:
        return Comparison.resume(transcript).threads
    return [ChatThread.resume(transcript)]


def lockstep(
    threads: Sequence[ChatThread],
    replays: Sequence[PromptReplay],
    *,
    on_state: Callable[[ReplayState], None] | None = None,
) -> ReplayGroup:
    """The replays of `threads` (one each, in order) under one lockstep `ReplayGroup`; when
    they are the sides of a comparison, the group tells it where each line starts."""
    from tuner.api.chat.compare import ReplayGroup

    comparison = threads[0].comparison if threads else None
    on_line = comparison.begin_line if comparison is not None else None
    return ReplayGroup(replays, on_state=on_state, on_line=on_line)


def replay_together(
    threads: Sequence[ChatThread],
    services: Sequence[FineTuningService | None],
    lines: Sequence[PromptLine | str],
    settings: ChatSettings,
    *,
    hear: Callable[[int], Callable[[ReplayEvent], None]],
    retry: RetryPolicy | None = None,
    on_state: Callable[[ReplayState], None] | None = None,
) -> ReplayGroup:
    """One replay of `lines` per thread, each on its own service (`services`, in order), in
    lockstep; `hear(i)` hears thread i's events. How both the chat screen and `tuner chat`
    send every turn to every model."""
    replays = [
        thread.replay(service, lines, settings, on_event=hear(index), retry=retry)
        for index, (thread, service) in enumerate(zip(threads, services, strict=True))
    ]
    return lockstep(threads, replays, on_state=on_state)


class _FirstTurnWriter:
    """Starts the thread's transcript on the first turn written, so a chat that never got an
    answer (no key, unknown model) leaves no empty file behind."""

    def __init__(self, thread: ChatThread, settings: ChatSettings) -> None:
        self._thread = thread
        self._settings = settings

    @property
    def folder(self) -> Path:
        """Where the transcript goes: named when it cannot be written."""
        thread = self._thread
        if thread.comparison is not None:
            return thread.comparison.folder
        if thread.transcript is not None:
            return thread.transcript.folder
        return thread.directory or transcripts_dir()

    def append(self, role: Any, content: str, **fields: Any) -> Any:
        thread = self._thread
        comparison = thread.comparison
        if comparison is not None:
            if comparison.unsaved is not None:
                return None  # said once, by the side that found out
            try:
                return comparison.record(thread.side, self._settings, role, content, **fields)
            except OSError as error:
                comparison.failed(error)
                raise
        try:
            return thread.writer(self._settings).append(role, content, **fields)
        except OSError as error:
            thread.unsaved = error  # the thread's later replays need not try again
            raise
