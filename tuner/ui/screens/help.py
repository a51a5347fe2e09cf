"""Every key of the app and of the screen underneath, grouped, generated from the bindings.

Built from `Screen.active_bindings` of the screen the user came from, so it always matches
the real bindings: remapped keys (the settings file's `[keys]`), keys of screens that do not
exist yet (hidden), and the focused widget's own keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from tuner.ui.outside import outside_line


@dataclass
class KeyGroup:
    """Keys defined by one node (the app, the screen, a widget), in binding order."""

    title: str
    rows: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    enabled: dict[tuple[str, str], bool] = field(default_factory=dict)


def group_title(node: DOMNode) -> str:
    if isinstance(node, App):
        return "Everywhere"
    if isinstance(node, Screen):
        return f"{node.title or type(node).__name__} screen"
    title = getattr(node, "BINDING_GROUP_TITLE", None)
    return title or type(node).__name__


def collect_keys(screen: Screen[Any]) -> list[KeyGroup]:
    """Group `screen`'s active bindings by the node that defines them; merge a binding's keys.

    Groups come screen first, then app-wide keys, then widgets; system bindings are left out.
    """
    groups: dict[int, KeyGroup] = {}
    app = screen.app
    for active in screen.active_bindings.values():
        binding = active.binding
        if binding.system:
            continue
        node = active.node
        group = groups.setdefault(id(node), KeyGroup(group_title(node)))
        row = (binding.action, binding.description or binding.action)
        group.rows.setdefault(row, []).append(app.get_key_display(binding))
        group.enabled[row] = active.enabled
    ordered = list(groups.values())
    # The screen's own keys, then the app's, then the focused widget's navigation keys.
    rank = {True: 0}
    ordered.sort(
        key=lambda g: rank.get(g.title.endswith(" screen"), 1 if g.title == "Everywhere" else 2)
    )
    return ordered


def key_table(group: KeyGroup) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", min_width=10, no_wrap=True)
    table.add_column()
    for (_action, description), keys in group.rows.items():
        shown = Text(description, style="" if group.enabled[(_action, description)] else "dim")
        table.add_row(" / ".join(dict.fromkeys(keys)), shown)
    return table


class HelpScreen(ModalScreen[None]):
    """The keys of the screen underneath; escape (or ? / q) returns to it."""

    CSS_PATH = "help.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "Close", id="help.close"),
    ]

    def __init__(self, target: Screen[Any]) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        with Vertical(id="help") as box:
            # A dataset's screen is titled with its file's name: shown as it is, never markup.
            box.border_title = outside_line(f"Keys · {self.target.title or 'tuner'}")
            box.border_subtitle = "escape closes"
            with VerticalScroll(id="groups"):
                for group in collect_keys(self.target):
                    yield Static(outside_line(group.title), classes="group-title")
                    yield Static(key_table(group), classes="group-keys")

    def action_close(self) -> None:
        self.dismiss(None)
