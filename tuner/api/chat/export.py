"""Turn saved chats into training data, with the user's corrections applied first.

The point of exporting a chat is usually to fix what the model got wrong: the user picks the
exchanges worth keeping, rewrites a reply or two, and exports. Corrections never touch the
transcript on disk (it stays the record of what the model said); they are applied to an
in-memory copy handed to `export_training_examples`.

A comparison exports one side (`side`, the first model unless told): corrections are keyed by
`Turn.index`, which a side keeps, so a reply corrected in a side's view is the one exported.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Literal

from tuner.api.chat.transcripts import Transcript, export_training_examples


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
