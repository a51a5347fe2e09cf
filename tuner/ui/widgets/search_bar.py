"""Search a file's bytes from a one-line bar: the bar owns the query, the matches and the scan.

`/` opens the bar; enter starts a search (a thread worker scanning the file with
`tuner.data.jsonl.search.search_file`, cancelled when a new one starts) or, for the same query, asks
for the next match; escape closes the bar but keeps the search active, so `n` / `N` step its
matches. The bar posts `Found` as matches arrive (the screen marks rows and jumps where
`take_jump` says: a new search's first match at or after the cursor), and `Ended` when the search
is over and forgotten. How far its scan got goes to the status line it is given, if any.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Label
from textual.worker import get_current_worker

from tuner.data.jsonl.line_marks import step_through
from tuner.ui.failures import WorkFailed, fails_as
from tuner.ui.outside import CONTROLS_SHOWN

if TYPE_CHECKING:
    from tuner.ui.widgets.activity_line import ActivityLine


class SearchFailed(WorkFailed):
    """The file could not be searched (gone, unreadable): said on the bar and as a notice."""


class SearchBar(Horizontal):
    """`/ query` and the match count, for the file at `path`."""

    DEFAULT_CSS: ClassVar[str] = """
    SearchBar { height: 1; display: none; }
    SearchBar.-open { display: block; }
    SearchBar > Label { width: auto; padding: 0 1; }
    SearchBar > Input { width: 1fr; }
    SearchBar > #search-count { width: auto; color: $text-muted; }
    """

    # Both change which keys the screen offers (find's n / N, escape), hence `bindings`.
    opened: reactive[bool] = reactive(False, bindings=True)
    search_text: reactive[str | None] = reactive(None, bindings=True)
    """The query whose matches are in force (the bar may be closed); None: no search."""

    @dataclass
    class Found(Message):
        """More matches (or the end of the scan); `next_requested`: enter on the same query."""

        bar: SearchBar
        next_requested: bool = False

    @dataclass
    class Closed(Message):
        """The bar was closed (the search may still be active)."""

        bar: SearchBar

    @dataclass
    class Ended(Message):
        """The search is over: no query, no matches."""

        bar: SearchBar

    @dataclass
    class _Batch(Message):
        query: str
        lines: list[int]
        scanned: int
        total: int
        done: bool

    def __init__(
        self, path: Path, *, status: ActivityLine | None = None, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.path = path
        self.status = status
        self._jump_owed = False  # a new search jumps once, to its first match from the cursor
        self.matches: list[int] = []  # ascending line numbers
        self.match_set: set[int] = set()
        self.done = False
        self.scanned = 0
        self.total = 0

    def compose(self) -> ComposeResult:
        yield Label("/", id="search-slash")
        yield Input(
            placeholder="search the file (enter: next match, esc: close)",
            compact=True,
            highlighter=CONTROLS_SHOWN,
        )
        yield Label("", id="search-count")

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def active(self) -> bool:
        """True while a search's matches are in force (the bar may be closed)."""
        return self.search_text is not None

    def watch_opened(self, opened: bool) -> None:
        self.set_class(opened, "-open")
        if opened:
            self.input.focus()

    def close(self) -> None:
        """Hide the bar; the search stays active."""
        self.opened = False
        self.post_message(self.Closed(self))

    def end(self) -> None:
        """Forget the search: stop its scan, drop its matches, empty the field."""
        self.workers.cancel_group(self, "search")
        self.search_text = None
        self._jump_owed = False
        if self.status is not None:
            self.status.clear("search")
        self.matches = []
        self.match_set = set()
        self.done = False
        self.input.value = ""
        self._show_count("")
        self.post_message(self.Ended(self))

    def step(self, current: int, direction: int) -> tuple[int, bool] | None:
        """(the match after / before line `current`, whether that wrapped around), or None."""
        return step_through(self.matches, current, direction)

    def first_from(self, current: int) -> int | None:
        """The first match at or after line `current`, if one was found yet."""
        i = bisect_left(self.matches, current)
        return self.matches[i] if i < len(self.matches) else None

    def take_jump(self, current: int) -> int | None:
        """Where a new search jumps, once: its first match at or after line `current`, or, once
        the scan is done, its first match at all (a notice when there is none). None: no jump
        yet, or none owed."""
        if not self._jump_owed:
            return None
        target = self.first_from(current)
        if target is None and self.done:
            target = self.matches[0] if self.matches else None
            if target is None:
                self.notify(f"No line contains {self.search_text!r}", severity="warning")
        if target is not None or self.done:
            self._jump_owed = False
        return target

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        query = event.value
        if not query:
            return
        if query == self.search_text:
            self.post_message(self.Found(self, next_requested=True))
            return
        self.search_text = query
        self.matches = []
        self.match_set = set()
        self.done = False
        self.scanned = self.total = 0
        self._jump_owed = True
        self._show_count("searching…")
        self._show_progress()
        self._search(query)
        self.post_message(self.Found(self))

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    @fails_as(SearchFailed)
    def _search(self, query: str) -> None:
        from tuner.data.jsonl.search import search_file

        cancel = get_current_worker().cancelled_event
        for batch in search_file(self.path, query, cancel=cancel):
            self.post_message(
                self._Batch(query, batch.lines, batch.bytes_scanned, batch.total_bytes, batch.done)
            )

    @on(_Batch)
    def _batch(self, batch: _Batch) -> None:
        batch.stop()
        if batch.query != self.search_text:
            return  # a superseded search
        self.matches.extend(batch.lines)
        self.match_set.update(batch.lines)
        self.done, self.scanned, self.total = batch.done, batch.scanned, batch.total
        count = self.count_text()
        self._show_count(count if batch.done else count + "…")
        self._show_progress()
        self.post_message(self.Found(self))

    def _show_progress(self) -> None:
        if self.status is None:
            return
        if self.done:
            self.status.clear("search")
        else:
            label = f"Searching: {self.count_text()}" if self.matches else "Searching"
            self.status.start("search", label, self.scanned, self.total or 1)

    @on(SearchFailed)
    def _failed(self, failed: SearchFailed) -> None:
        self._show_count("search failed")
        self.notify(f"Could not search {self.path.name}: {failed.reason}", severity="error")

    def count_text(self) -> str:
        n = len(self.matches)
        return f"{n:,} {'match' if n == 1 else 'matches'}"

    def _show_count(self, text: str) -> None:
        self.query_one("#search-count", Label).update(text)
