"""Every validation finding, grouped by code with counts; enter on one jumps to its line.

Tree lines do not wrap, so a finding wider than the pane ends at its last whole word, and the
highlighted one is also shown whole, wrapped, under the tree: a long message is read there.

A group shows at most `GROUP_LIMIT` lines (a file where every line repeats the same mistake
would otherwise build a tree of 200,000 nodes); the rest are reached with n / N, which step
through every problem line whatever the tree shows. A group's count includes the findings the
analysis counted without listing them (past the number it keeps per code).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from tuner.data.wording import plural
from tuner.ui.outside import outside, outside_line
from tuner.ui.widgets.fitted_line import fit_rich

if TYPE_CHECKING:
    from tuner.data.rules.problems import Problem

GROUP_LIMIT = 200


class ProblemTree(Tree[int | None]):
    """The grouped findings; node data is the line to jump to (None for whole-file ones).

    enter and space act alike (a group opens or closes, a finding jumps to its line); → opens
    a group, then steps into it, and jumps from a finding; ← closes a group or steps out.

    A finding longer than the pane ends at its last whole word (`… 50 to 100 …`); the
    highlighted one is shown whole, wrapped, under the tree."""

    BINDING_GROUP_TITLE = "Problems"
    BINDINGS: ClassVar = [
        Binding("space", "select_cursor", "Go to line", show=False),
        Binding("right", "forward", "Open / go to line", show=False),
        Binding("left", "back", "Close / up", show=False),
    ]

    def action_forward(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.children:
            if node.is_expanded:
                self.move_cursor(node.children[0])
            else:
                node.expand()
            return
        self.action_select_cursor()

    def action_back(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.children and node.is_expanded:
            node.collapse()
        elif node.parent is not None and node.parent is not self.root:
            self.move_cursor(node.parent)

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
        self.query_one("#problems-summary", Static).update(outside(text))
        self.tree.clear()

    def show(self, problems: Sequence[Problem], left_out: Mapping[str, int] | None = None) -> None:
        """Fill the tree: errors' groups first, then warnings', each group in line order.
        `left_out` counts, by code, the findings not in `problems`."""
        left_out = left_out or {}
        groups: dict[str, list[Problem]] = {}
        for p in problems:
            groups.setdefault(p.code, []).append(p)
        totals = {code: len(items) + left_out.get(code, 0) for code, items in groups.items()}
        errors = sum(totals[code] for code, items in groups.items() if items[0].is_error)
        warnings = sum(totals.values()) - errors
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
        order = sorted(groups, key=lambda code: (not groups[code][0].is_error, code))
        tree = self.tree
        tree.clear()
        self._full: dict[int, str] = {}
        for code in order:
            items = groups[code]
            is_error = items[0].is_error
            label = Text.assemble(
                ("✗ " if is_error else "! ", "bold red" if is_error else "bold yellow"),
                outside_line(code, "bold"),
                (f"  {totals[code]:,}", "dim"),
            )
            group = tree.root.add(label, data=items[0].line, expand=len(order) <= 3)
            for p in items[:GROUP_LIMIT]:
                where = f"line {p.line:,}: " if p.line is not None else ""
                label = Text.assemble((where, "bold"), outside_line(p.message))
                leaf = group.add_leaf(label, data=p.line)
                self._full[leaf.id] = p.located()
            if totals[code] > GROUP_LIMIT:
                group.add_leaf(
                    Text(f"… {totals[code] - GROUP_LIMIT:,} more (n / N step through all)"),
                    data=None,
                )
        if tree.root.children:
            tree.move_cursor(tree.root.children[0])

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted[int | None]) -> None:
        event.stop()
        full = getattr(self, "_full", {}).get(event.node.id)
        self.query_one("#problem-detail", Static).update(outside(full or ""))

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected[int | None]) -> None:
        event.stop()
        node = event.node
        # A group node toggles open/closed on enter; a finding jumps to its line.
        if node.children or node.data is None:
            return
        self.post_message(self.JumpTo(node.data))
