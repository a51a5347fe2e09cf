"""The chat screen's saved conversations: continue a past one (ctrl+l), export one (ctrl+y).

Every conversation is on disk as it happens (`tuner.api.chat.transcripts`). ctrl+l lists them
and continues the one chosen with its model(s), profile(s), system prompt, parameters and
turns; a comparison continues as one, and a side whose profile is gone continues on the active
one (said once). ctrl+y opens the export dialog on the focused column's side (the first
column's unless told), to pick exchanges, correct replies and write training examples. Kept
out of the screen module: both are about files, where the screen is about the live talk.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tuner.api.chat.session import ChatSettings, resume_threads
from tuner.api.chat.transcripts import CompareSide
from tuner.data.fit_text import short_path
from tuner.data.wording import plural
from tuner.ui.widgets.chat_params import ChatParams

if TYPE_CHECKING:
    from tuner.api.chat.session import ChatThread
    from tuner.ui.modals.export_chat import Exported
    from tuner.ui.screens.chat import ChatScreen


class SavedChatFlow:
    """Mixed into `ChatScreen`: past conversations and their export."""

    def action_history(self: ChatScreen) -> None:
        from tuner.ui.modals.transcripts import TranscriptsModal

        if self.busy or self.replay_open:
            self.notify("Stop the reply or replay first (esc)", severity="warning")
            return
        self.app.push_screen(TranscriptsModal(), self.reopen)

    async def reopen(self: ChatScreen, path: Path | None) -> None:
        """Continue the conversation saved in `path`: its model(s) and profile(s), prompt,
        params and turns. A comparison continues as one, each side on its own profile."""
        from tuner.api.chat.transcripts import TranscriptError, load_transcript

        if path is None:
            return
        try:
            transcript = load_transcript(path)
        except TranscriptError as exc:
            self.notify(str(exc), severity="error")
            return
        self.settings = ChatSettings.of_transcript(transcript.header)
        self.query_one("#params", ChatParams).load(self.settings)
        self._show_summary()
        threads = resume_threads(transcript)
        for thread in threads:
            if thread.profile is None or not self.profiles.known(thread.profile):
                if thread.profile is not None:
                    self.notify(
                        f"Profile {thread.profile} is gone: {thread.model} continues on "
                        f"{self.active_profile}",
                        severity="warning",
                    )
                thread.profile = self.active_profile
        sides = [CompareSide(t.model, t.profile) for t in threads]
        await self._new_conversation(sides, threads=threads)
        for index, pane in enumerate(self.panes):
            await pane.show_transcript(transcript.side(index))

    def _export_thread(self: ChatScreen) -> ChatThread | None:
        if len(self.threads) > 1 and self.columns.secondary.has_focus_within:
            return self.threads[1]
        return self.threads[0] if self.threads else None

    def action_export(self: ChatScreen) -> None:
        """Choose exchanges, correct replies, and write them as training examples: of the
        focused column's model when comparing (the first column's unless told)."""
        from tuner.api.chat.export import complete_exchanges, default_export_path
        from tuner.api.chat.transcripts import TranscriptError, load_transcript
        from tuner.ui.modals.export_chat import ExportModal

        thread = self._export_thread()
        if thread is None or thread.transcript is None:
            self.notify("Nothing to export yet: the conversation is empty", severity="warning")
            return
        try:
            transcript = load_transcript(thread.transcript.path)
            if transcript.compared:
                transcript = transcript.side(thread.side)
        except (TranscriptError, IndexError) as exc:
            self.notify(str(exc), severity="error")
            return
        if not complete_exchanges(transcript):
            self.notify("No complete exchange to export yet", severity="warning")
            return
        default = default_export_path(self.tuner.start_path / "exports", transcript)
        self.app.push_screen(ExportModal(transcript, default), self._exported)

    def _exported(self: ChatScreen, result: Exported | None) -> None:
        if result is not None:
            where = f"Exported {plural(result.examples, 'example')} to {short_path(result.path)}"
            if self.tuner.connection.demo:
                where += " (the demo's folder goes when you quit: copy it to keep it)"
            self.notify(where, timeout=15)
            self.tuner.open_dataset(result.path)
