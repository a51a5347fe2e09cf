"""Completion for a typed path: the rest of the first folder or file whose name starts so.

An `Input(suggester=PathSuggester(root, suffixes))` shows the completion dimmed after the cursor
and → takes it, as a shell's tab would. Paths are relative to `root` (the browser's folder)
unless typed absolute or with `~`. Only folders and files with one of `suffixes` are offered,
hidden ones only when a `.` was typed; a folder that cannot be listed offers nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from textual.suggester import Suggester

# A folder with more entries than this is not listed for a suggestion (a slow network mount).
MAX_ENTRIES = 5000


class PathSuggester(Suggester):
    def __init__(self, root: Path, suffixes: Iterable[str] = (".jsonl",)) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.root = root
        self.suffixes = frozenset(suffix.lower() for suffix in suffixes)

    async def get_suggestion(self, value: str) -> str | None:
        if not value or value.endswith(os.sep + os.sep):
            return None
        folder_text, _, partial = value.rpartition(os.sep)
        folder = Path(os.path.expanduser(folder_text + os.sep if folder_text else "."))
        if not folder.is_absolute():
            folder = self.root / folder
        if not folder_text and value.startswith(os.sep):
            folder = Path(os.sep)
        found = self._first_match(folder, partial)
        if found is None:
            return None
        return value + found[len(partial) :]

    def _first_match(self, folder: Path, partial: str) -> str | None:
        try:
            with os.scandir(folder) as entries:
                names = []
                for count, entry in enumerate(entries):
                    if count >= MAX_ENTRIES:
                        return None
                    if not entry.name.startswith(partial):
                        continue
                    if entry.name.startswith(".") and not partial.startswith("."):
                        continue
                    if entry.is_dir():
                        names.append(entry.name + os.sep)
                    elif entry.name == partial:
                        continue  # typed whole: nothing to add
                    elif Path(entry.name).suffix.lower() in self.suffixes:
                        names.append(entry.name)
        except OSError:
            return None
        return min(names) if names else None
