"""Cut a JSONL file into a training part and a held-out part, the same way every time.

`tuner split FILE --holdout 10%` writes `NAME.train.jsonl` and `NAME.holdout.jsonl`. A model is
only measured fairly on prompts it was not trained on, so examples with the same prompt
(whitespace normalised, the key `tuner eval` matches prompts by) always land on one side:
identical examples, and the same question answered twice, can never be on both. Which side is
decided by a keyed hash of that prompt key and the seed, so the split depends on the seed and the
examples alone: the same file and seed give the same split on any machine, and the order in which
prompts are held out does not depend on the rest of the file.

The held-out side takes the prompt groups with the smallest hashes until it is as close to the
asked size as whole groups allow. Lines are copied byte for byte (line endings included; a last
line without one gets a newline); blank lines are not examples and are dropped. A line that is
not a chat example (broken JSON, another format) is kept and placed by its own whitespace-
normalised text: a split never judges the data, `tuner validate` does.

Memory stays small for big files: the first pass keeps 8 bytes per line (the hash), the second
re-reads the file and copies each line to its side. The file must not change in between.
"""

from __future__ import annotations

import hashlib
import os
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import orjson

from tuner.data.eval.examples import normalise_whitespace, prompt_key, split_turns
from tuner.data.jsonl.atomic_file import OutputTarget, output_target, write_atomically
from tuner.data.wording import plural

BOM = b"\xef\xbb\xbf"
DEFAULT_SEED = 0


class SplitError(Exception):
    """The file cannot be split as asked; the message is one line naming the file and why."""


@dataclass(frozen=True, slots=True)
class HoldoutSize:
    """How many examples to hold out: a `percent` of the file, or a `count`."""

    percent: float | None = None
    count: int | None = None

    def target(self, examples: int) -> int:
        if self.count is not None:
            return self.count
        assert self.percent is not None
        return round(examples * self.percent / 100)

    def __str__(self) -> str:
        return f"{self.percent:g}%" if self.percent is not None else f"{self.count}"


@dataclass(frozen=True, slots=True)
class SplitPaths:
    """Where a split of `source` writes: `train` and `holdout`."""

    source: Path
    train: Path
    holdout: Path


@dataclass(frozen=True, slots=True)
class SplitResult:
    """What a split wrote: example counts per side, `asked` (the holdout size asked for),
    `blank_lines` dropped, and `shared_prompt` examples that share a prompt with another (kept
    on one side with it)."""

    paths: SplitPaths
    train_examples: int
    holdout_examples: int
    asked: int
    blank_lines: int
    shared_prompt: int


def parse_holdout(text: str) -> HoldoutSize:
    """`10%` (a share, above 0 and below 100) or `50` (a count of examples, at least 1)."""
    value = text.strip()
    if value.endswith("%"):
        try:
            percent = float(value[:-1])
        except ValueError:
            raise SplitError(f"--holdout {text}: not a percentage (e.g. 10%)") from None
        if not 0 < percent < 100:
            raise SplitError(f"--holdout {text}: a percentage is above 0% and below 100%")
        return HoldoutSize(percent=percent)
    try:
        count = int(value)
    except ValueError:
        raise SplitError(
            f"--holdout {text}: give a percentage (10%) or a whole number of examples (50)"
        ) from None
    if count < 1:
        raise SplitError(f"--holdout {text}: hold out at least 1 example")
    return HoldoutSize(count=count)


def split_paths(
    source: str | os.PathLike[str], out_dir: str | os.PathLike[str] | None
) -> SplitPaths:
    """`NAME.train.jsonl` and `NAME.holdout.jsonl` beside `source` (or in `out_dir`), NAME being
    the file's name without its last suffix."""
    path = Path(source)
    folder = Path(out_dir) if out_dir is not None else path.parent
    name = path.stem if path.suffix else path.name
    return SplitPaths(path, folder / f"{name}.train.jsonl", folder / f"{name}.holdout.jsonl")


def split_file(
    source: str | os.PathLike[str],
    holdout: HoldoutSize,
    *,
    seed: int = DEFAULT_SEED,
    out_dir: str | os.PathLike[str] | None = None,
    force: bool = False,
) -> SplitResult:
    """Split `source` into its train and holdout files (see the module's note).

    Raises `SplitError` when the split cannot be made (too few examples, one prompt only, the
    file changed while read), `FileExistsError` when an output exists and `force` is False,
    `OutputError` when an output cannot be written, and `OSError` when `source` cannot be read.
    Both outputs are written whole or not at all.
    """
    paths = split_paths(source, out_dir)
    train_target = output_target(paths.train, force=force)
    holdout_target = output_target(paths.holdout, force=force)
    shown = str(source)
    before = _identity(paths.source)
    ranks, blank = _rank_lines(paths.source, seed)
    n = len(ranks)
    asked = _asked(holdout, n, shown)
    threshold, held, shared = _threshold(ranks, asked, shown)
    _write_sides(paths.source, ranks, threshold, train_target, holdout_target, before, shown)
    return SplitResult(paths, n - held, held, asked, blank, shared)


def line_group_key(raw: bytes, seed: int = DEFAULT_SEED) -> int:
    """The 64-bit rank of one line (without its line ending): a keyed hash of its prompt key, so
    lines with the same prompt share it. Lower ranks are held out first."""
    key = _group_key(raw[3:] if raw.startswith(BOM) else raw)
    digest = hashlib.blake2b(key, digest_size=8, key=str(seed).encode("ascii")).digest()
    return int.from_bytes(digest, "little")


def _group_key(raw: bytes) -> bytes:
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return b"line:" + b" ".join(raw.split())
    if isinstance(obj, dict):
        messages = obj.get("messages")
        if isinstance(messages, list) and messages:
            prompt, _ = split_turns(messages)
            return b"prompt:" + prompt_key(prompt).encode()
        source = obj.get("input")
        if isinstance(source, dict) and isinstance(source.get("messages"), list):
            return b"prompt:" + prompt_key(source["messages"]).encode()
        if isinstance(obj.get("prompt"), str):
            return b"text:" + normalise_whitespace(obj["prompt"]).encode("utf-8", "surrogatepass")
    return b"value:" + prompt_key([obj]).encode()


def _identity(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_size, info.st_mtime_ns


def _lines(path: Path) -> Any:
    """The file's lines with their endings, one in memory at a time."""
    with open(path, "rb") as f:
        yield from f


def _is_blank(raw: bytes, first: bool) -> bool:
    return not (raw[3:] if first and raw.startswith(BOM) else raw).strip()


def _rank_lines(path: Path, seed: int) -> tuple[array[int], int]:
    ranks: array[int] = array("Q")
    blank = 0
    for number, raw in enumerate(_lines(path)):
        if _is_blank(raw, number == 0):
            blank += 1
            continue
        ranks.append(line_group_key(raw.rstrip(b"\r\n"), seed))
    return ranks, blank


def _asked(holdout: HoldoutSize, n: int, shown: str) -> int:
    if n < 2:
        raise SplitError(f"{shown} has {plural(n, 'example')}; a split needs at least 2")
    asked = holdout.target(n)
    if asked < 1:
        raise SplitError(
            f"{shown} has {n} examples: {holdout} of them is none; hold out a count instead "
            "(--holdout 1) or use a bigger file"
        )
    if asked >= n:
        raise SplitError(
            f"{shown} has {n} examples: a holdout of {holdout} leaves none to train on"
        )
    return asked


def _threshold(ranks: array[int], asked: int, shown: str) -> tuple[int, int, int]:
    """(the highest rank held out, how many lines that holds out, lines sharing a prompt)."""
    ordered = np.sort(np.frombuffer(ranks, dtype=np.uint64))
    n = ordered.size
    # Group boundaries: after position i when ordered[i] != ordered[i + 1]; the count held out
    # by cutting there is i + 1. Every such count leaves both sides non-empty.
    counts = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
    shared = n - (counts.size + 1)
    if counts.size == 0:
        raise SplitError(f"all {n} examples of {shown} have the same prompt: they cannot be split")
    # The cut closest to the asked size; between two equally close, the smaller holdout.
    at = int(np.searchsorted(counts, asked))
    options = [int(counts[i]) for i in (at - 1, at) if 0 <= i < counts.size]
    held = min(options, key=lambda count: (abs(count - asked), count))
    return int(ordered[held - 1]), held, shared


def _write_sides(
    source: Path,
    ranks: array[int],
    threshold: int,
    train_target: OutputTarget,
    holdout_target: OutputTarget,
    before: tuple[int, int],
    shown: str,
) -> None:
    def copy(train: BinaryIO, holdout: BinaryIO) -> None:
        index = 0
        for number, raw in enumerate(_lines(source)):
            if _is_blank(raw, number == 0):
                continue
            if index >= len(ranks):
                raise _changed(shown)
            out = holdout if ranks[index] <= threshold else train
            out.write(raw if raw.endswith(b"\n") else raw + b"\n")
            index += 1
        if index != len(ranks) or _identity(source) != before:
            raise _changed(shown)

    _write_both(train_target, holdout_target, copy)


def _write_both(
    first: OutputTarget, second: OutputTarget, write: Callable[[BinaryIO, BinaryIO], None]
) -> None:
    """Write two files from one pass; each is replaced only when the whole pass succeeded (the
    second is renamed into place just before the first)."""

    def outer(first_out: BinaryIO) -> bool:
        def inner(second_out: BinaryIO) -> bool:
            write(first_out, second_out)
            return True

        write_atomically(second, inner)
        return True

    write_atomically(first, outer)


def _changed(shown: str) -> SplitError:
    return SplitError(f"{shown} changed while it was being split; nothing was written")
