"""The virtual list of a dataset's lines: one row per line, only the rows on screen are read.

Built like toolong's log view: a `ScrollView` drawn with `render_line`, whose `virtual_size`
grows as the screen's scan worker reports more lines. A row reads its line on demand through
the `LineIndex` (`os.pread` at an offset) and keeps the parsed one-line summary in a small LRU
cache, so a 450 MB file costs what the screen shows, not what the file holds.

The list reads its own file, as toolong's log view does: `scan` starts a thread worker that
indexes the line offsets (`LineIndex.scan_iter`), a small first batch for the first paint and
then large ones; each batch grows the list, moves the status line it is given, and is posted
on (`Scanned`) for the screen. Token counts and problem markers come later, from the analysis
report (`set_report`).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events, on, work
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import get_current_worker

from tuner.data.jsonl.line_marks import LineMarks, step_through
from tuner.data.visible_text import visible_line
from tuner.ui.failures import WorkFailed, fails_as

if TYPE_CHECKING:
    from tuner.data.jsonl.line_index import LineIndex
    from tuner.data.summary import ExampleSummary
    from tuner.ui.widgets.activity_line import ActivityLine

ROLE_WIDTH = 11
TOKEN_WIDTH = 7
FIRST_BATCH_LINES = 200  # the first rows are painted after this many lines are indexed
BATCH_LINES = 50_000


def fit(text: str, width: int) -> str:
    """`text` cut to `width` characters with an ellipsis, or padded to it."""
    if len(text) > width:
        return text[: width - 1] + "…"
    return text.ljust(width)


class ExampleList(ScrollView, can_focus=True):
    """Every line of the file as a row: `line  ✗  S U A  1,234  first user words`."""

    BINDING_GROUP_TITLE = "Example list"
    BINDINGS: ClassVar[list[BindingType]] = [
        # No j/k: j is the app's Jobs key.
        Binding("up", "move(-1)", "Previous", show=False),
        Binding("down", "move(1)", "Next", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "first", "First", show=False),
        Binding("end,G", "last", "Last", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "example-list--cursor",
        "example-list--number",
        "example-list--roles",
        "example-list--tokens",
        "example-list--error",
        "example-list--warning",
        "example-list--bad",
        "example-list--match",
    }
    DEFAULT_CSS = """
    ExampleList {
        overflow-x: hidden;
        overflow-y: scroll;
        & > .example-list--cursor { background: $block-cursor-blurred-background; }
        &:focus > .example-list--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
        }
        & > .example-list--number { color: $text-muted; }
        & > .example-list--roles { color: $accent; }
        & > .example-list--tokens { color: $text-muted; }
        & > .example-list--error { color: $text-error; text-style: bold; }
        & > .example-list--warning { color: $text-warning; text-style: bold; }
        & > .example-list--bad { color: $text-error; }
        & > .example-list--match { background: $warning 30%; }
    }
    """

    cursor: reactive[int] = reactive(0, always_update=False, repaint=False)
    """The highlighted row, 0-based (row n shows line n + 1)."""

    class Highlighted(Message):
        """The cursor is on `line` (1-based). Superseded by the next one when scrolling fast."""

        def __init__(self, line: int) -> None:
            super().__init__()
            self.line = line

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, ExampleList.Highlighted)

    class Scanned(Message):
        """The index covers `lines` lines (`scanned` of `total` bytes); each one supersedes the
        previous. The list has grown by the time its screen sees it."""

        def __init__(self, lines: int, scanned: int, total: int, done: bool) -> None:
            super().__init__()
            self.lines = lines
            self.scanned = scanned
            self.total = total
            self.done = done

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, ExampleList.Scanned)

    class ReadFailed(WorkFailed, bubble=True):
        """The file could not be indexed. It bubbles: the screen says why, in its banner."""

        DOING = "read the file"

    def __init__(
        self,
        summarise: Callable[[int], ExampleSummary],
        *,
        status: ActivityLine | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.status = status  # where the scan says how far it got
        # Public so a test can count the rows read (only the rows on show should be).
        self.summarise = summarise
        self._summaries: LRUCache[int, ExampleSummary] = LRUCache(maxsize=512)
        self.line_count = 0
        self.index: LineIndex | None = None
        self._example_lines: Sequence[int] = ()
        self._token_counts: Sequence[int] = ()
        self._markers: LineMarks = LineMarks()  # line -> True: an error, False: a warning
        self._matches: set[int] = set()
        self._follow_end = False

    # -- reading the file --------------------------------------------------------------------

    def scan(self, index: LineIndex) -> None:
        """Show the lines of `index` as its scan finds them."""
        self.index = index
        if self.status is not None:
            self.status.start("scan", "Indexing lines", 0, 1)
        self._scan(index)

    @work(thread=True, exclusive=True, group="scan", exit_on_error=False)
    @fails_as(ReadFailed)
    def _scan(self, index: LineIndex) -> None:
        """Index the file: a small first batch for the first paint, then large batches."""
        cancel = get_current_worker().cancelled_event
        first = index.scan_iter(batch_lines=FIRST_BATCH_LINES, cancel=cancel)
        for progress in first:
            self.post_message(
                self.Scanned(
                    progress.lines, progress.bytes_scanned, progress.total_bytes, progress.done
                )
            )
            break
        first.close()
        for progress in index.scan_iter(batch_lines=BATCH_LINES, cancel=cancel):
            self.post_message(
                self.Scanned(
                    progress.lines, progress.bytes_scanned, progress.total_bytes, progress.done
                )
            )

    @on(Scanned)
    def _scanned(self, event: Scanned) -> None:
        self.set_line_count(event.lines, done=event.done)
        if self.status is None:
            return
        if event.done:
            self.status.clear("scan")
        else:
            label = f"Indexing lines: {event.lines:,}"
            self.status.start("scan", label, event.scanned, event.total)

    # -- data the screen hands in ------------------------------------------------------------

    def set_line_count(self, count: int, *, done: bool = False) -> None:
        """More lines are indexed: grow the scrollable area (and follow `end` if asked)."""
        before = self.line_count
        self.line_count = count
        self.virtual_size = Size(self.scrollable_content_region.width, count)
        if self._follow_end and count:
            self._set_cursor(count - 1)
            if done:
                self._follow_end = False
        elif before == 0 and count:
            self.post_message(self.Highlighted(self.cursor + 1))  # the first rows arrived
        if count != before:
            self.refresh()

    def set_report(
        self,
        example_lines: Sequence[int],
        token_counts: Sequence[int],
        markers: LineMarks,
    ) -> None:
        """Token counts per example line and problem markers per line, from the analysis."""
        self._example_lines = example_lines
        self._token_counts = token_counts
        self._markers = markers
        self.refresh()

    def set_matches(self, lines: set[int]) -> None:
        self._matches = lines
        self.refresh()

    def forget(self) -> None:
        """Drop cached summaries (the file changed under us)."""
        self._summaries.clear()
        self.refresh()

    def tokens_for(self, line: int) -> int | None:
        """The analysis' token count of `line`, None if unknown or not counted."""
        lines = self._example_lines
        i = bisect_left(lines, line)
        if i < len(lines) and lines[i] == line:
            return self._token_counts[i] or None
        return None

    def summary(self, line: int) -> ExampleSummary:
        found = self._summaries.get(line)
        if found is None:
            found = self.summarise(line)
            self._summaries[line] = found
        return found

    # -- cursor ------------------------------------------------------------------------------

    @property
    def line(self) -> int:
        """The 1-based line under the cursor (0 when the file has no lines yet)."""
        return self.cursor + 1 if self.line_count else 0

    def go_to_line(self, line: int) -> None:
        """Put the cursor on 1-based `line` (clamped) and scroll it into view."""
        self._follow_end = False
        self._set_cursor(line - 1)

    def step(self, lines: Sequence[int], direction: int, what: str) -> None:
        """To the next (`direction` > 0) or previous of `lines` (ascending: the `what`s, such as
        problems or matches), round the end with a notice; a warning when there are none."""
        found = step_through(lines, self.line, direction)
        if found is None:
            self.notify(f"No {what}s", severity="warning")
            return
        target, wrapped = found
        if wrapped:
            self.notify(f"Wrapped to the {'first' if direction > 0 else 'last'} {what}")
        self.go_to_line(target)

    def _set_cursor(self, row: int) -> None:
        row = max(0, min(row, self.line_count - 1))
        self.cursor = row
        self._scroll_to_cursor()

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh_line(old)
        self.refresh_line(new)
        if self.line_count:
            self.post_message(self.Highlighted(new + 1))

    def _scroll_to_cursor(self) -> None:
        height = self.scrollable_content_region.height or 1
        top = round(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)

    def action_move(self, delta: int) -> None:
        self._follow_end = False
        self._set_cursor(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self._follow_end = False
        height = max(1, self.scrollable_content_region.height - 1)
        self._set_cursor(self.cursor + direction * height)

    def action_first(self) -> None:
        self._follow_end = False
        self._set_cursor(0)

    def action_last(self) -> None:
        """The last line; while the file is still being indexed, follow the end as it grows."""
        index = self.index
        self._follow_end = index is not None and not index.scanned
        self._set_cursor(self.line_count - 1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None and self.line_count:
            self.go_to_line(round(self.scroll_y) + offset.y + 1)

    # -- drawing -----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        row = round(self.scroll_y) + y
        base = self.rich_style
        if row >= self.line_count or width <= 0:
            return Strip.blank(width, base)
        strip = Strip(self._row_segments(row + 1, base), None).crop_extend(0, width, base)
        if row == self.cursor:
            strip = strip.apply_style(self.get_component_rich_style("example-list--cursor"))
        return strip

    def _row_segments(self, line: int, base: Style) -> list[Segment]:
        style = self.get_component_rich_style
        digits = max(3, len(str(self.line_count)))
        number_style = style("example-list--number")
        if line in self._matches:
            number_style = number_style + style("example-list--match")
        summary = self.summary(line)
        marker = self._markers.get(line)
        if marker is True:
            mark = Segment(" ✗ ", base + style("example-list--error"))
        elif marker is False:
            mark = Segment(" ! ", base + style("example-list--warning"))
        else:
            mark = Segment("   ", base)
        tokens = self.tokens_for(line)
        token_text = f"{tokens:,}" if tokens is not None else ""
        text_style = base + style("example-list--bad") if summary.bad else base
        return [
            Segment(f"{line:>{digits}}", base + number_style),
            mark,
            Segment(fit(summary.roles, ROLE_WIDTH), base + style("example-list--roles")),
            Segment(f"{token_text:>{TOKEN_WIDTH}}  ", base + style("example-list--tokens")),
            # The file's own words, drawn straight into the strip: never a control character.
            Segment(visible_line(summary.text), text_style),
        ]

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, self.line_count)
