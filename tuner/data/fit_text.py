"""Text made to fit a width without cutting a word or a file's name in two.

An 80x24 terminal cuts long lines at its edge: `12 lin…`, `Meta-Llama-3.1-8` (its `B` gone),
`secrets.t…`. Where a line must be shorter than its text, tuner says less instead: it ends at the
last whole part that fits (`… · valid.jsonl…`), and a path keeps its start and its file name and
loses its middle (`~/.config/…/secrets.toml`). Widths are terminal cells (a wide character
counts two), so Turkish, Greek or Japanese text fits as Latin does.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

ELLIPSIS = "…"
SEPARATOR = " · "
# Where an identifier (a model id, a file id) may end when it is cut: after one of these.
_ID_BREAKS = "-/:_"
# An absolute path (or one from the home folder) inside a message: at least two parts.
_PATH_IN_TEXT = re.compile(r"(?<![\w.])(?:~|/)[^\s'\"`:,;()]*/[^\s'\"`:,;()]+")
# A path shown in a message takes at most this many cells.
PATH_WIDTH = 40


def cell_width(text: str) -> int:
    """Terminal cells `text` takes: wide (East Asian) characters two, combining marks none."""
    width = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def fit_cut(text: str, width: int) -> tuple[int, str] | None:
    """Where to cut `text` so that it fits in `width` cells, and what marks the cut: None when
    the whole text fits, else (characters kept, the ellipsis that follows them).

    The cut is made, by preference, where a ` · `-separated part ends (a status line loses its
    last figures whole), else where a word ends, both marked ` …` so the last word reads as
    whole; else inside an identifier after `-`, `/`, `:` or `_` (`Meta-Llama-3.1…`); only one
    word with none of these is cut where the width ends. Trailing separators are not kept.
    """
    if cell_width(text) <= width:
        return None
    boundary = " " + ELLIPSIS
    room = width - cell_width(boundary)
    if room > 0:
        fits = _fitting_prefix(text, room)
        kept = text[:fits]
        # The last separator that starts where the kept text may end (at `fits` or before).
        parts = text.rfind(SEPARATOR, 0, fits + len(SEPARATOR))
        if parts > 0 and parts >= room // 2:  # whole parts go, unless too little is left
            return _trimmed(text, parts), boundary
        if text[fits] == " ":
            return _trimmed(text, fits), boundary  # the next word starts here: all kept whole
        space = kept.rfind(" ")
        if space > 0 and _trimmed(text, space) > 0:
            return _trimmed(text, space), boundary
    room = width - cell_width(ELLIPSIS)
    if room <= 0:
        return 0, ELLIPSIS[: max(0, width)]
    fits = _fitting_prefix(text, room)
    at = max(text[:fits].rfind(char) for char in _ID_BREAKS)
    if at > 0 and _trimmed(text, at + 1) > 0:
        return _trimmed(text, at + 1), ELLIPSIS
    return fits, ELLIPSIS


def fit_words(text: str, width: int) -> str:
    """`text` if it fits in `width` cells, else its start up to a word (see `fit_cut`) and an
    ellipsis."""
    cut = fit_cut(text, width)
    return text if cut is None else text[: cut[0]] + cut[1]


def short_path(path: str | os.PathLike[str], width: int = PATH_WIDTH) -> str:
    """`path` as a message shows it: the home folder as `~`, and when it is still wider than
    `width` cells, parts of its middle replaced by `…` (`~/.config/…/secrets.toml`): its first
    part and its file name always stay, so the reader knows where it starts and what it is."""
    text = _home_as_tilde(os.fspath(path))
    if cell_width(text) <= width:
        return text
    head, sep, rest = text.partition("/") if not text.startswith("/") else ("", "/", text[1:])
    parts = rest.split("/")
    if len(parts) <= 1:
        return text
    first = head + sep + parts[0] if head else sep + parts[0]
    tail = parts[1:]
    kept: list[str] = [tail.pop()]  # the file name, whatever its width
    while tail and cell_width("/".join([first, ELLIPSIS, tail[-1], *kept])) <= width:
        kept.insert(0, tail.pop())
    if not tail:
        return "/".join([first, *kept])
    shown = "/".join([first, ELLIPSIS, *kept])
    if cell_width(shown) > width:
        shown = "/".join([ELLIPSIS, *kept])
    return shown


def short_paths(message: str, width: int = PATH_WIDTH) -> str:
    """`message` with every path in it shown by `short_path` (the rest unchanged)."""
    return _PATH_IN_TEXT.sub(lambda match: short_path(match.group(), width), message)


def _home_as_tilde(text: str) -> str:
    home = str(Path.home())
    if home not in ("", "/") and (text == home or text.startswith(home + "/")):
        return "~" + text[len(home) :]
    return text


def _fitting_prefix(text: str, room: int) -> int:
    used = 0
    for index, char in enumerate(text):
        used += cell_width(char)
        if used > room:
            return index
    return len(text)


def _trimmed(text: str, at: int) -> int:
    """`at`, moved back over the spaces and separators that would end the kept text."""
    while at > 0 and text[at - 1] in " ·—-/:_,;":
        at -= 1
    return at
