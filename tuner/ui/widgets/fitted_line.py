"""A one-line label that says less when it is narrow, and never cuts a word in two.

Status lines, pane titles and the chat's header are one line of figures joined by ` · `. At
80 columns Textual's own ellipsis cut them where the width ended (`12 lin…`); this label ends at
the last whole part or word that fits (`tuner.data.fit_text`), again at every width it is given.
"""

from __future__ import annotations

from rich.text import Text
from textual.visual import VisualType
from textual.widgets import Static

from tuner.data.fit_text import fit_cut


def fit_rich(text: Text, width: int) -> Text:
    """`text` (its styles kept) cut to `width` cells at a word, with an ellipsis."""
    cut = fit_cut(text.plain, width)
    if cut is None:
        return text
    kept = text[: cut[0]]
    kept.append(cut[1], style="dim")
    return kept


class FittedLine(Static):
    """A `Static` of one line whose text is fitted to its width when drawn. `full` is the
    whole text, whatever the width shows of it."""

    DEFAULT_CSS = """
    FittedLine { height: 1; text-wrap: nowrap; }
    """

    def __init__(
        self,
        content: str | Text = "",
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__("", markup=False, id=id, classes=classes)
        self.full = content if isinstance(content, Text) else Text(content)

    def on_mount(self) -> None:
        super().update(self.full)

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        """Show `content` (a str or a rich `Text`, never markup), fitted when drawn."""
        self.full = content if isinstance(content, Text) else Text(str(content))
        super().update(self.full, layout=layout)

    def render(self) -> Text:
        width = self.content_region.width or self.size.width
        return fit_rich(self.full, width) if width > 0 else self.full
