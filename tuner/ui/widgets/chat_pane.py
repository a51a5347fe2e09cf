"""One conversation column: the model's name and running cost, then the turns as they stream.

The pane does not talk to the service. Whoever drives the conversation (the chat screen's
worker, running a `ReplayGroup`) posts each `ReplayEvent` to the pane as a `ChatPane.Event`
message; the pane handles them in order, in its own message loop. Reply text is appended with
`Markdown.get_stream()` / `MarkdownStream.write()`, which batches fragments when tokens arrive
faster than the Markdown widget can re-render, instead of re-rendering the whole reply per token.

When two models on two profiles are compared, each pane names its profile in its title
(`model · profile`) and prices replies with that profile's own catalog.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Markdown, Static
from textual.widgets.markdown import MarkdownStream

from tuner.api.chat.replay import (
    LineDelta,
    LineFailed,
    LineFinished,
    LineRetrying,
    LineSkipped,
    LineStarted,
    LineStopped,
    ReplayEvent,
)
from tuner.data.chat_cost import UsageTotals, describe_totals, describe_turn, price_turn
from tuner.data.visible_text import visible
from tuner.ui.outside import outside, outside_line
from tuner.ui.widgets.fitted_line import FittedLine

if TYPE_CHECKING:
    from tuner.api.chat.transcripts import Transcript
    from tuner.data.catalog.lookup import Catalog


STREAMING = "… esc stops"


class ChatTurn(Vertical):
    """One message: who said it, the text (Markdown for replies), and a status line.

    `text` is the message as shown: its control characters drawn (`visible`), which is also what
    the Markdown widget is given, streamed or whole. Markdown reads no markup, and a link in a
    reply is only a link to click. The transcript keeps the exact text."""

    def __init__(self, role: str, author: str, text: str = "", *, status: str = "") -> None:
        super().__init__(classes=f"turn -{role}")
        self.role = role
        self.author = author
        self.text = visible(text)
        self._status = status

    def compose(self) -> ComposeResult:
        yield Static(outside_line(self.author), classes="author")
        if self.role == "assistant":
            yield Markdown(self.text, classes="body")
        else:
            yield Static(outside(self.text), classes="body")
        yield Static(outside_line(self._status), classes="status")

    @property
    def body(self) -> Markdown:
        return self.query_one(".body", Markdown)

    def set_status(self, text: str, state: str | None = None) -> None:
        """Show `text` under the message; `state` (stopped, failed, skipped) adds a style."""
        self._status = text
        if self.is_mounted:
            self.query_one(".status", Static).update(outside_line(text))
        for name in ("stopped", "failed", "skipped", "retrying"):
            self.set_class(name == state, f"-{name}")


class ChatPane(Vertical):
    """A model's side of the conversation. `model` (and `profile`, when set) is shown in the
    title with the totals; `catalog` prices its replies."""

    class Event(Message):
        """A replay event for this pane (posted by the screen's replay callback)."""

        def __init__(self, event: ReplayEvent) -> None:
            super().__init__()
            self.event = event

    def __init__(self, catalog: Catalog, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.catalog = catalog
        self.model: str | None = None
        self.profile: str | None = None
        self.totals = UsageTotals()
        self._reply: ChatTurn | None = None
        self._reply_index: int | None = None
        self._stream: MarkdownStream | None = None

    def compose(self) -> ComposeResult:
        yield FittedLine(classes="pane-title")
        yield VerticalScroll(classes="turns")

    def on_mount(self) -> None:
        self._show_title()

    @property
    def turns(self) -> VerticalScroll:
        return self.query_one(".turns", VerticalScroll)

    @property
    def streaming(self) -> bool:
        return self._stream is not None

    def replies(self) -> list[ChatTurn]:
        return list(self.query("ChatTurn.-assistant").results(ChatTurn))

    @property
    def label(self) -> str:
        """`model · profile`, or the model alone (no profile named), as the title shows it."""
        name = self.model or "no model"
        return f"{name} · {self.profile}" if self.profile else name

    def name_profile(self, profile: str | None) -> None:
        """Name `profile` in the title (None: the model alone)."""
        self.profile = profile
        if self.is_mounted:
            self._show_title()

    def _show_title(self) -> None:
        # The cost comes before the token counts: a narrow pane loses the counts first.
        said = describe_totals(self.totals)
        self.query_one(".pane-title", FittedLine).update(outside_line(f"{self.label} · {said}"))

    # -- whole-pane changes ------------------------------------------------------------------

    async def reset(
        self,
        model: str | None,
        note: str | None = None,
        *,
        profile: str | None = None,
        catalog: Catalog | None = None,
    ) -> None:
        """Start over (a new conversation): no turns, zero totals, an optional note. `profile`
        is named in the title; `catalog` (None: keep the one in use) prices the replies."""
        await self._end_stream()
        self.model = model
        self.profile = profile
        if catalog is not None:
            self.catalog = catalog
        self.totals = UsageTotals()
        self._reply = None
        await self.turns.remove_children()
        if note:
            await self.note(note)
        self._show_title()

    async def show_problem(self, problem: str | None) -> None:
        """Why nothing can be said (no key, no connection), in place of the conversation; once
        the problem is gone (None), an empty pane that says how to start."""
        if problem is not None:
            if not self.has_class("-no-connection"):
                self.add_class("-no-connection")
                await self.reset(None)
                await self.note(problem, error=True)
        elif self.has_class("-no-connection"):
            self.remove_class("-no-connection")
            await self.reset(None, "connected: ctrl+o picks a model")

    async def note(self, text: str, *, error: bool = False) -> None:
        """A line of information in the conversation (never sent to the model)."""
        await self.turns.mount(Static(outside(text), classes="note -error" if error else "note"))
        self.turns.scroll_end(animate=False)

    async def show_transcript(self, transcript: Transcript) -> None:
        """Render a saved conversation (to continue it) with its recorded usage; for a
        comparison, the side given (`Transcript.side`). The title keeps its profile."""
        await self.reset(transcript.header.model, profile=self.profile)
        widgets: list[ChatTurn] = []
        for turn in transcript.turns:
            if turn.role == "user":
                widgets.append(ChatTurn("user", "you", turn.content))
            elif turn.role == "assistant":
                cost = price_turn(
                    self.catalog,
                    turn.model or transcript.header.model,
                    turn.prompt_tokens,
                    turn.completion_tokens,
                )
                status = "stopped" if turn.partial else describe_turn(cost)
                self.totals.add(cost)
                reply = ChatTurn("assistant", self.model or "model", turn.content, status=status)
                if turn.partial:
                    reply.add_class("-stopped")
                widgets.append(reply)
        await self.turns.mount_all(widgets)
        await self.note(f"reopened {transcript.path.name}: new turns are added to it")
        self._show_title()

    # -- the stream --------------------------------------------------------------------------

    async def on_chat_pane_event(self, message: ChatPane.Event) -> None:
        message.stop()
        event = message.event
        if isinstance(event, LineStarted):
            await self._started(event)
        elif isinstance(event, LineDelta):
            if self._stream is not None and self._reply is not None:
                shown = visible(event.text)
                self._reply.text += shown
                await self._stream.write(shown)
        elif isinstance(event, LineFinished):
            await self._finished(event)
        elif isinstance(event, LineRetrying):
            if self._reply is not None:
                self._reply.set_status(
                    f"{event.error.message} · retry {event.attempt} in {event.delay:.1f}s",
                    "retrying",
                )
        elif isinstance(event, LineFailed):
            await self._end_stream()
            if self._reply is not None:
                self._reply.set_status(f"failed, skipped: {event.error.message}", "failed")
        elif isinstance(event, LineStopped):
            await self._end_stream()
            if self._reply is not None:
                self._reply.set_status("stopped", "stopped")
        elif isinstance(event, LineSkipped):
            await self._skipped(event)

    async def _started(self, event: LineStarted) -> None:
        await self._end_stream()
        if event.attempt == 0 or self._reply is None or self._reply_index != event.index:
            who = "you" if event.total == 1 else f"you · line {event.index + 1} of {event.total}"
            prompt = ChatTurn("user", who, event.line.text)
            self._reply = ChatTurn("assistant", self.model or "model", status=STREAMING)
            self._reply_index = event.index
            await self.turns.mount_all([prompt, self._reply])
            if not self._reply.is_attached:  # the pane went away meanwhile (the app is closing)
                return
        else:  # a retry: the reply starts again from nothing
            self._reply.text = ""
            await self._reply.body.update("")
            self._reply.set_status(STREAMING, None)
        self.turns.scroll_end(animate=False)
        self.turns.anchor()
        self._stream = Markdown.get_stream(self._reply.body)

    async def _finished(self, event: LineFinished) -> None:
        await self._end_stream()
        reply = event.reply
        cost = price_turn(
            self.catalog,
            reply.model or self.model or "",
            reply.prompt_tokens,
            reply.completion_tokens,
        )
        self.totals.add(cost)
        if self._reply is not None:
            shown = visible(reply.text)
            if self._reply.text != shown:  # never expected; the record wins
                self._reply.text = shown
                await self._reply.body.update(shown)
            suffix = " · cut at max tokens" if reply.finish_reason == "length" else ""
            self._reply.set_status(describe_turn(cost) + suffix)
        self._reply = None
        self._show_title()
        self.turns.scroll_end(animate=False)

    async def _skipped(self, event: LineSkipped) -> None:
        if self._reply is not None and self._reply_index == event.index:
            await self._end_stream()
            self._reply.set_status("skipped", "skipped")
            self._reply = None
        else:
            await self.note(f"line {event.index + 1} skipped")

    async def _end_stream(self) -> None:
        """Stop the Markdown stream and make sure the reply shows every fragment received."""
        stream, self._stream = self._stream, None
        if stream is None:
            return
        try:
            await stream.stop()
        except asyncio.CancelledError:
            # `MarkdownStream.stop()` cancels its updater; if that task had not started yet,
            # awaiting it raises here. Only a cancellation of this handler itself is ours.
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
        reply = self._reply
        if reply is not None and reply.body.source != reply.text:
            await reply.body.update(reply.text)
