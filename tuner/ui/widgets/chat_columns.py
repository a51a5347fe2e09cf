"""The chat's conversation columns: the first model's pane, and the second's when comparing.

Two panes are always there (`#primary`, `#secondary`); the second shows only when two models
are compared. Side by side they need room: below `SIDE_BY_SIDE_MIN_WIDTH` cells the columns
stack. A column names its profile in its title only when that tells something: the columns'
profiles differ, or one is not the active profile (a conversation continued from another).
The chat screen says what the columns hold; how they are laid out and titled is decided here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Container

from tuner.ui.widgets.chat_pane import ChatPane

if TYPE_CHECKING:
    from tuner.data.catalog.lookup import Catalog

# Below this width two columns are too narrow to read: compare stacks them.
SIDE_BY_SIDE_MIN_WIDTH = 110


class ChatColumns(Container):
    """Both panes; `-compare` shows the second, `-stacked` puts it under the first."""

    def __init__(self, catalog: Catalog, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._catalog = catalog

    def compose(self) -> ComposeResult:
        yield ChatPane(self._catalog, id="primary")
        yield ChatPane(self._catalog, id="secondary")

    @property
    def primary(self) -> ChatPane:
        return self.query_one("#primary", ChatPane)

    @property
    def secondary(self) -> ChatPane:
        return self.query_one("#secondary", ChatPane)

    def panes(self, count: int) -> list[ChatPane]:
        """The first `count` panes (at least one)."""
        return [self.primary, self.secondary][: max(1, count)]

    def lay_out(self, width: int, count: int) -> None:
        """Lay out `count` columns (one or two) for a screen `width` cells wide."""
        self.set_class(width < SIDE_BY_SIDE_MIN_WIDTH, "-stacked")
        self.set_class(count > 1, "-compare")

    def name_profiles(
        self, profiles: Sequence[str | None], is_active: Callable[[str | None], bool]
    ) -> None:
        """Title each column with its profile when the profiles differ or one is not active."""
        named = len(set(profiles)) > 1 or not all(map(is_active, profiles))
        for pane, profile in zip(self.panes(len(profiles)), profiles, strict=False):
            pane.name_profile(profile if named else None)
