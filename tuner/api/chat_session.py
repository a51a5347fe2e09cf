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
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuner.api.chat import ChatRequest, sampling_params
from tuner.api.replay import PromptLine, PromptReplay, ReplayEvent
from tuner.api.retry import RetryPolicy
from tuner.api.transcripts import (
    Transcript,
    TranscriptHeader,
    TranscriptWriter,
    transcripts_dir,
)

if TYPE_CHECKING:
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
    """One model's conversation. The transcript file is created with the first turn."""

    model: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    transcript: TranscriptWriter | None = None
    title: str | None = None
    directory: Path | None = None  # None: the data dir's transcripts folder
    unsaved: OSError | None = None  # why the transcript could not be written, once it failed

    @classmethod
    def resume(cls, transcript: Transcript) -> ChatThread:
        """Continue a saved conversation: its messages, model and file (partial replies kept)."""
        return cls(
            model=transcript.header.model,
            messages=transcript.messages(),
            transcript=TranscriptWriter.reopen(transcript),
            title=transcript.header.title,
        )

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
        if self.transcript is None:
            self.transcript = TranscriptWriter.start(
                self.model,
                settings.system_prompt,
                settings.params(),
                title=self.title,
                directory=self.directory,
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
        if thread.transcript is not None:
            return thread.transcript.folder
        return thread.directory or transcripts_dir()

    def append(self, role: Any, content: str, **fields: Any) -> Any:
        try:
            return self._thread.writer(self._settings).append(role, content, **fields)
        except OSError as error:
            self._thread.unsaved = error  # the thread's later replays need not try again
            raise
