"""Turn saved chats into training data, with the user's corrections applied first.

The point of exporting a chat is usually to fix what the model got wrong: the user picks the
exchanges worth keeping, rewrites a reply or two, and exports. Corrections never touch the
transcript on disk (it stays the record of what the model said); they are applied to an
in-memory copy handed to `export_training_examples`.

A comparison exports one side (`side`, the first model unless told): corrections are keyed by
`Turn.index`, which a side keeps, so a reply corrected in a side's view is the one exported.

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

import dataclasses
import json
import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tuner.api.chat.transcripts import Transcript, Turn, load_transcript
from tuner.api.errors import scrub_known


@dataclass(frozen=True)
class Exchange:
    """A user turn and the complete assistant reply to it."""

    number: int  # 0-based among the transcript's complete exchanges
    user: Turn
    assistant: Turn


def complete_exchanges(transcript: Transcript, side: int = 0) -> list[Exchange]:
    """The complete exchanges in order; unanswered prompts and partial replies are dropped.
    For a comparison, those of `side` (the first model unless told)."""
    found: list[Exchange] = []
    pending: Turn | None = None
    for turn in transcript.side(side).turns if transcript.compared else transcript.turns:
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
    side: int = 0,
) -> int:
    """Write transcripts as fine-tuning chat JSONL to `out_path`; returns the examples written.

    `exchanges` selects exchange numbers (0-based, see `complete_exchanges()`) in every
    transcript given; None exports all. A comparison gives the replies of one `side` (the first
    model, the one compared against, unless told; a training set of both would teach two
    answers to one prompt); an ordinary transcript is exported whole whatever `side` says.
    The file is written atomically.
    """
    if isinstance(sources, Transcript | str | os.PathLike):
        sources = [sources]
    loaded = [s if isinstance(s, Transcript) else load_transcript(s) for s in sources]
    transcripts: Sequence[Transcript] = [t.side(side) if t.compared else t for t in loaded]
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


def corrected(transcript: Transcript, edits: Mapping[int, str]) -> Transcript:
    """`transcript` with the content of turns (by `Turn.index`) replaced by `edits`."""
    if not edits:
        return transcript
    turns = tuple(
        dataclasses.replace(turn, content=edits[turn.index]) if turn.index in edits else turn
        for turn in transcript.turns
    )
    return dataclasses.replace(transcript, turns=turns)


def default_export_path(folder: Path, transcript: Transcript) -> Path:
    """`<folder>/<transcript id>.jsonl`: next to the user's data, named after the chat."""
    return folder / f"{transcript.header.id}.jsonl"


def export_chats(
    transcripts: Sequence[Transcript],
    out_path: Path,
    *,
    edits: Mapping[Path, Mapping[int, str]] | None = None,
    exchanges: Collection[int] | None = None,
    mode: Literal["conversation", "exchange"] = "conversation",
    include_system: bool = True,
    side: int = 0,
) -> int:
    """Write `transcripts` (corrected by `edits`, keyed by transcript path) as training JSONL.

    Returns the number of examples written; see `export_training_examples` for the shapes and
    for `side` (which model of a comparison is exported).
    """
    edits = edits or {}
    fixed = [corrected(t, edits.get(t.path, {})) for t in transcripts]
    return export_training_examples(
        fixed, out_path, include_system=include_system, mode=mode, exchanges=exchanges, side=side
    )
