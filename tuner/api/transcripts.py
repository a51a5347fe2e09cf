"""Chat transcripts on disk, written as they happen, and their export as training examples.

One JSONL file per conversation in `data_dir()/transcripts/`: a header record (id, created_at,
model, system prompt, sampling params — never the key) then one record per message ("turn").
Each record is opened, appended, flushed and fsynced on its own, so a crash loses at most the turn
in flight; `load_transcript` tolerates a torn last line for the same reason.

Export (`export_training_examples`) writes the fine-tuning chat format, `{"messages": [...]}`
per line, in one of two shapes:
- `mode="conversation"` (default): one example per transcript with the whole conversation.
  When `exchanges` selects some replies, the others stay as context with `"weight": 0`, so the
  model learns only from the chosen answers.
- `mode="exchange"`: one example per selected exchange (system + that user + that reply), for
  prompts that stand alone, as in a replayed prompt file.
Unanswered prompts and partial (interrupted) replies are never exported.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
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
class TranscriptHeader:
    id: str
    created_at: float
    model: str
    system_prompt: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    title: str | None = None


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


@dataclass(frozen=True)
class Transcript:
    path: Path
    header: TranscriptHeader
    turns: tuple[Turn, ...]

    def messages(self) -> list[dict[str, str]]:
        """The conversation as chat messages (no system prompt), e.g. to continue it."""
        return [{"role": t.role, "content": t.content} for t in self.turns if t.role != "system"]


@dataclass(frozen=True)
class TranscriptInfo:
    """A line in the transcript list: enough to show and open it."""

    path: Path
    id: str
    created_at: float
    model: str
    title: str | None
    turns: int
    """Replies, as the chat header counts them: one turn is a prompt and its answer."""


def _append_record(path: Path, record: Mapping[str, Any]) -> None:
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
    with path.open("a", encoding="utf-8") as handle:
        handle.write(scrub_known(line))
        handle.flush()
        os.fsync(handle.fileno())


def _safe_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Only known sampling parameters, so nothing sensitive rides along by accident."""
    return {k: v for k, v in (params or {}).items() if k in _PARAM_KEYS and v is not None}


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
    ) -> TranscriptWriter:
        """A new transcript file with its header written (and fsynced) already."""
        directory = directory or transcripts_dir()
        directory.mkdir(parents=True, exist_ok=True)
        now = time.time()
        stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%d-%H%M%S")
        transcript_id = f"chat-{stamp}-{secrets.token_hex(3)}"
        header = TranscriptHeader(
            transcript_id, now, model, system_prompt, _safe_params(params), title
        )
        path = directory / f"{transcript_id}.jsonl"
        record = {"type": "header", "version": TRANSCRIPT_VERSION, **asdict(header)}
        _append_record(path, record)
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
    ) -> Turn:
        """Write one turn to disk now (fsynced) and return it."""
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
        )
        record = {k: v for k, v in asdict(turn).items() if v is not None and v is not False}
        _append_record(self.path, {"type": "turn", **record})
        self._next += 1
        return turn


def _header_from(record: Mapping[str, Any], path: Path) -> TranscriptHeader:
    try:
        return TranscriptHeader(
            id=str(record["id"]),
            created_at=float(record.get("created_at") or 0),
            model=str(record.get("model") or ""),
            system_prompt=record.get("system_prompt"),
            params=dict(record.get("params") or {}),
            title=record.get("title"),
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
                header.model,
                header.title,
                sum(1 for turn in transcript.turns if turn.role == "assistant"),
            )
        )
    infos.sort(key=lambda info: info.created_at, reverse=True)
    return infos


# --------------------------------------------------------------------------- export


@dataclass(frozen=True)
class Exchange:
    """A user turn and the complete assistant reply to it."""

    number: int  # 0-based among the transcript's complete exchanges
    user: Turn
    assistant: Turn


def complete_exchanges(transcript: Transcript) -> list[Exchange]:
    """The complete exchanges in order; unanswered prompts and partial replies are dropped."""
    found: list[Exchange] = []
    pending: Turn | None = None
    for turn in transcript.turns:
        if turn.role == "user":
            pending = turn
        elif turn.role == "assistant" and pending is not None:
            if not turn.partial and turn.content:
                found.append(Exchange(len(found), pending, turn))
            pending = None
    return found


def _system(transcript: Transcript, include_system: bool) -> list[dict[str, Any]]:
    prompt = transcript.header.system_prompt
    return [{"role": "system", "content": prompt}] if include_system and prompt else []


def _examples(
    transcript: Transcript,
    mode: Literal["conversation", "exchange"],
    include_system: bool,
    selected: Collection[int] | None,
) -> list[dict[str, Any]]:
    pairs = complete_exchanges(transcript)
    chosen = [p for p in pairs if selected is None or p.number in selected]
    if not chosen:
        return []
    system = _system(transcript, include_system)
    if mode == "exchange":
        return [
            {
                "messages": [
                    *system,
                    {"role": "user", "content": p.user.content},
                    {"role": "assistant", "content": p.assistant.content},
                ]
            }
            for p in chosen
        ]
    last = chosen[-1].number
    messages = list(system)
    for pair in pairs[: last + 1]:
        reply: dict[str, Any] = {"role": "assistant", "content": pair.assistant.content}
        if selected is not None and pair.number not in selected:
            reply["weight"] = 0
        messages += [{"role": "user", "content": pair.user.content}, reply]
    return [{"messages": messages}]


def export_training_examples(
    sources: Transcript | str | os.PathLike[str] | Iterable[Transcript | str | os.PathLike[str]],
    out_path: str | os.PathLike[str],
    *,
    include_system: bool = True,
    mode: Literal["conversation", "exchange"] = "conversation",
    exchanges: Collection[int] | None = None,
) -> int:
    """Write transcripts as fine-tuning chat JSONL to `out_path`; returns the examples written.

    `exchanges` selects exchange numbers (0-based, see `complete_exchanges()`) in every
    transcript given; None exports all. The file is written atomically.
    """
    if isinstance(sources, Transcript | str | os.PathLike):
        sources = [sources]
    transcripts: Sequence[Transcript] = [
        s if isinstance(s, Transcript) else load_transcript(s) for s in sources
    ]
    examples: list[dict[str, Any]] = []
    for transcript in transcripts:
        examples += _examples(transcript, mode, include_system, exchanges)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    text = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in examples)
    tmp.write_text(scrub_known(text), encoding="utf-8")
    os.replace(tmp, out)
    return len(examples)
