"""Chat transcripts on disk: written as they happen, read back, listed.

One JSONL file per conversation in `data_dir()/transcripts/`: a header record (id, created_at,
model, system prompt, sampling params, the profile's *name* — never a key or URL) then one record
per message ("turn"). Each record is opened, appended, flushed and fsynced on its own, so a crash
loses at most the turn in flight; `load_transcript` tolerates a torn last line for the same reason.

A comparison (the same prompts to two models, possibly on two services) is one file too: the
header adds `compare: [{"model", "profile"}, ...]` (one entry per side; `model` stays the first
side's, so a reader that knows nothing of comparing still sees a valid transcript), each user turn
is written once, and each assistant turn adds `side` (its index in `compare`), `model` and
`profile`. `Transcript.side(i)` is one side's conversation as an ordinary transcript, which is how
it is continued, shown and exported. Fields are only ever added: files written before comparing
existed load unchanged, and ordinary transcripts are written exactly as before.

Turning transcripts into training examples is `tuner.api.chat.export`'s job.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from tuner.api.errors import scrub_known

TRANSCRIPT_VERSION = 1
_PARAM_KEYS = (
    "temperature",
    "frequency_penalty",
    "presence_penalty",
    "max_tokens",
    "seed",
    "top_p",
)


class TranscriptError(Exception):
    """A transcript file that cannot be read; the message names the file and line."""


def transcripts_dir() -> Path:
    from tuner.config import data_dir

    return data_dir() / "transcripts"


@dataclass(frozen=True)
class CompareSide:
    """One model of a comparison and the settings profile (its name) that reaches it."""

    model: str
    profile: str | None = None

    @property
    def label(self) -> str:
        """`model · profile` (or the model alone when no profile is named)."""
        return f"{self.model} · {self.profile}" if self.profile else self.model


@dataclass(frozen=True)
class TranscriptHeader:
    id: str
    created_at: float
    model: str
    system_prompt: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    title: str | None = None
    profile: str | None = None  # the settings profile's name, when one was used
    compare: tuple[CompareSide, ...] = ()  # every side of a comparison; () for one model

    @property
    def described_model(self) -> str:
        """What the conversation was held with: `M`, or `M vs M2` for a comparison."""
        return " vs ".join(side.model for side in self.compare) if self.compare else self.model


@dataclass(frozen=True)
class Turn:
    """One message. Assistant turns carry the model, finish reason and token usage."""

    index: int
    role: Literal["user", "assistant", "system"]
    content: str
    created_at: float
    model: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    partial: bool = False  # interrupted before the service finished it
    side: int | None = None  # in a comparison: the index of the side (header.compare) replying
    profile: str | None = None  # in a comparison: that side's profile name


@dataclass(frozen=True)
class Transcript:
    path: Path
    header: TranscriptHeader
    turns: tuple[Turn, ...]

    @property
    def compared(self) -> bool:
        """True for a comparison of several models (see `side`)."""
        return bool(self.header.compare)

    def messages(self) -> list[dict[str, str]]:
        """The conversation as chat messages (no system prompt), e.g. to continue it. For a
        comparison, the first side's (`side(i).messages()` for another)."""
        if self.compared:
            return self.side(0).messages()
        return [{"role": t.role, "content": t.content} for t in self.turns if t.role != "system"]

    def side_of(self, turn: Turn) -> int | None:
        """Which side of a comparison an assistant turn belongs to (None: none known)."""
        sides = self.header.compare
        if turn.side is not None:
            return turn.side if 0 <= turn.side < len(sides) else None
        for index, side in enumerate(sides):  # a turn written without its index
            if side.model == turn.model and side.profile == turn.profile:
                return index
        return None

    def side(self, index: int) -> Transcript:
        """Side `index` of a comparison as an ordinary transcript: the user turns that side
        answered (a line that failed for it is left out, as its live conversation left it out)
        and its replies, with the original turn indexes (so corrections by `Turn.index` still
        apply). An ordinary transcript is its own side 0."""
        sides = self.header.compare
        if not sides:
            if index != 0:
                raise IndexError(f"{self.path}: one model, no side {index}")
            return self
        if not 0 <= index < len(sides):
            raise IndexError(f"{self.path}: no side {index} (sides: {len(sides)})")
        chosen = sides[index]
        header = dataclasses.replace(
            self.header, model=chosen.model, profile=chosen.profile, compare=()
        )
        kept: list[Turn] = []
        prompt: Turn | None = None
        for turn in self.turns:
            if turn.role == "user":
                prompt = turn
            elif turn.role == "assistant":
                if self.side_of(turn) == index:
                    if prompt is not None:
                        kept.append(prompt)
                        prompt = None
                    kept.append(turn)
            else:
                kept.append(turn)
        return Transcript(self.path, header, tuple(kept))


@dataclass(frozen=True)
class TranscriptInfo:
    """A line in the transcript list: enough to show and open it."""

    path: Path
    id: str
    created_at: float
    model: str
    """The model, or `M vs M2` for a comparison."""
    title: str | None
    turns: int
    """Replies, as the chat header counts them: one turn is a prompt and its answer (in a
    comparison, a prompt answered by at least one side)."""
    compare: tuple[CompareSide, ...] = ()


def _append_record(path: Path, record: Mapping[str, Any]) -> None:
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
    with path.open("a", encoding="utf-8") as handle:
        handle.write(scrub_known(line))
        handle.flush()
        os.fsync(handle.fileno())


def _safe_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Only known sampling parameters, so nothing sensitive rides along by accident."""
    return {k: v for k, v in (params or {}).items() if k in _PARAM_KEYS and v is not None}


def _header_record(header: TranscriptHeader) -> dict[str, Any]:
    """The header as written: the fields of every version, then `profile` and `compare` only
    when set, so an ordinary transcript's header is the same as before comparing existed."""
    record: dict[str, Any] = {
        "type": "header",
        "version": TRANSCRIPT_VERSION,
        "id": header.id,
        "created_at": header.created_at,
        "model": header.model,
        "system_prompt": header.system_prompt,
        "params": dict(header.params),
        "title": header.title,
    }
    if header.profile is not None:
        record["profile"] = header.profile
    if header.compare:
        record["compare"] = [asdict(side) for side in header.compare]
    return record


class TranscriptWriter:
    """Appends a conversation turn by turn. Create with `start` or `reopen`."""

    def __init__(self, path: Path, header: TranscriptHeader, next_index: int = 0) -> None:
        self.path = path
        self.header = header
        self._next = next_index

    @classmethod
    def start(
        cls,
        model: str,
        system_prompt: str | None = None,
        params: Mapping[str, Any] | None = None,
        *,
        title: str | None = None,
        directory: Path | None = None,
        profile: str | None = None,
        compare: Sequence[CompareSide] = (),
    ) -> TranscriptWriter:
        """A new transcript file with its header written (and fsynced) already.

        `compare` names every side of a comparison (`model` should be the first side's); then
        replies are appended with `side=`. `profile` is a settings profile's name, never more.
        """
        directory = directory or transcripts_dir()
        directory.mkdir(parents=True, exist_ok=True)
        now = time.time()
        stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%d-%H%M%S")
        transcript_id = f"chat-{stamp}-{secrets.token_hex(3)}"
        header = TranscriptHeader(
            transcript_id,
            now,
            model,
            system_prompt,
            _safe_params(params),
            title,
            None if compare else profile,
            tuple(compare),
        )
        path = directory / f"{transcript_id}.jsonl"
        _append_record(path, _header_record(header))
        return cls(path, header)

    @property
    def folder(self) -> Path:
        """Where the file is: named when it cannot be written."""
        return self.path.parent

    @classmethod
    def reopen(cls, transcript: Transcript) -> TranscriptWriter:
        """Continue an existing transcript (after `load_transcript`)."""
        return cls(transcript.path, transcript.header, len(transcript.turns))

    def append(
        self,
        role: Literal["user", "assistant", "system"],
        content: str,
        *,
        model: str | None = None,
        finish_reason: str | None = None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        partial: bool = False,
        side: int | None = None,
    ) -> Turn:
        """Write one turn to disk now (fsynced) and return it. In a comparison, a reply names
        its `side`; the side's profile is written with it from the header."""
        profile = None
        if side is not None:
            sides = self.header.compare
            if not 0 <= side < len(sides):
                raise ValueError(f"no side {side} in this transcript (sides: {len(sides)})")
            profile = sides[side].profile
        turn = Turn(
            self._next,
            role,
            content,
            time.time(),
            model,
            finish_reason,
            prompt_tokens,
            completion_tokens,
            partial,
            side,
            profile,
        )
        record = {k: v for k, v in asdict(turn).items() if v is not None and v is not False}
        _append_record(self.path, {"type": "turn", **record})
        self._next += 1
        return turn


def _sides_from(value: Any) -> tuple[CompareSide, ...]:
    """`compare` of a header: a list of {"model", "profile"}; anything else is refused."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise TypeError("compare must be a list")
    sides = []
    for entry in value:
        model, profile = entry["model"], entry.get("profile")
        if not isinstance(model, str) or not (profile is None or isinstance(profile, str)):
            raise TypeError("compare entries need a model and a profile name")
        sides.append(CompareSide(model, profile))
    if len(sides) == 1:
        raise ValueError("compare names one model: a comparison needs two or more")
    return tuple(sides)


def _header_from(record: Mapping[str, Any], path: Path) -> TranscriptHeader:
    try:
        return TranscriptHeader(
            id=str(record["id"]),
            created_at=float(record.get("created_at") or 0),
            model=str(record.get("model") or ""),
            system_prompt=record.get("system_prompt"),
            params=dict(record.get("params") or {}),
            title=record.get("title"),
            profile=record.get("profile"),
            compare=_sides_from(record.get("compare")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise TranscriptError(f"{path}:1: not a transcript header ({exc})") from None


def _turn_from(record: Mapping[str, Any]) -> Turn:
    return Turn(
        index=int(record["index"]),
        role=record["role"],
        content=str(record.get("content") or ""),
        created_at=float(record.get("created_at") or 0),
        model=record.get("model"),
        finish_reason=record.get("finish_reason"),
        prompt_tokens=record.get("prompt_tokens"),
        completion_tokens=record.get("completion_tokens"),
        partial=bool(record.get("partial", False)),
        side=None if record.get("side") is None else int(record["side"]),
        profile=record.get("profile"),
    )


def load_transcript(path: str | os.PathLike[str]) -> Transcript:
    """Read a transcript back (to show, continue or export). A torn final line is ignored."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise TranscriptError(f"{path}: cannot read: {exc}") from None
    header: TranscriptHeader | None = None
    turns: list[Turn] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if record.get("type") == "header":
                header = _header_from(record, path)
            elif record.get("type") == "turn":
                turns.append(_turn_from(record))
        except (ValueError, KeyError, TypeError, AttributeError):
            if number == len(lines):
                break  # the turn in flight when the app stopped
            raise TranscriptError(f"{path}:{number}: not a transcript record") from None
    if header is None:
        raise TranscriptError(f"{path}:1: no transcript header")
    return Transcript(path, header, tuple(turns))


def list_transcripts(directory: Path | None = None) -> list[TranscriptInfo]:
    """Every readable transcript, newest first (unreadable files are left out)."""
    directory = directory or transcripts_dir()
    infos: list[TranscriptInfo] = []
    for path in directory.glob("*.jsonl") if directory.is_dir() else ():
        try:
            transcript = load_transcript(path)
        except TranscriptError:
            continue
        header = transcript.header
        infos.append(
            TranscriptInfo(
                path,
                header.id,
                header.created_at,
                header.described_model,
                header.title,
                _answered_prompts(transcript),
                header.compare,
            )
        )
    infos.sort(key=lambda info: info.created_at, reverse=True)
    return infos


def _answered_prompts(transcript: Transcript) -> int:
    """Prompts with at least one reply: every reply for one model, a round for a comparison."""
    if not transcript.compared:
        return sum(1 for turn in transcript.turns if turn.role == "assistant")
    answered, waiting = 0, False
    for turn in transcript.turns:
        if turn.role == "user":
            waiting = True
        elif turn.role == "assistant" and waiting:
            answered, waiting = answered + 1, False
    return answered
