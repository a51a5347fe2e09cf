"""Finding a user's files under a folder: data files for the palette, prompt files for a replay.

A bounded walk (depth and count), so pointing tuner at a home folder stays quick. Both the
command palette and the prompt-file picker list files this way; the rules live here, below the
UI, so neither has to import the other.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_SUFFIXES = frozenset({".jsonl", ".json", ".txt"})
WALK_MAX_FILES = 2000
WALK_MAX_DEPTH = 4
SKIP_DIRS = frozenset({".git", "node_modules", "__pycache__", ".venv", "venv", ".tox"})
PROMPT_SUFFIXES = frozenset({".txt", ".md"})


def walk_data_files(root: Path) -> list[Path]:
    """Data files under `root`, bounded in depth and count so a home folder stays quick."""
    found: list[Path] = []
    root_depth = len(root.parts)
    for folder, dirs, files in os.walk(root, onerror=lambda _err: None):
        here = Path(folder)
        if len(here.parts) - root_depth >= WALK_MAX_DEPTH:
            dirs[:] = []
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            if Path(name).suffix.lower() in DATA_SUFFIXES:
                found.append(here / name)
                if len(found) >= WALK_MAX_FILES:
                    return found
    return found


def is_prompt_file(path: Path) -> bool:
    """A `.txt` file: the browser opens it in chat, ready to replay, not as a dataset."""
    return path.suffix.lower() == ".txt"


def prompt_files(root: Path, suffixes: frozenset[str] = PROMPT_SUFFIXES) -> list[Path]:
    """Files with `suffixes` under `root` (text files by default; bounded walk), shortest paths
    first."""
    found = [p for p in walk_data_files(root) if p.suffix.lower() in suffixes]
    return sorted(found, key=lambda p: (len(p.relative_to(root).parts), str(p)))
