"""How `tuner chat --replay` prints one model's conversation: each prompt, then its streamed reply.

The user's line (`user [3/10]: …`) and the model's reply are coloured on a terminal (the colours
are the compare printer's, `tuner.commands.chat_columns`) and plain elsewhere; retries and failed
lines are said on stderr, so stdout stays the conversation. Replies are priced as they finish
for the summary at the end. A failure that every later line would repeat (no key, an unknown
model) is remembered as `fatal` and stops the replay: the command then exits with it.

Kept apart from the command so that `tuner.commands.chat` reads as the run (parse, replay,
summarise) and this as what the terminal shows; imported only when a replay runs, since the
colours' module counts tokens and `tuner --help` must not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from tuner.api.chat.replay import (
    LineDelta,
    LineFailed,
    LineFinished,
    LineRetrying,
    LineStarted,
    LineStopped,
    TranscriptUnsaved,
    ends_the_run,
)
from tuner.commands.chat_columns import DIM, MODEL_COLOUR, RESET, USER_COLOUR
from tuner.data.chat_cost import UsageTotals, price_turn
from tuner.data.visible_text import visible, visible_line

if TYPE_CHECKING:
    from tuner.api.chat.compare import ReplayGroup
    from tuner.api.chat.replay import PromptReplay, ReplayEvent
    from tuner.api.errors import ServiceError
    from tuner.data.catalog.lookup import Catalog


class TranscriptPrinter:
    """Writes replay events as a readable transcript; remembers a failure that ends the run."""

    def __init__(self, out: TextIO, err: TextIO, *, colour: bool, total: int) -> None:
        self.out = out
        self.err = err
        self.colour = colour
        self.total = total
        self.fatal: str | None = None
        self.player: PromptReplay | None = None
        self.group: ReplayGroup | None = None
        self._answered = 0
        self.catalog: Catalog | None = None  # prices the replies, once the model is known
        self.model = ""
        self.totals = UsageTotals()

    def _paint(self, code: str, text: str) -> str:
        return f"{code}{text}{RESET}" if self.colour else text

    def on_event(self, event: ReplayEvent) -> None:
        if isinstance(event, LineStarted):
            if event.attempt == 0:
                label = self._paint(USER_COLOUR, f"user [{event.index + 1}/{event.total}]:")
                prompt = visible_line(event.line.text)
                self.out.write(f"{label} {self._paint(USER_COLOUR, prompt)}\n")
            elif self._started_reply:
                self.out.write(self._paint(DIM, "  (retrying: the reply starts again)") + "\n")
            self.out.write(self._paint(MODEL_COLOUR, "assistant:") + " ")
            self._started_reply = False
            self.out.flush()
        elif isinstance(event, LineDelta):
            self._started_reply = True
            # Each chunk on its own: a sequence split between chunks is made of characters that
            # are each shown, so no chunk boundary lets one through.
            self.out.write(self._paint(MODEL_COLOUR, visible(event.text)))
            self.out.flush()
        elif isinstance(event, LineFinished):
            self._answered += 1
            if self.catalog is not None:
                done = event.reply
                model = done.model or self.model
                cost = price_turn(self.catalog, model, done.prompt_tokens, done.completion_tokens)
                self.totals.add(cost)
            self.out.write("\n\n")
            self.out.flush()
        elif isinstance(event, LineRetrying):
            self.out.write("\n")
            self.out.flush()
            self.err.write(
                f"line {event.index + 1}: {visible_line(event.error.message)} "
                f"(retry {event.attempt} in {event.delay:.1f}s)\n"
            )
        elif isinstance(event, LineFailed):
            self.out.write(self._paint(DIM, "(no reply)") + "\n\n")
            self.out.flush()
            line = self.player.lines[event.index].number if self.player else event.index + 1
            self.err.write(f"line {line}: failed: {visible_line(event.error.message)}\n")
            if self.ends_the_run(event.error) and self.group is not None:
                self.fatal = event.error.message
                self.group.stop()
        elif isinstance(event, LineStopped):
            self.out.write("\n")
            self.out.flush()
        elif isinstance(event, TranscriptUnsaved):
            where = f" in {event.folder}" if event.folder is not None else ""
            self.err.write(
                visible_line(
                    f"tuner chat: cannot save the transcript{where}: {event.reason}; "
                    "the conversation goes on unsaved"
                )
                + "\n"
            )
            self.err.flush()

    _started_reply = False

    def ends_the_run(self, error: ServiceError) -> bool:
        """Whether a line's failure means every line would fail the same way (`ends_the_run`)."""
        return ends_the_run(error, self._answered)
