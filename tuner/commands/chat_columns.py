"""How `tuner chat --compare` prints two models answering the same prompt file.

On a terminal the models sit side by side: the user's line across the top in the tutorial's
green, then one column per model (heads with the model names, printed once), each wrapped to
half the terminal's width. Two columns cannot stream at once without redrawing the screen, so a
line's pair is printed when every model is done with it, while a one-line "waiting for M2…"
status on stderr (a terminal too) shows that something is happening.

Anywhere else (a pipe, a log file) the output is sequential blocks labelled by model, with no
ANSI codes: the first model's reply streams as it arrives and the others' are held until it is
done, so a block is never interleaved with another. Both printers keep the per-model token and
cost totals and lines answered that the summary prints at the end.

Widths are counted in terminal cells (a CJK character or an emoji takes two), so columns line
up whatever the language of the replies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from tuner.data.chat_cost import UsageTotals, describe_turn, describe_usage, price_turn
from tuner.data.fit_text import cell_width
from tuner.data.visible_text import visible, visible_line
from tuner.data.wording import plural

if TYPE_CHECKING:
    from tuner.api.chat.replay import PromptLine, ReplayEvent
    from tuner.data.catalog.lookup import Catalog

# The colours of `tuner chat` on a terminal, the one-model transcript's too.
USER_COLOUR = "\033[32m"  # green, as in the tutorial
MODEL_COLOUR = "\033[36m"  # cyan
DIM = "\033[2m"
RESET = "\033[0m"
HEAD_COLOUR = "\033[1;36m"  # bold cyan: the column heads
SEPARATOR = " │ "
# Below this many cells a column is too narrow to read: the blocks are printed instead.
MIN_COLUMN = 24

_SETTLED = ("done", "failed", "skipped", "stopped")


# ------------------------------------------------------------------------------ cell widths


def _split_to_width(word: str, width: int) -> list[str]:
    """A word longer than a line, cut into pieces that fit."""
    pieces: list[str] = []
    current, used = "", 0
    for char in word:
        size = cell_width(char)
        if used + size > width and current:
            pieces.append(current)
            current, used = "", 0
        current += char
        used += size
    if current:
        pieces.append(current)
    return pieces


def wrap_cells(text: str, width: int) -> list[str]:
    """`text` wrapped to `width` cells: its own line breaks kept, words kept whole where they
    fit, runs of spaces inside a line collapsed. An empty text is one empty line."""
    lines: list[str] = []
    for paragraph in text.replace("\r\n", "\n").split("\n"):
        words = paragraph.split()
        if not words:
            lines.append("")
            continue
        current, used = "", 0
        for word in words:
            size = cell_width(word)
            if current and used + 1 + size <= width:
                current, used = f"{current} {word}", used + 1 + size
                continue
            if current:
                lines.append(current)
            if size > width:
                *whole, current = _split_to_width(word, width)
                lines.extend(whole)
                used = cell_width(current)
            else:
                current, used = word, size
        lines.append(current)
    return lines


def pad_cells(text: str, width: int) -> str:
    """`text` followed by spaces up to `width` cells."""
    return text + " " * max(0, width - cell_width(text))


# ------------------------------------------------------------------------------ one line's replies


@dataclass
class Reply:
    """What one model did with one line, as far as the printer has heard."""

    parts: list[str] = field(default_factory=list)
    state: str = "waiting"  # waiting, streaming, done, failed, skipped, stopped
    note: str = ""  # tokens and cost, or why there is no reply
    shown: int = 0  # characters already written (the streaming block printer)
    opened: bool = False  # the block's label is written

    @property
    def text(self) -> str:
        return "".join(self.parts)

    @property
    def settled(self) -> bool:
        return self.state in _SETTLED


@dataclass
class Line:
    """One prompt line and every model's reply to it, until it is printed."""

    index: int
    replies: list[Reply]
    printed: bool = False  # the whole line (both models) is out
    headed: bool = False  # its user line is out (the block printer)

    @property
    def settled(self) -> bool:
        return all(reply.settled for reply in self.replies)


@dataclass(frozen=True)
class Side:
    """One compared model as the printers show and price it."""

    model: str
    label: str  # `model`, or `model · profile` when the profiles differ
    catalog: Catalog  # its own service's prices


class ComparePrinter:
    """Hears every model's replay events and keeps what the printers and the summary need.
    `sides` are in the group's order; `lines` are the prompts sent."""

    def __init__(
        self,
        out: TextIO,
        err: TextIO,
        sides: Sequence[Side],
        lines: Sequence[PromptLine],
        *,
        colour: bool,
    ) -> None:
        self.out = out
        self.err = err
        self.labels = [side.label for side in sides]
        self.catalogs = [side.catalog for side in sides]
        self.models = [side.model for side in sides]
        self.prompts = list(lines)
        self.colour = colour
        self.totals = [UsageTotals() for _ in sides]
        self.answered = [0 for _ in sides]
        self.lines: dict[int, Line] = {}
        self._unsaved_said = False

    # -- events -----------------------------------------------------------------------------

    def hear(self, side: int) -> Callable[[ReplayEvent], None]:
        """The `on_event` callback for model `side`'s replay."""
        return lambda event: self.on_event(side, event)

    def on_event(self, side: int, event: ReplayEvent) -> None:
        from tuner.api.chat.replay import (
            LineDelta,
            LineFailed,
            LineFinished,
            LineRetrying,
            LineSkipped,
            LineStarted,
            LineStopped,
            StateChanged,
            TranscriptUnsaved,
        )

        if isinstance(event, StateChanged):
            return  # the group's state is the run's; the lines say what each model did
        if isinstance(event, TranscriptUnsaved):
            if not self._unsaved_said:
                self._unsaved_said = True
                where = f" in {event.folder}" if event.folder is not None else ""
                self.say(
                    f"tuner chat: cannot save the transcript{where}: {event.reason}; "
                    "the comparison goes on unsaved"
                )
            return
        reply = self._line(event.index).replies[side]
        if isinstance(event, LineStarted):
            restarted = event.attempt > 0 and reply.state == "streaming"
            if restarted:
                self.restarted(side, event.index, reply)
            reply.parts, reply.state = [], "streaming"
        elif isinstance(event, LineDelta):
            reply.parts.append(event.text)
        elif isinstance(event, LineFinished):
            done = event.reply
            cost = price_turn(
                self.catalogs[side],
                done.model or self.models[side],
                done.prompt_tokens,
                done.completion_tokens,
            )
            self.totals[side].add(cost)
            self.answered[side] += 1
            reply.parts, reply.state = [done.text], "done"
            cut = " · cut at max tokens" if done.finish_reason == "length" else ""
            reply.note = describe_turn(cost) + cut
        elif isinstance(event, LineRetrying):
            self.say(
                f"line {self.number(event.index)}: {self.labels[side]}: {event.error.message} "
                f"(retry {event.attempt} in {event.delay:.1f}s)"
            )
        elif isinstance(event, LineFailed):
            reply.state, reply.note = "failed", f"no reply: {event.error.message}"
            self.say(
                f"line {self.number(event.index)}: {self.labels[side]}: failed: "
                f"{event.error.message}"
            )
        elif isinstance(event, LineSkipped):
            reply.state, reply.note = "skipped", "skipped"
        elif isinstance(event, LineStopped):
            reply.parts, reply.state, reply.note = [event.partial], "stopped", "stopped"
        self.changed(event.index)

    def _line(self, index: int) -> Line:
        line = self.lines.get(index)
        if line is None:
            line = self.lines[index] = Line(index, [Reply() for _ in self.labels])
        return line

    def number(self, index: int) -> int:
        """The line's number in the prompt file (blank lines counted), for messages."""
        return self.prompts[index].number if index < len(self.prompts) else index + 1

    # -- output -----------------------------------------------------------------------------

    def paint(self, code: str, text: str) -> str:
        return f"{code}{text}{RESET}" if self.colour and text else text

    def say(self, message: str) -> None:
        """One line on stderr (retries, failures, the summary); a service's words in it are
        shown, never sent to the terminal."""
        self.err.write(visible_line(message) + "\n")
        self.err.flush()

    def user_line(self, index: int) -> str:
        prompt = self.prompts[index].text if index < len(self.prompts) else ""
        return f"user [{index + 1}/{len(self.prompts)}]: {visible_line(prompt)}"

    def begin(self) -> None:
        """Before the first line (the column heads)."""

    def changed(self, index: int) -> None:
        """Something was heard about line `index`: print what can be printed now."""

    def restarted(self, side: int, index: int, reply: Reply) -> None:
        """Model `side` starts line `index` again after a retryable failure."""

    def finish(self) -> None:
        """The run is over (done or stopped): print what is left, unfinished replies too."""

    def summary(self) -> list[str]:
        """Per model: lines answered, tokens in and out, and the cost by its own catalog."""
        total = len(self.prompts)
        said = []
        for label, answered, totals in zip(self.labels, self.answered, self.totals, strict=True):
            said.append(
                f"{label}: {answered:,} of {plural(total, 'line')} answered · "
                f"{describe_usage(totals)}"
            )
        return said


class ColumnPrinter(ComparePrinter):
    """Side by side on a terminal `width` cells wide; a waiting status on `err` when `status`."""

    def __init__(
        self,
        out: TextIO,
        err: TextIO,
        sides: Sequence[Side],
        lines: Sequence[PromptLine],
        *,
        colour: bool,
        width: int,
        status: bool,
    ) -> None:
        super().__init__(out, err, sides, lines, colour=colour)
        count = len(self.labels)
        self.width = width
        self.column = (width - len(SEPARATOR) * (count - 1)) // count
        self.status = status
        self._status_shown = 0

    def begin(self) -> None:
        heads = [wrap_cells(label, self.column) for label in self.labels]
        self._rows(heads, HEAD_COLOUR)
        rule = "─┼─".join("─" * self.column for _ in self.labels)
        self._write(self.paint(DIM, rule) + "\n")

    def changed(self, index: int) -> None:
        for number in sorted(self.lines):
            line = self.lines[number]
            if line.printed:
                continue
            if not line.settled:
                self._waiting(line)
                return
            self._print(line)

    def finish(self) -> None:
        for number in sorted(self.lines):
            line = self.lines[number]
            if not line.printed:
                for reply in line.replies:
                    if not reply.settled:
                        reply.note = "not finished"
                self._print(line)
        self._clear_status()

    def _print(self, line: Line) -> None:
        self._clear_status()
        user = wrap_cells(self.user_line(line.index), self.width)
        self._write("".join(self.paint(USER_COLOUR, row) + "\n" for row in user))
        replies = [wrap_cells(visible(reply.text), self.column) for reply in line.replies]
        self._rows(replies, MODEL_COLOUR)
        notes = [wrap_cells(visible_line(reply.note), self.column) for reply in line.replies]
        if any(any(row for row in note) for note in notes):
            self._rows(notes, DIM)
        self._write("\n")
        line.printed = True

    def _rows(self, columns: list[list[str]], code: str) -> None:
        """Write the columns side by side, the shorter ones padded with blank rows."""
        height = max(len(column) for column in columns)
        separator = self.paint(DIM, SEPARATOR)
        rows = []
        for row in range(height):
            cells = [column[row] if row < len(column) else "" for column in columns]
            padded = [self.paint(code, pad_cells(cell, self.column)) for cell in cells[:-1]]
            padded.append(self.paint(code, cells[-1]))
            rows.append(separator.join(padded).rstrip() + "\n")
        self._write("".join(rows))

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    # -- the waiting line on stderr ---------------------------------------------------------

    def _waiting(self, line: Line) -> None:
        if not self.status:
            return
        pending = [
            label
            for label, reply in zip(self.labels, line.replies, strict=True)
            if not reply.settled
        ]
        text = f"line {line.index + 1}/{len(self.prompts)}: waiting for {', '.join(pending)}…"
        text = text[: max(1, self.width - 1)]
        self.err.write("\r" + pad_cells(text, self._status_shown) + "\r" + text)
        self.err.flush()
        self._status_shown = max(self._status_shown, cell_width(text))

    def _clear_status(self) -> None:
        if self._status_shown:
            self.err.write("\r" + " " * self._status_shown + "\r")
            self.err.flush()
            self._status_shown = 0

    def say(self, message: str) -> None:
        self._clear_status()
        super().say(message)


class BlockPrinter(ComparePrinter):
    """Sequential blocks labelled by model: the first model's reply streams, the others follow
    once it is done. Plain text unless `colour`."""

    # Where the writing is (class defaults, set on the instance as it moves on).
    _next = 0  # the line being written
    _side = 0  # the model whose block is being written

    def changed(self, index: int) -> None:
        self._pump(final=False)

    def finish(self) -> None:
        self._pump(final=True)

    def restarted(self, side: int, index: int, reply: Reply) -> None:
        if index == self._next and side == self._side and reply.shown:
            self._write("\n" + self.paint(DIM, "  (retrying: the reply starts again)") + "\n")
            reply.opened = False
        reply.shown = 0

    def _pump(self, *, final: bool) -> None:
        """Write everything that can be written in order; `final` writes unfinished lines too."""
        while self._next in self.lines:
            line = self.lines[self._next]
            if not line.headed:
                self._write(self.paint(USER_COLOUR, self.user_line(line.index)) + "\n")
                line.headed = True
            reply = line.replies[self._side]
            if not reply.opened and (reply.state != "waiting" or final):
                self._write(self.paint(MODEL_COLOUR, f"{self.labels[self._side]}:") + " ")
                reply.opened = True
            if reply.opened:
                text = reply.text
                if len(text) > reply.shown:
                    self._write(self.paint(MODEL_COLOUR, visible(text[reply.shown :])))
                    reply.shown = len(text)
            if not reply.settled and not final:
                return
            self._write(self._ending(reply) + "\n")
            self._side += 1
            if self._side == len(self.labels):
                self._write("\n")
                line.printed = True
                self._next, self._side = self._next + 1, 0

    def _ending(self, reply: Reply) -> str:
        if reply.state == "done":
            return ""
        words = {
            "failed": "(no reply)",
            "skipped": "(skipped)",
            "stopped": "(stopped)",
        }.get(reply.state, "(not finished)")
        return (" " if reply.shown else "") + self.paint(DIM, words)

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()
