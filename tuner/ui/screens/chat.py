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

Keys: enter sends · esc stops a reply or replay (partial text kept, marked "stopped"), else
leaves the message box, and a second esc goes back ·
ctrl+o model · ctrl+b compare · ctrl+r replay a file, then ctrl+g run/pause, ctrl+n step,
ctrl+s skip · f2 parameters · ctrl+l past conversations · ctrl+y export · f5 new conversation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal
from textual.message import Message
from textual.widgets import Footer, Header, Input
from textual.worker import Worker

from tuner.api.chat.replay import ReplayEvent, ReplayState, TranscriptUnsaved
from tuner.api.chat.session import ChatSettings, ChatThread, Comparison, compare_threads, lockstep
from tuner.api.chat.transcripts import CompareSide
from tuner.api.retry import RetryPolicy
from tuner.data.fit_text import fit_words, short_path
from tuner.data.wording import plural
from tuner.ui.chat_profiles import ChatProfiles
from tuner.ui.failures import describe_error, failed_worker
from tuner.ui.outside import CONTROLS_SHOWN, outside_line
from tuner.ui.tuner_screen import TunerScreen
from tuner.ui.typing_screen import TypingScreen
from tuner.ui.widgets.chat_pane import ChatPane
from tuner.ui.widgets.chat_params import ChatParams
from tuner.ui.widgets.fitted_line import FittedLine
from tuner.ui.widgets.replay_status import ReplayStatus

if TYPE_CHECKING:
    from tuner.api.chat.compare import ReplayGroup
    from tuner.api.service import FineTuningService
    from tuner.ui.modals.export_chat import Exported
    from tuner.ui.modals.pick_model import ModelChoice

# Below this width two columns are too narrow to read: compare stacks them.
SIDE_BY_SIDE_MIN_WIDTH = 110
_OPEN = (ReplayState.READY, ReplayState.RUNNING, ReplayState.PAUSED)


@dataclass
class SendingEnded(Message):
    """The worker driving a send or a replay has stopped (done, paused, stopped or failed)."""


class ChatScreen(TypingScreen, TunerScreen[None]):
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

    def __init__(self, model: str | None = None) -> None:
        super().__init__()
        self.settings = ChatSettings()
        self.threads: list[ChatThread] = []
        self.active: ReplayGroup | None = None  # the group the worker is driving now
        self.replay: ReplayGroup | None = None  # the prompt file loaded, until done/stopped
        self.replay_file: Path | None = None
        self.retry = RetryPolicy(attempts=4, base=1.0, cap=20.0)
        self._pending_model = model
        self._worker: Worker[None] | None = None
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
        yield FittedLine(id="summary")
        with Horizontal(id="body"):
            with Container(id="columns"):
                yield ChatPane(catalog, id="primary")
                yield ChatPane(catalog, id="secondary")
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
    def panes(self) -> list[ChatPane]:
        """The panes in use: one, or two when comparing."""
        panes = [self.query_one("#primary", ChatPane), self.query_one("#secondary", ChatPane)]
        return panes[: max(1, len(self.threads))]

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
        """Name each column's profile in its title when the columns' profiles differ, or a
        column is not on the active profile (a conversation continued from another one)."""
        profiles = [thread.profile for thread in self.threads]
        named = len(set(profiles)) > 1 or not all(map(self.profiles.is_active, profiles))
        for pane, profile in zip(self.panes, profiles, strict=False):
            pane.name_profile(profile if named else None)

    def on_resize(self) -> None:
        self._arrange()

    def _arrange(self) -> None:
        columns = self.query_one("#columns")
        columns.set_class(self.size.width < SIDE_BY_SIDE_MIN_WIDTH, "-stacked")
        columns.set_class(len(self.threads) > 1, "-compare")

    def _show_summary(self) -> None:
        if self._refused:
            self.query_one("#summary", FittedLine).update(
                outside_line(
                    f"⚠ {self._refused}: not used, still {self.settings.summary()} · f2 edits"
                )
            )
            return
        system = self.settings.system_prompt
        shown = fit_words(" ".join(system.split()), 40) if system else "none"
        self.query_one("#summary", FittedLine).update(
            outside_line(f"{self.settings.summary()} · system: {shown} · f2 edits")
        )

    @property
    def status_line(self) -> ReplayStatus:
        return self.query_one(ReplayStatus)

    def _show_status(self) -> None:
        self.status_line.redraw()

    # -- connection and client ---------------------------------------------------------------

    def _connection_problem(self) -> str | None:
        return self.tuner.session.problem

    async def _check_connection(self) -> None:
        problem = self._connection_problem()
        self.prompt.disabled = problem is not None
        primary = self.query_one("#primary", ChatPane)
        if problem is not None:
            if not primary.has_class("-no-connection"):
                primary.add_class("-no-connection")
                await primary.reset(None)
                await primary.note(problem, error=True)
        elif primary.has_class("-no-connection"):
            primary.remove_class("-no-connection")
            await primary.reset(None, "connected: ctrl+o picks a model")

    @property
    def active_profile(self) -> str | None:
        return self.profiles.active

    def service_for(self, profile: str | None) -> FineTuningService:
        """The service of `profile` (see `ChatProfiles.service`)."""
        return self.profiles.service(profile)

    async def release_services(self, *, keep_none: bool = False) -> None:
        """Close the other profiles' services no column uses (all of them when the screen
        goes): a comparison across services never leaks one."""
        await self.profiles.release([] if keep_none else [t.profile for t in self.threads])

    async def on_unmount(self) -> None:
        await self.release_services(keep_none=True)

    def _service_or_none(self, profile: str | None = None) -> FineTuningService | None:
        """The service of `profile` (the active one by default), or None (reason shown)."""
        from tuner.api.errors import ServiceError

        try:
            return self.service_for(profile)
        except ServiceError as exc:
            self.notify(exc.message, severity="error")
            return None

    # -- conversations -----------------------------------------------------------------------

    def _side(self, model: str, profile: str | None = None) -> CompareSide:
        """`model` on `profile` (the active profile when None)."""
        return CompareSide(model, profile or self.active_profile)

    async def _new_conversation(
        self, sides: list[CompareSide], note: str | None = None, *, threads: Any = None
    ) -> None:
        """Fresh threads (and panes) for `sides`; what was said before stays on disk.
        `threads` are ready-made ones for them (a saved conversation continued)."""
        self.replay = None
        self.replay_file = None
        self.status_line.load(None, None)
        if threads is None and len(sides) > 1:
            title = f"compare: {sides[0].model} vs {sides[1].model}"
            threads = compare_threads(sides, title=title)
        elif threads is None:
            threads = [ChatThread(sides[0].model, profile=sides[0].profile)]
        panes = [self.query_one("#primary", ChatPane), self.query_one("#secondary", ChatPane)]
        for pane, side in zip(panes, sides, strict=False):
            await pane.reset(side.model, note, catalog=self.profiles.catalog(side.profile))
        self.threads = threads  # only now: a turn sent before the reset would be wiped by it
        self._name_profiles()
        await self.release_services()
        self._arrange()
        self._show_status()
        self.refresh_bindings()
        self.prompt.focus()  # a new conversation starts with typing

    def use_model(self, model: str) -> None:
        """Chat with `model` (from `app.open_chat`): a new conversation, or on mount."""
        self._model_picked = True
        if not self.is_mounted:
            self._pending_model = model
            return
        self.run_worker(self._new_conversation([self._side(model)]), group="chat-ui")

    @property
    def busy(self) -> bool:
        """True from the moment a send is scheduled until its worker has finished."""
        return self._worker is not None and not self._worker.is_finished

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
        """One replay of `lines` per column, each on its own profile's service, in lockstep."""
        services = [self._service_or_none(thread.profile) for thread in self.threads]
        if any(service is None for service in services):
            return None
        replays = [
            thread.replay(
                service, lines, self.settings, on_event=self._listener(i), retry=self.retry
            )
            for i, (thread, service) in enumerate(zip(self.threads, services, strict=True))
        ]
        return lockstep(self.threads, replays, on_state=lambda _state: self._show_status())

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
        self._worker = self._run_group(group, step)
        self.refresh_bindings()
        self._show_status()

    @work(exclusive=True, group="chat-stream", exit_on_error=False)
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
        self.status_line.settled()
        self.refresh_bindings()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Failures only (a reply's service errors are shown in its pane, not here)."""
        worker = failed_worker(event)
        if worker is None:
            return
        message = describe_error(worker.error)
        self.notify(f"The chat stopped: {message}", severity="error")

    # -- replay ------------------------------------------------------------------------------

    def _default_prompt_file(self) -> Path | None:
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

    def action_replay(self) -> None:
        """Pick a prompt file and replay it into the conversation, line by line."""
        from tuner.ui.modals.pick_file import PickFileModal

        if not self._can_send():
            return
        if self.replay is not None and self.replay.state in _OPEN:
            self.notify("A replay is loaded: esc stops it first", severity="warning")
            return
        modal = PickFileModal(self.tuner.start_path, default=self._default_prompt_file())
        self.app.push_screen(modal, self.start_replay)

    def load_prompt_file(self, path: Path) -> None:
        """Load `path` ready to replay (from the browser): the model is asked for first when
        none was chosen here yet; ctrl+g then runs it, ctrl+n steps."""
        if not self.is_mounted:
            self._pending_prompt_file = path
            return
        self.run_worker(self._load_prompt_file(path), group="chat-ui")

    async def _load_prompt_file(self, path: Path) -> None:
        from tuner.ui.modals.pick_model import PickModelModal

        if self.replay is not None and self.replay.state in _OPEN:
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

    def start_replay(self, path: Path | None, *, run: bool = True) -> None:
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
        self.replay, self.replay_file = group, path
        self.status_line.load(group, path)
        if run:
            self._drive(group, step=False)
        else:
            self.refresh_bindings()
            self._show_status()

    def action_run_pause(self) -> None:
        replay = self.replay
        if replay is None:
            return
        if replay.busy:
            replay.pause()
            self.status_line.note("pausing after this line")
        elif replay.state in (ReplayState.READY, ReplayState.PAUSED) and not self.busy:
            self._drive(replay, step=False)

    def action_step(self) -> None:
        replay = self.replay
        paused = replay is not None and replay.state in (ReplayState.READY, ReplayState.PAUSED)
        if replay is not None and paused and not self.busy:
            self._drive(replay, step=True)

    def action_skip(self) -> None:
        if self.replay is not None and self.replay.state in _OPEN:
            self.replay.skip()
            self._show_status()

    @property
    def _stoppable(self) -> bool:
        """A reply streaming, or a replay loaded: what escape stops."""
        replay_open = self.replay is not None and self.replay.state in _OPEN
        return replay_open or (self.active is not None and self.busy)

    def action_stop(self) -> None:
        """Stop the reply or replay in flight; the cursor stays in the message box."""
        if self.active is not None and self.busy:
            self.active.stop()
        if self.replay is not None and self.replay.state in _OPEN:
            self.replay.stop()
        self._show_status()
        self.refresh_bindings()

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
        if self.replay is not None and self.replay.state in _OPEN and self.replay_file:
            lost.append(f"the replay of {self.replay_file.name} (line {self.replay.position + 1})")
        elif self.busy:
            lost.append("the reply being written")
        if self.prompt.value.strip():
            lost.append("the message you are typing")
        return lost

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Replay keys only while a replay is loaded; escape stops, or else goes back."""
        replay_open = self.replay is not None and self.replay.state in _OPEN
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

    # -- models and compare ------------------------------------------------------------------

    def _loader(self) -> Callable[[], Any] | None:
        return self.profiles.models if self._connection_problem() is None else None

    def action_pick_model(self) -> None:
        from tuner.ui.modals.pick_model import PickModelModal

        if self.busy:
            self.notify("Wait for the reply, or press esc to stop it", severity="warning")
            return
        current = self.threads[0].model if self.threads else None
        self.app.push_screen(
            PickModelModal(
                self._loader(),
                current=current,
                title="Chat with",
                note=self.profiles.retirement_note(),
            ),
            self._model_chosen,
        )

    async def _model_chosen(self, choice: ModelChoice | None) -> None:
        if choice is None or not choice.model:
            return
        self._model_picked = True
        others = [CompareSide(t.model, t.profile) for t in self.threads[1:]]
        sides = [self._side(choice.model), *others]
        note = "new conversation" if len(sides) == 1 else "new comparison"
        await self._new_conversation(sides, note)

    def action_compare(self) -> None:
        """Add a second model (both get every turn from now on), or go back to one."""
        from tuner.ui.modals.pick_model import PickModelModal

        if self.busy or (self.replay is not None and self.replay.state in _OPEN):
            self.notify("Stop the reply or replay first (esc)", severity="warning")
            return
        if len(self.threads) > 1:
            first = self.threads[0]
            self.run_worker(
                self._new_conversation([self._side(first.model, first.profile)]), group="chat-ui"
            )
            self.notify("Compare off: a new conversation with one model")
            return
        if not self.threads:
            self.notify("Pick a model first: ctrl+o", severity="warning")
            return
        first = self.threads[0]
        active = self.active_profile
        self.app.push_screen(
            PickModelModal(
                self._loader(),
                title=f"Compare {first.model} with",
                note=self.profiles.retirement_note(),
                profile=active,
                label=self.profiles.label(active),
                others=self.profiles.others(),
            ),
            self._compare_chosen,
        )

    async def compare_with(self, model: str, profile: str | None = None) -> None:
        """Compare the current model with `model` of `profile` (None: the active profile)."""
        if self.threads:
            first = self.threads[0]
            sides = [self._side(first.model, first.profile), self._side(model, profile)]
            await self._new_conversation(sides, "compare: every turn goes to both models")

    async def _compare_chosen(self, choice: ModelChoice | None) -> None:
        if choice is not None and choice.model:
            await self.compare_with(choice.model, choice.profile)
        else:
            await self.release_services()  # a profile's models listed, none taken

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
        if params.display:
            params.display = False
            self.prompt.focus()
            return
        params.display = True
        params.focus_first()

    @on(ChatParams.Changed)
    def _params_changed(self, event: ChatParams.Changed) -> None:
        self.settings = event.settings
        self._refused = None
        self._show_summary()

    @on(ChatParams.Refused)
    def _params_refused(self, event: ChatParams.Refused) -> None:
        self._refused = event.reason
        self._show_summary()

    # -- past conversations and export -------------------------------------------------------

    def action_history(self) -> None:
        from tuner.ui.modals.transcripts import TranscriptsModal

        if self.busy or (self.replay is not None and self.replay.state in _OPEN):
            self.notify("Stop the reply or replay first (esc)", severity="warning")
            return
        self.app.push_screen(TranscriptsModal(), self.reopen)

    async def reopen(self, path: Path | None) -> None:
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
        header = transcript.header
        self.settings = ChatSettings.of_transcript(header)
        self.query_one("#params", ChatParams).load(self.settings)
        self._show_summary()
        if transcript.compared:
            threads = Comparison.resume(transcript).threads
        else:
            threads = [ChatThread.resume(transcript)]
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

    def _export_thread(self) -> ChatThread | None:
        if len(self.threads) > 1 and self.query_one("#secondary", ChatPane).has_focus_within:
            return self.threads[1]
        return self.threads[0] if self.threads else None

    def action_export(self) -> None:
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

    def _exported(self, result: Exported | None) -> None:
        if result is not None:
            where = f"Exported {plural(result.examples, 'example')} to {short_path(result.path)}"
            if self.tuner.connection.demo:
                where += " (the demo's folder goes when you quit: copy it to keep it)"
            self.notify(where, timeout=15)
            self.tuner.open_dataset(result.path)
