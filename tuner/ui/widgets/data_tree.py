"""A directory tree of dataset files, each labelled with its size, line count and validity.

The tree only draws: the facts (`FileFacts`) are gathered by the files screen's workers and
handed in. When a folder is listed the tree posts `FilesListed` so the screen can count the
new files' lines in a thread, without the tree knowing how.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.style import Style
from rich.text import Text, TextType
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DirectoryTree
from textual.widgets.directory_tree import DirEntry
from textual.widgets.tree import TreeNode

from tuner.data.durations import format_size
from tuner.ui.outside import outside_line
from tuner.ui.services import ValidationSummary

DATA_SUFFIXES = frozenset({".jsonl", ".json", ".txt"})


@dataclass
class FileFacts:
    """What the browser knows about one file so far; None means "not known yet"."""

    size: int | None = None
    lines: int | None = None
    problem: str | None = None  # why the file could not be read or counted
    validation: ValidationSummary | None = None
    validating: bool = False


def facts_text(facts: FileFacts | None) -> Text:
    """The dim suffix after a file name: `18.2 KB · 60 lines · ✓ valid`."""
    text = Text()
    if facts is None:
        return text
    if facts.problem:
        text.append_text(outside_line(f"  {facts.problem}", style="red"))
        return text
    parts: list[str] = []
    if facts.size is not None:
        parts.append(format_size(facts.size))
    parts.append("…" if facts.lines is None else f"{facts.lines:,} ln")
    text.append("  " + " · ".join(parts), style="dim")
    if facts.validating:
        text.append("  checking…", style="dim italic")
    elif facts.validation is not None:
        badge = facts.validation
        style = "red" if badge.errors else ("yellow" if badge.warnings else "green")
        text.append(f"  {badge.short_badge}", style=style)
    return text


class DataTree(DirectoryTree):
    """`DirectoryTree` showing only data files (`show_all` lists everything)."""

    BINDING_GROUP_TITLE = "File tree"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Open", id="files.open"),
    ]

    class FolderLoaded(Message):
        """A folder's entries are in the tree now (the root's too): `node` shows it."""

        def __init__(self, node: TreeNode[DirEntry]) -> None:
            super().__init__()
            self.node = node

    class FilesListed(Message):
        """A folder was listed; `paths` are the files in it that passed the filter."""

        def __init__(self, paths: list[Path]) -> None:
            super().__init__()
            self.paths = paths

    def __init__(self, path: Path, *, show_all: bool = False, id: str | None = None) -> None:
        self.show_all = show_all
        self.facts: dict[Path, FileFacts] = {}
        super().__init__(path, id=id)

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        """Keep folders and data files; hide dot-files unless showing everything.

        Runs in the tree's loader thread, so it is also where new files are announced.
        """
        kept: list[Path] = []
        for path in paths:
            wanted = self._safe_is_dir(path) or path.suffix.lower() in DATA_SUFFIXES
            if self.show_all or (wanted and not path.name.startswith(".")):
                kept.append(path)
        files = [p for p in kept if not self._safe_is_dir(p)]
        if files:
            self.post_message(self.FilesListed(files))
        return kept

    def _populate_node(self, node: TreeNode[DirEntry], content: Iterable[Path]) -> None:
        super()._populate_node(node, content)
        self.post_message(self.FolderLoaded(node))

    def expanded_folders(self) -> list[Path]:
        """The folders shown open: what the browser watches for new files."""
        found: list[Path] = []
        stack = [self.root]
        while stack:
            node = stack.pop()
            if node.allow_expand and node.is_expanded and node.data is not None:
                found.append(node.data.path)
                stack.extend(node.children)
        return found

    def process_label(self, label: TextType) -> Text:
        """A file's name as it is: no markup, control characters (an ESC, a newline) shown."""
        return outside_line(label) if isinstance(label, str) else super().process_label(label)

    def render_label(self, node: TreeNode[DirEntry], base_style: Style, style: Style) -> Text:
        """The usual label, then the file's facts; the root shows only its folder name."""
        if node is self.root:
            name = self.path.name or str(self.path)
            return Text.assemble(self.ICON_NODE_EXPANDED, outside_line(name, "bold"))
        label = super().render_label(node, base_style, style)
        if node.data is not None and not node.allow_expand:
            label.append_text(facts_text(self.facts.get(node.data.path)))
        return label

    def node_for(self, path: Path) -> TreeNode[DirEntry] | None:
        """The node showing `path`, if it is loaded (a walk over loaded nodes only)."""
        stack = [self.root]
        while stack:
            node = stack.pop()
            if node.data is not None and node.data.path == path:
                return node
            stack.extend(node.children)
        return None

    def refresh_path(self, path: Path) -> None:
        """Redraw the line of `path` after its facts changed."""
        node = self.node_for(path)
        if node is not None:
            node.refresh()
