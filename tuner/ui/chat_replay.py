"""The chat screen's prompt-file replay: load a file, then run, pause, step and skip it.

A prompt file goes into the conversation one line at a time, to every column in lockstep
(`tuner.api.chat.compare.ReplayGroup`), under the user's hand: ctrl+r picks a file and runs it;
enter on a `.txt` in the file browser loads it ready (asking for the model first when none was
chosen in chat yet); ctrl+g runs or pauses, ctrl+n sends one line, ctrl+s skips one. It is the
one flow of the screen with keys of its own, so it lives here and the screen module reads as
the conversation (columns, send, stop). The screen's `replay` reactive holds what is loaded:
setting it redraws the replay line and the footer's keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tuner.api.chat.replay import ReplayState

if TYPE_CHECKING:
    from tuner.ui.screens.chat import ChatScreen

# A replay in these states is loaded and unfinished: its keys apply, and the others wait.
OPEN = (ReplayState.READY, ReplayState.RUNNING, ReplayState.PAUSED)


class ChatReplayFlow:
    """Mixed into `ChatScreen`: the replay's actions, over its `replay` and `replay_file`."""

    @property
    def replay_open(self: ChatScreen) -> bool:
        """A prompt file is loaded and not finished (done or stopped)."""
        return self.replay is not None and self.replay.state in OPEN

    def _default_prompt_file(self: ChatScreen) -> Path | None:
        """The `.txt` highlighted in the browser, else the file replayed last."""
        try:
            files = self.app.get_screen_stack("files")
        except KeyError:
            files = []
        for screen in files:
            getter = getattr(screen, "highlighted_path", None)
            path = getter() if callable(getter) else None
            if isinstance(path, Path) and path.suffix.lower() == ".txt":
                return path
        return self.replay_file

    def action_replay(self: ChatScreen) -> None:
        """Pick a prompt file and replay it into the conversation, line by line."""
        from tuner.ui.modals.pick_file import PickFileModal

        if not self._can_send():
            return
        if self.replay_open:
            self.notify("A replay is loaded: esc stops it first", severity="warning")
            return
        modal = PickFileModal(self.tuner.start_path, default=self._default_prompt_file())
        self.app.push_screen(modal, self.start_replay)

    def load_prompt_file(self: ChatScreen, path: Path) -> None:
        """Load `path` ready to replay (from the browser): the model is asked for first when
        none was chosen here yet; ctrl+g then runs it, ctrl+n steps."""
        if not self.is_mounted:
            self._pending_prompt_file = path
            return
        self.run_worker(self._load_prompt_file(path), group="chat-ui")

    async def _load_prompt_file(self: ChatScreen, path: Path) -> None:
        from tuner.ui.modals.pick_model import PickModelModal

        if self.replay_open:
            shown = self.replay_file.name if self.replay_file else "a file"
            self.notify(
                f"The replay of {shown} is loaded: esc stops it, then open {path.name} again",
                severity="warning",
            )
            return
        if self.busy:
            self.notify("Wait for the reply, or press esc to stop it", severity="warning")
            return
        if not self._model_picked and self._connection_problem() is None:
            current = self.threads[0].model if self.threads else None
            choice = await self.app.push_screen_wait(
                PickModelModal(
                    self._loader(),
                    current=current,
                    title=f"Replay {path.name} with",
                    note=self.profiles.retirement_note(),
                )
            )
            await self._model_chosen(choice)
        self.start_replay(path, run=False)

    def start_replay(self: ChatScreen, path: Path | None, *, run: bool = True) -> None:
        """Read `path` and start sending it; `run=False` loads it ready for ctrl+g / ctrl+n."""
        from tuner.api.chat.replay import PromptFileError, read_prompt_file

        if path is None or not self._can_send():
            return
        try:
            lines = read_prompt_file(path)
        except PromptFileError as exc:
            self.notify(str(exc), severity="error")
            return
        if not lines:
            self.notify(f"{path.name} has no prompts (every line is empty)", severity="warning")
            return
        group = self._group(lines)
        if group is None:
            return
        self.replay_file = path  # first: the replay line names it when `replay` is set
        self.replay = group
        if run:
            self._drive(group, step=False)

    def action_run_pause(self: ChatScreen) -> None:
        replay = self.replay
        if replay is None:
            return
        if replay.busy:
            replay.pause()
            self.status_line.note("pausing after this line")
        elif replay.state in (ReplayState.READY, ReplayState.PAUSED) and not self.busy:
            self._drive(replay, step=False)

    def action_step(self: ChatScreen) -> None:
        replay = self.replay
        paused = replay is not None and replay.state in (ReplayState.READY, ReplayState.PAUSED)
        if replay is not None and paused and not self.busy:
            self._drive(replay, step=True)

    def action_skip(self: ChatScreen) -> None:
        if self.replay is not None and self.replay_open:
            self.replay.skip()
            self.status_line.redraw()
