"""Past conversations: every saved transcript, newest first; enter reopens one to continue it.

A dialog rather than a top-level screen: it is only ever a step on the way back into the chat.
The list is read in a thread (each transcript file is read to count its turns). A saved
comparison is one entry (`M vs M2`) and reopens as a comparison.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from tuner.data.visible_text import visible_line
from tuner.data.wording import plural

if TYPE_CHECKING:
    from tuner.api.chat.transcripts import TranscriptInfo


def describe(info: TranscriptInfo) -> Content:
    """`2026-05-01 14:03  gpt-4o-mini…  12 turns  replay metin.txt`; a comparison reads
    `M vs M2`, with its profiles (`old vs new`) when they differ. The names come from the
    saved files (and so from a service): plain text, control characters shown."""
    when = datetime.fromtimestamp(info.created_at).strftime("%Y-%m-%d %H:%M")
    title = f"  {visible_line(info.title)}" if info.title else ""
    turns = plural(info.turns, "turn")
    profiles = [side.profile or "?" for side in info.compare]
    where = f"  {visible_line(' vs '.join(profiles))}" if len(set(profiles)) > 1 else ""
    model = f"  {visible_line(info.model)}"
    return Content.assemble((when, "dim"), model, (where, "italic"), (f"  {turns}{title}", "dim"))


class TranscriptsModal(ModalScreen[Path | None]):
    """Returns the transcript file to reopen, or None."""

    CSS_PATH = "modals.tcss"
    CSS = """
    TranscriptsModal { align: center middle; }
    TranscriptsModal .dialog { width: 90%; max-width: 110; height: auto; max-height: 90%; }
    TranscriptsModal OptionList { height: auto; max-height: 16; margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="transcripts.cancel"),
    ]

    def __init__(self, directory: Path | None = None) -> None:
        super().__init__()
        self.directory = directory

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = "Past conversations"
            yield Label("reading…", id="transcripts-status")
            yield OptionList(id="transcripts")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self._read()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _read(self) -> None:
        from tuner.api.chat.transcripts import list_transcripts

        infos = list_transcripts(self.directory)
        self.app.call_from_thread(self._fill, infos)

    def _fill(self, infos: list[TranscriptInfo]) -> None:
        status = self.query_one("#transcripts-status", Label)
        if not infos:
            status.update("No saved conversations yet.")
            return
        status.update(f"{len(infos)} saved · enter reopens and continues one")
        listed = self.query_one(OptionList)
        listed.set_options([Option(describe(info), id=str(info.path)) for info in infos])
        listed.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.dismiss(Path(event.option.id))

    def action_cancel(self) -> None:
        self.dismiss(None)
