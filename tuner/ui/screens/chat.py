"""The chat screen: talk to a model, replay a prompt file into it, compare two models.

Thin by design. Every user turn, typed or read from a prompt file, goes through
`tuner.api.chat.compare.ReplayGroup` over one `PromptReplay` per model (`ChatThread.replay`), so
streaming, retries with backoff, stop-with-partial and the transcript on disk behave the same in
every case. The screen owns the one worker that drives the group (a replay spans both columns
when comparing, so no single column can own it); each `ChatPane` renders the events it is sent.
Leaving the screen for another mode keeps a replay going; closing the app cancels the worker.

Compare (ctrl+b) may take its second model from another settings profile (ctrl+o in the picker
moves between profiles): the model heard next to a fine-tune may be its copy on another service.
The app's session serves the active profile; a service for any other profile is opened by
`ChatProfiles` (`tuner.ui.chat_profiles`) and closed as soon as no column needs it (compare off,
a new conversation without it) or when the screen goes. Every column talks to its own profile's
service, and the comparison is saved as one transcript.

State drives the screen: `threads` (one model's, or two compared) lays out and titles the
columns; `busy` (a send in flight) and `replay` (the prompt file loaded) redraw the replay line
and the footer's keys. The flows with dialogs of their own are mixed in from beside the screen:
the replay (`tuner.ui.chat_replay`), the choice of models and compare (`tuner.ui.chat_models`),
past conversations and export (`tuner.ui.chat_saved`).

Keys: enter sends · esc stops a reply or replay (partial text kept, marked "stopped"), else
leaves the message box, and a second esc goes back · ctrl+o model · ctrl+b compare · ctrl+r
replay a file, then ctrl+g run/pause, ctrl+n step, ctrl+s skip · f2 parameters · ctrl+l past
conversations · ctrl+y export · f5 new conversation.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.reactive import var
from textual.widgets import Footer, Header, Input

from tuner.api.chat.replay import ReplayEvent, ReplayState, TranscriptUnsaved
from tuner.api.chat.session import ChatSettings, ChatThread, conversation_threads, replay_together
from tuner.api.chat.transcripts import CompareSide
from tuner.api.retry import RetryPolicy
from tuner.ui.chat_models import ChatModelFlow
from tuner.ui.chat_profiles import ChatProfiles
from tuner.ui.chat_replay import ChatReplayFlow
from tuner.ui.chat_saved import SavedChatFlow
from tuner.ui.failures import WorkFailed, fails_as
from tuner.ui.outside import CONTROLS_SHOWN
from tuner.ui.tuner_screen import TunerScreen
from tuner.ui.typing_screen import TypingScreen
from tuner.ui.widgets.chat_columns import ChatColumns
from tuner.ui.widgets.chat_pane import ChatPane
from tuner.ui.widgets.chat_params import ChatParams
from tuner.ui.widgets.chat_summary import ChatSummary
from tuner.ui.widgets.replay_status import ReplayStatus

if TYPE_CHECKING:
    from tuner.api.chat.compare import ReplayGroup


class SendingEnded(Message):
    """The worker driving a send or a replay has stopped (done, paused, stopped or failed)."""


class SendingFailed(WorkFailed):
    """A send or a replay broke outside its replies (a reply's own error shows in its pane)."""

    DOING = "send"


class ChatScreen(ChatReplayFlow, ChatModelFlow, SavedChatFlow, TypingScreen, TunerScreen[None]):
    """Chat with one model, or with two side by side."""

    CSS_PATH = "chat.tcss"
    TITLE = "Chat"
    BINDINGS: ClassVar[list[BindingType]] = [
        # One key, three meanings, one at a time: stop what is in flight; else leave the message
        # box (typing then still lands in it); else, from outside the box, back.
        Binding("escape", "stop", "Stop", id="chat.stop"),
        Binding("escape", "leave_box", "Leave box", id="chat.leave_box"),
        Binding("escape", "back", "again: back", id="chat.back"),
        Binding("ctrl+o", "pick_model", "Model", id="chat.model"),
        Binding("ctrl+b", "compare", "Compare", id="chat.compare"),
        Binding("ctrl+r", "replay", "Replay", id="chat.replay"),
        Binding("ctrl+g", "run_pause", "Run·pause", id="chat.run_pause"),
        Binding("ctrl+n", "step", "Step", id="chat.step"),
        Binding("ctrl+s", "skip", "Skip", id="chat.skip"),
        Binding("f2", "params", "Params", id="chat.params"),
        Binding("ctrl+l", "history", "Chats", id="chat.history", show=False),
        Binding("ctrl+y", "export", "Export", id="chat.export"),
        Binding("f5", "new_chat", "New chat", id="chat.new", show=False),
        Binding("f1", "app.keys", "Help", id="chat.help"),
    ]

    threads: var[list[ChatThread]] = var(list, init=False, always_update=True)
    """Each column's conversation: one, or two when comparing."""
    busy: var[bool] = var(False, init=False, bindings=True)
    """True from the moment a send (or a replay's run or step) is scheduled until its worker
    has said it ended."""
    replay: var[ReplayGroup | None] = var(None, init=False, bindings=True)
    """The prompt file loaded (`replay_file`), until another conversation starts."""

    def __init__(self, model: str | None = None) -> None:
        super().__init__()
        self.settings = ChatSettings()
        self.active: ReplayGroup | None = None  # the group the worker is driving now
        self.replay_file: Path | None = None
        self.retry = RetryPolicy(attempts=4, base=1.0, cap=20.0)
        self._pending_model = model
        self._refused: str | None = None  # a parameter typed that the service would refuse
        self._profiles: ChatProfiles | None = None
        self._model_picked = model is not None  # chosen by the user, not the default model
        self._pending_prompt_file: Path | None = None

    @property
    def profiles(self) -> ChatProfiles:
        """The columns' profiles: services of profiles other than the active one are opened
        for a column (or a model list) that needs them, closed as soon as none does."""
        if self._profiles is None:
            self._profiles = ChatProfiles(self.tuner)
        return self._profiles

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        catalog = self.tuner.catalog()
        yield Header(icon="≡")
        yield ChatSummary(id="summary")
        with Horizontal(id="body"):
            yield ChatColumns(catalog, id="columns")
            yield ChatParams(self.settings, id="params")
        yield ReplayStatus(id="replay-status")
        yield Input(
            placeholder="Message (enter sends)",
            id="prompt",
            compact=True,
            select_on_focus=False,
            highlighter=CONTROLS_SHOWN,
        )
        # ctrl+p still opens the palette (help lists it): its footer hint would push the
        # screen's own keys off an 80-column footer.
        yield Footer(compact=True, show_command_palette=False)

    @property
    def columns(self) -> ChatColumns:
        return self.query_one(ChatColumns)

    @property
    def panes(self) -> list[ChatPane]:
        """The panes in use: one, or two when comparing."""
        return self.columns.panes(len(self.threads))

    @property
    def prompt(self) -> Input:
        return self.query_one("#prompt", Input)

    async def on_mount(self) -> None:
        self._show_summary()
        self._arrange()
        model = self._pending_model or self.tuner.default_model
        self._pending_model = None
        if self._connection_problem() is None and model:
            await self._new_conversation([self._side(model)])
        await self._check_connection()
        self.prompt.focus()
        if self._pending_prompt_file is not None:  # opened from the browser as a prompt file
            path, self._pending_prompt_file = self._pending_prompt_file, None
            self.run_worker(self._load_prompt_file(path), group="chat-ui")

    async def on_screen_resume(self) -> None:
        await self._check_connection()
        self._name_profiles()  # the active profile may have changed meanwhile

    def _name_profiles(self) -> None:
        profiles = [thread.profile for thread in self.threads]
        self.columns.name_profiles(profiles, self.profiles.is_active)

    def on_resize(self) -> None:
        self._arrange()

    def _arrange(self) -> None:
        self.columns.lay_out(self.size.width, len(self.threads))

    def _show_summary(self) -> None:
        self.query_one(ChatSummary).show(self.settings, self._refused)

    @property
    def status_line(self) -> ReplayStatus:
        return self.query_one(ReplayStatus)

    # -- state -------------------------------------------------------------------------------

    def watch_threads(self) -> None:
        """Other conversations: name the columns' profiles, show one column or two."""
        self._name_profiles()
        self._arrange()

    def watch_busy(self, busy: bool) -> None:
        """A send started (the replay line says `running`) or ended (its outcome shows)."""
        if busy:
            self.status_line.redraw()
        else:
            self.status_line.settled()

    def watch_replay(self, replay: ReplayGroup | None) -> None:
        """A prompt file loaded (or none any more): the replay line follows it."""
        self.status_line.load(replay, self.replay_file)

    def _group_moved(self, _state: ReplayState) -> None:
        """A group changed state (ran, paused, finished, stopped): its line and keys follow."""
        self.status_line.redraw()
        self.refresh_bindings()

    # -- connection and client ---------------------------------------------------------------

    def _connection_problem(self) -> str | None:
        return self.tuner.session.problem

    async def _check_connection(self) -> None:
        problem = self._connection_problem()
        self.prompt.disabled = problem is not None
        await self.columns.primary.show_problem(problem)

    @property
    def active_profile(self) -> str | None:
        return self.profiles.active

    async def release_services(self) -> None:
        """Close the other profiles' services no column uses: a comparison across services
        never leaks one (and none is left open when the screen goes)."""
        await self.profiles.release([t.profile for t in self.threads])

    async def on_unmount(self) -> None:
        await self.profiles.release([])

    # -- conversations -----------------------------------------------------------------------

    def _side(self, model: str, profile: str | None = None) -> CompareSide:
        """`model` on `profile` (the active profile when None)."""
        return CompareSide(model, profile or self.active_profile)

    async def _new_conversation(
        self,
        sides: list[CompareSide],
        note: str | None = None,
        *,
        threads: list[ChatThread] | None = None,
    ) -> None:
        """Fresh threads (and panes) for `sides`; what was said before stays on disk.
        `threads` are ready-made ones for them (a saved conversation continued)."""
        self.replay_file = None
        self.replay = None
        threads = conversation_threads(sides) if threads is None else threads
        for pane, side in zip(self.columns.panes(2), sides, strict=False):
            await pane.reset(side.model, note, catalog=self.profiles.catalog(side.profile))
        self.threads = threads  # only now: a turn sent before the reset would be wiped by it
        await self.release_services()
        self.prompt.focus()  # a new conversation starts with typing

    def _listener(self, index: int) -> Callable[[ReplayEvent], None]:
        pane = self.panes[index]

        def hear(event: ReplayEvent) -> None:
            if isinstance(event, TranscriptUnsaved):  # once per conversation
                where = event.folder or "the data folder"
                self.notify(
                    f"This conversation is not being saved ({where}: {event.reason})",
                    severity="warning",
                    timeout=10,
                )
                return
            pane.post_message(ChatPane.Event(event))
            if index == 0 and self.replay is not None and self.active is self.replay:
                self.status_line.hear(event)

        return hear

    def _group(self, lines: list[Any]) -> ReplayGroup | None:
        """One replay of `lines` per column, each on its own profile's service, in lockstep;
        None when a profile's service cannot be opened (the reason is shown)."""
        from tuner.api.errors import ServiceError

        try:
            services = [self.profiles.service(thread.profile) for thread in self.threads]
        except ServiceError as exc:
            self.notify(exc.message, severity="error")
            return None
        return replay_together(
            self.threads,
            services,
            lines,
            self.settings,
            hear=self._listener,
            retry=self.retry,
            on_state=self._group_moved,
        )

    def _can_send(self) -> bool:
        problem = self._connection_problem()
        if problem is not None:
            self.notify(problem, severity="error")
            return False
        if not self.threads:
            self.notify("Pick a model first: ctrl+o", severity="warning")
            self.action_pick_model()
            return False
        if self.busy:
            self.notify("Wait for the reply, or press esc to stop it", severity="warning")
            return False
        return True

    @on(Input.Submitted, "#prompt")
    def send(self, event: Input.Submitted) -> None:
        """Send the typed message to every column's model."""
        event.stop()
        text = event.value.strip()
        if not text or not self._can_send():
            return
        group = self._group([text])
        if group is None:
            return
        event.input.value = ""
        self._drive(group, step=False)

    def _drive(self, group: ReplayGroup, *, step: bool) -> None:
        self.active = group
        self.busy = True
        self._run_group(group, step)

    @work(exclusive=True, group="chat-stream", exit_on_error=False)
    @fails_as(SendingFailed)
    async def _run_group(self, group: ReplayGroup, step: bool) -> None:
        try:
            if step:
                await group.step()
            else:
                await group.run()
        finally:
            self.post_message(SendingEnded())

    @on(SendingEnded)
    def _sending_ended(self) -> None:
        self.busy = False

    @on(SendingFailed)
    def _sending_failed(self, failed: SendingFailed) -> None:
        """Driving the group raised (a reply's service errors are shown in its pane, not here)."""
        self.notify(f"The chat stopped: {failed.reason}", severity="error")

    @property
    def _stoppable(self) -> bool:
        """A reply streaming, or a replay loaded: what escape stops."""
        return self.replay_open or (self.active is not None and self.busy)

    def action_stop(self) -> None:
        """Stop the reply or replay in flight; the cursor stays in the message box."""
        if self.active is not None and self.busy:
            self.active.stop()
        if self.replay is not None and self.replay_open:
            self.replay.stop()  # the replay line and the keys follow its state (`_group_moved`)

    @property
    def _in_box(self) -> bool:
        """The focus is where one types: the message box or the parameters."""
        return self.prompt.has_focus or self.query_one("#params", ChatParams).has_focus_within

    def action_leave_box(self) -> None:
        """Out of the parameters into the message box; out of the message box to nowhere (a
        letter typed then still lands in the box; a second escape goes back)."""
        if self.query_one("#params", ChatParams).has_focus_within:
            self.prompt.focus()
            return
        self.set_focus(None)

    def action_back(self) -> None:
        """Back to the last screen; the conversation and any draft stay here for later."""
        self.tuner.go_back()

    @property
    def TYPING(self) -> bool:  # type: ignore[override]
        """Typing is the point only when there is a service to talk to: without one the
        screen's note says to press s for settings, and that key must work."""
        return self.is_mounted and not self.prompt.disabled

    def stray_key(self, character: str) -> None:
        """Typing anywhere on this screen types into the message box."""
        if self.prompt.disabled:
            return
        self.prompt.focus()
        self.prompt.insert_text_at_cursor(character)

    def work_in_flight(self) -> list[str]:
        """What quitting now would lose: a running replay, a reply, an unsent message."""
        lost: list[str] = []
        if self.replay is not None and self.replay_open and self.replay_file:
            lost.append(f"the replay of {self.replay_file.name} (line {self.replay.position + 1})")
        elif self.busy:
            lost.append("the reply being written")
        if self.prompt.value.strip():
            lost.append("the message you are typing")
        return lost

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Replay keys only while a replay is loaded; escape stops, or else goes back."""
        replay_open = self.replay_open
        if action == "stop":
            return self._stoppable
        if action == "leave_box":
            return not self._stoppable and self._in_box
        if action == "back":
            return not self._stoppable and not self._in_box
        if action in ("run_pause", "skip"):
            return replay_open
        if action == "step":
            return replay_open and not self.busy
        if action in ("pick_model", "compare", "replay", "history"):
            return not replay_open  # they would refuse anyway: keep the footer for the replay
        return True

    async def action_new_chat(self) -> None:
        if self.busy:
            self.notify("Stop the reply first (esc)", severity="warning")
            return
        if self.threads:
            sides = [CompareSide(t.model, t.profile) for t in self.threads]
            await self._new_conversation(sides, "new conversation")

    # -- parameters --------------------------------------------------------------------------

    def action_params(self) -> None:
        params = self.query_one("#params", ChatParams)
        params.display = not params.display
        if params.display:
            params.focus_first()
        else:
            self.prompt.focus()

    @on(ChatParams.Changed)
    def _params_changed(self, event: ChatParams.Changed) -> None:
        self.settings, self._refused = event.settings, None
        self._show_summary()

    @on(ChatParams.Refused)
    def _params_refused(self, event: ChatParams.Refused) -> None:
        self._refused = event.reason
        self._show_summary()
