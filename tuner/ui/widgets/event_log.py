"""A job's event log: each event one line, levels coloured, a filter, and follow mode.

Follow mode keeps the newest event in view. Scrolling up (keys or wheel) pauses it, so a user
reading an old line is not yanked to the bottom by the next metrics event; `follow()` (bound to
end / F by the job screen) jumps back down and resumes. Events are kept, so changing the
filter redraws the log from them without asking the service again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import RichLog

from tuner.api.jobs.watch import EventFilter, event_matches
from tuner.data.durations import format_clock
from tuner.data.visible_text import visible, visible_line

if TYPE_CHECKING:
    from tuner.api.types import JobEvent

LEVEL_STYLES: dict[str, str] = {"info": "", "warn": "bold yellow", "error": "bold red"}
LEVEL_WORDS: dict[str, str] = {"info": "info ", "warn": "warn ", "error": "error"}


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """What the log keeps of an event (its metrics and data are not needed once drawn)."""

    id: str
    created_at: int
    level: str
    message: str
    type: str | None

    @classmethod
    def of(cls, event: JobEvent) -> LoggedEvent:
        return cls(event.id, event.created_at, event.level, event.message, event.type)


class EventLog(RichLog):
    """The log widget. `add(event)` appends; `set_filter()` redraws; `follow()` resumes."""

    DEFAULT_CSS: ClassVar[str] = """
    EventLog { background: $surface; scrollbar-size-vertical: 1; }
    """

    following: reactive[bool] = reactive(True)

    class FollowChanged(Message):
        """Follow mode was paused or resumed (the screen shows it)."""

        def __init__(self, following: bool) -> None:
            super().__init__()
            self.following = following

    def __init__(self, *, id: str | None = None) -> None:
        # min_width 0: lines wrap at the width shown (RichLog would keep 78 on a narrow one).
        super().__init__(
            wrap=True, markup=False, highlight=False, auto_scroll=True, min_width=0, id=id
        )
        self.events: list[LoggedEvent] = []
        self._ids: set[str] = set()
        self.filter: EventFilter = "all"
        self.seen_until: str | None = None  # the last event shown on a previous visit
        self._drawn_width = 0

    # -- content -------------------------------------------------------------------------------

    def add(self, event: JobEvent | LoggedEvent) -> bool:
        """Append one event; False (and nothing drawn) if it is already in the log."""
        logged = event if isinstance(event, LoggedEvent) else LoggedEvent.of(event)
        if logged.id in self._ids:
            return False
        previous = self.events[-1].id if self.events else None
        self.events.append(logged)
        self._ids.add(logged.id)
        if previous is not None and previous == self.seen_until:
            self.write(_divider(), scroll_end=self.following)
        if event_matches(self.filter, logged.type):
            self.write(_line(logged), scroll_end=self.following)
        return True

    def set_filter(self, selected: EventFilter) -> None:
        """Show all events, only messages, or only metrics; redraws from the kept events."""
        self.filter = selected
        self.clear()
        previous: str | None = None
        for logged in self.events:
            if previous is not None and previous == self.seen_until:
                self.write(_divider(), scroll_end=False)
            if event_matches(selected, logged.type):
                self.write(_line(logged), scroll_end=False)
            previous = logged.id
        if self.following:
            self.scroll_end(animate=False, immediate=False)

    def on_resize(self, event: events.Resize) -> None:
        """Lines are wrapped at the width they were written at: rewrite them at the new one."""
        super().on_resize(event)  # RichLog writes what waited for a known size
        width = event.size.width
        if self.events and width != self._drawn_width:
            self.call_after_refresh(self.set_filter, self.filter)
        elif self.following:  # shorter (the header grew): the newest line stays in sight
            self.scroll_end(animate=False, immediate=False)
        self._drawn_width = width

    @property
    def shown_ids(self) -> list[str]:
        """Ids of the events the current filter shows, in order (for tests and counts)."""
        return [e.id for e in self.events if event_matches(self.filter, e.type)]

    # -- follow mode ---------------------------------------------------------------------------

    def follow(self) -> None:
        """Jump to the newest event and keep following."""
        self.following = True
        self.scroll_end(animate=False, immediate=False)

    def pause(self) -> None:
        self.following = False

    def watch_following(self, following: bool) -> None:
        self.auto_scroll = following
        self.post_message(self.FollowChanged(following))

    # Reading up pauses; these are the ways a user scrolls up.
    def action_scroll_up(self) -> None:
        self.pause()
        super().action_scroll_up()

    def action_page_up(self) -> None:
        self.pause()
        super().action_page_up()

    def action_scroll_home(self) -> None:
        self.pause()
        super().action_scroll_home()

    def action_scroll_end(self) -> None:
        self.follow()

    def _on_mouse_scroll_up(self, event: object) -> None:
        self.pause()
        super()._on_mouse_scroll_up(event)  # type: ignore[arg-type]


def _line(event: LoggedEvent) -> Text:
    text = Text(no_wrap=False)
    text.append(format_clock(event.created_at), style="dim")
    text.append(" ")
    level = LEVEL_WORDS.get(event.level) or visible_line(f"{event.level:5.5}")
    text.append(level, LEVEL_STYLES.get(event.level))
    text.append(" ")
    message_style = "cyan" if event.type == "metrics" else LEVEL_STYLES.get(event.level, "")
    text.append(visible(event.message), style=message_style)
    return text


def _divider() -> Text:
    return Text("── new since your last visit ──", style="bold magenta")
