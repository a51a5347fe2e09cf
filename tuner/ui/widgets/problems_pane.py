"""Every validation finding, grouped by code with counts; enter on one jumps to its line.

Tree lines do not wrap, so a finding wider than the pane ends at its last whole word, and the
highlighted one is also shown whole, wrapped, under the tree: a long message is read there.

A group shows at most `GROUP_LIMIT` lines (a file where every line repeats the same mistake
would otherwise build a tree of 200,000 nodes); the rest are reached with n / N, which step
through every problem line whatever the tree shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from tuner.data.wording import plural
from tuner.ui.widgets.fitted_line import fit_rich

if TYPE_CHECKING:
    from tuner.data.problems import Problem

GROUP_LIMIT = 200


class ProblemTree(Tree[int | None]):
    """The grouped findings; node data is the line to jump to (None for whole-file ones).

    A finding longer than the pane ends at its last whole word (`… 50 to 100 …`); the
    highlighted one is shown whole, wrapped, under the tree."""

    BINDING_GROUP_TITLE = "Problems"

    def render_label(self, node: TreeNode[int | None], base_style: Style, style: Style) -> Text:
        label = super().render_label(node, base_style, style)
        depth = 0
        parent = node.parent
        while parent is not None:
            depth, parent = depth + 1, parent.parent
        levels = depth - (0 if self.show_root else 1)  # the guides drawn before the label
        width = self.scrollable_content_region.width - levels * max(2, self.guide_depth)
        return fit_rich(label, width) if width > 0 else label


class ProblemsPane(Vertical):
    """A one-line count of errors and warnings over a tree of findings grouped by code."""

    DEFAULT_CSS = """
    ProblemsPane { height: 1fr; }
    ProblemsPane > #problems-summary { height: auto; padding: 0 1; }
    ProblemsPane > ProblemTree { height: 1fr; padding: 0 1; overflow-x: hidden; }
    ProblemsPane > #problem-detail {
        height: auto; max-height: 5; padding: 0 1; background: $boost;
    }
    """

    class JumpTo(Message):
        """The user picked a finding on `line`."""

        def __init__(self, line: int) -> None:
            super().__init__()
            self.line = line

    BINDINGS: ClassVar = []

    def compose(self) -> ComposeResult:
        yield Static("Checking…", id="problems-summary")
        tree = ProblemTree("problems", id="problem-tree")
        tree.show_root = False
        tree.guide_depth = 2
        yield tree
        yield Static("", id="problem-detail")

    @property
    def tree(self) -> ProblemTree:
        return self.query_one(ProblemTree)

    def show_message(self, text: str) -> None:
        self.query_one("#problems-summary", Static).update(text)
        self.tree.clear()

    def show(self, problems: Sequence[Problem]) -> None:
        """Fill the tree: errors' groups first, then warnings', each group in line order."""
        errors = sum(1 for p in problems if p.is_error)
        warnings = len(problems) - errors
        summary = self.query_one("#problems-summary", Static)
        if not problems:
            summary.update(Text("✓ no problems found", style="bold green"))
        else:
            summary.update(
                Text.assemble(
                    (f"✗ {plural(errors, 'error')}", "bold red" if errors else "dim"),
                    "  ",
                    (f"! {plural(warnings, 'warning')}", "bold yellow" if warnings else "dim"),
                    ("   enter: go to line · n/N: next/previous", "dim"),
                )
            )
        groups: dict[str, list[Problem]] = {}
        for p in problems:
            groups.setdefault(p.code, []).append(p)
        order = sorted(groups, key=lambda code: (not groups[code][0].is_error, code))
        tree = self.tree
        tree.clear()
        self._full: dict[int, str] = {}
        for code in order:
            items = groups[code]
            is_error = items[0].is_error
            label = Text.assemble(
                ("✗ " if is_error else "! ", "bold red" if is_error else "bold yellow"),
                (code, "bold"),
                (f"  {len(items):,}", "dim"),
            )
            group = tree.root.add(label, data=items[0].line, expand=len(order) <= 3)
            for p in items[:GROUP_LIMIT]:
                where = f"line {p.line:,}: " if p.line is not None else ""
                leaf = group.add_leaf(Text.assemble((where, "bold"), p.message), data=p.line)
                self._full[leaf.id] = p.located()
            if len(items) > GROUP_LIMIT:
                group.add_leaf(
                    Text(f"… {len(items) - GROUP_LIMIT:,} more (n / N step through all)"),
                    data=None,
                )
        if tree.root.children:
            tree.move_cursor(tree.root.children[0])

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted[int | None]) -> None:
        event.stop()
        full = getattr(self, "_full", {}).get(event.node.id)
        self.query_one("#problem-detail", Static).update(full or "")

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected[int | None]) -> None:
        event.stop()
        node = event.node
        # A group node toggles open/closed on enter; a finding jumps to its line.
        if node.children or node.data is None:
            return
        self.post_message(self.JumpTo(node.data))
