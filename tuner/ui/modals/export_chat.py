"""Export a conversation as training examples: choose the exchanges, correct replies, write.

The user keeps or drops each complete exchange (space), rewrites a reply the model got wrong
(`e` opens it in an editor), picks the shape (`m`: the whole conversation as one example, or one
example per exchange) and the output path. The dialog writes the file itself (in a thread,
with `tuner.api.chat.export.export_chats`) and returns what it wrote, an `Exported`; a path that
cannot be written is said in the dialog, which stays open so the user can fix it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, SelectionList, TextArea
from textual.widgets.selection_list import Selection

from tuner.data.visible_text import visible
from tuner.ui.failures import WorkFailed, fails_as
from tuner.ui.outside import CONTROLS_SHOWN, outside_line

if TYPE_CHECKING:
    from tuner.api.chat.export import Exchange
    from tuner.api.chat.transcripts import Transcript

MODES: dict[str, str] = {
    "exchange": "one example per exchange",
    "conversation": "the whole conversation as one example",
}


@dataclass(frozen=True)
class ExportChoice:
    path: Path
    exchanges: frozenset[int]
    edits: dict[int, str] = field(default_factory=dict)  # Turn.index -> corrected reply
    mode: Literal["conversation", "exchange"] = "exchange"


@dataclass(frozen=True)
class Exported:
    """What the export wrote: where, and how many examples."""

    path: Path
    examples: int


class ExportFailed(WorkFailed):
    DOING = "write the export"


def _short(text: str, width: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


class EditReplyModal(ModalScreen[str | None]):
    """Rewrite one reply; ctrl+s keeps the change, escape drops it.

    The reply is edited as shown, its control characters drawn (`visible`): kept unchanged, the
    reply stays exactly as the model wrote it; changed, it is what the user saw and wrote."""

    CSS_PATH = "modals.tcss"
    CSS = """
    EditReplyModal { align: center middle; }
    EditReplyModal .dialog { width: 90%; max-width: 100; height: 80%; }
    EditReplyModal TextArea { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Keep", id="edit_reply.save", priority=True),
        Binding("escape", "cancel", "Drop changes", id="edit_reply.cancel"),
    ]

    def __init__(self, prompt: str, reply: str) -> None:
        super().__init__()
        self.prompt = prompt
        self.reply = reply
        self.shown = visible(reply)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = "Correct the reply"
            yield Label(outside_line(_short(f"you: {self.prompt}", 200)), classes="question")
            yield TextArea(self.shown, soft_wrap=True, id="reply")
            yield Label("ctrl+s keeps the correction · esc drops it")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_save(self) -> None:
        text = self.query_one(TextArea).text
        self.dismiss(self.reply if text == self.shown else text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ExportModal(ModalScreen[Exported | None]):
    """Pick exchanges of `transcript`, correct replies, choose shape and path."""

    CSS_PATH = "modals.tcss"
    CSS = """
    ExportModal { align: center middle; }
    ExportModal .dialog { width: 90%; max-width: 110; height: auto; max-height: 95%; }
    ExportModal SelectionList { height: auto; max-height: 10; margin: 1 0 0 0; }
    ExportModal #export-mode { color: $text-muted; }
    ExportModal #export-error { color: $text-error; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="export.cancel"),
        Binding("e", "edit", "Edit reply", id="export.edit"),
        Binding("m", "mode", "Mode", id="export.mode"),
    ]

    def __init__(self, transcript: Transcript, default_path: Path) -> None:
        super().__init__()
        from tuner.api.chat.export import complete_exchanges

        self.transcript = transcript
        self.exchanges: list[Exchange] = complete_exchanges(transcript)
        self.default_path = default_path
        self.edits: dict[int, str] = {}
        self.mode: Literal["conversation", "exchange"] = "exchange"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = "Export as training examples"
            yield Label(
                f"{len(self.exchanges)} exchanges · space keep/drop · e correct · m shape",
                markup=False,
            )
            yield SelectionList[int](*self._selections(set(range(len(self.exchanges)))))
            yield Label("", id="export-mode", markup=False)
            yield Label("Write to (enter writes the file, esc cancels):")
            yield Input(
                str(self.default_path),
                id="export-path",
                compact=True,
                highlighter=CONTROLS_SHOWN,
            )
            yield Label("", id="export-error")

    def on_mount(self) -> None:
        self._show_mode()
        self.query_one(SelectionList).focus()

    def _reply_text(self, exchange: Exchange) -> str:
        return self.edits.get(exchange.assistant.index, exchange.assistant.content)

    def _selections(self, selected: set[int]) -> list[Selection[int]]:
        items = []
        for ex in self.exchanges:
            mark = "✎ " if ex.assistant.index in self.edits else ""
            label = (
                f"{ex.number + 1}. {_short(ex.user.content, 28)} → "
                f"{mark}{_short(self._reply_text(ex), 30)}"
            )
            items.append(Selection(outside_line(label), ex.number, ex.number in selected))
        return items

    def _show_mode(self) -> None:
        self.query_one("#export-mode", Label).update(f"shape: {MODES[self.mode]}")

    def action_mode(self) -> None:
        self.mode = "conversation" if self.mode == "exchange" else "exchange"
        self._show_mode()

    def action_edit(self) -> None:
        listing = self.query_one(SelectionList)
        index = listing.highlighted
        if index is None or not self.exchanges:
            return
        exchange = self.exchanges[index]

        def keep(text: str | None) -> None:
            if text is None or text == self._reply_text(exchange):
                return
            self.edits[exchange.assistant.index] = text
            selected = set(listing.selected)
            listing.clear_options()
            listing.add_options(self._selections(selected))
            listing.highlighted = index

        self.app.push_screen(
            EditReplyModal(exchange.user.content, self._reply_text(exchange)), keep
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("edit", "mode"):
            # Letters belong to the path field while it has focus.
            return not isinstance(self.focused, Input)
        return True

    def _export(self) -> None:
        text = self.query_one("#export-path", Input).value.strip()
        if not text:
            self.notify("Give a file name for the export", severity="error")
            return
        chosen = frozenset(self.query_one(SelectionList).selected)
        if not chosen:
            self.notify("Nothing selected: space keeps an exchange", severity="error")
            return
        path = Path(text).expanduser()
        self.query_one("#export-error", Label).update("writing…")
        self._write(ExportChoice(path, chosen, dict(self.edits), self.mode))

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    @fails_as(ExportFailed)
    def _write(self, choice: ExportChoice) -> None:
        from tuner.api.chat.export import export_chats

        count = export_chats(
            [self.transcript],
            choice.path,
            edits={self.transcript.path: choice.edits},
            exchanges=choice.exchanges,
            mode=choice.mode,
        )
        self.post_message(self.Written(Exported(choice.path, count)))

    @dataclass
    class Written(Message):
        result: Exported

    def on_export_modal_written(self, message: Written) -> None:
        self.dismiss(message.result)

    @on(ExportFailed)
    def _failed(self, failed: ExportFailed) -> None:
        message = f"Not written: {failed.reason}"
        self.query_one("#export-error", Label).update(outside_line(message))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._export()

    def action_cancel(self) -> None:
        self.dismiss(None)
