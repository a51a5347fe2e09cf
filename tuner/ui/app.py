"""The app shell: `make_app()`, the `TunerApp` class, global bindings, start-up, the session.

Top-level screens are Textual *modes*, one per route in `tuner.ui.routes.ROUTES`. A mode keeps
its own screen stack, so each area keeps its state while the user looks elsewhere: the browser
keeps its expanded folders and cursor, the jobs list can push a job's detail screen, and `d`
returns to the dataset exactly as it was left. Help and dialogs are pushed on top of the
current mode's stack and pop back to it.

The app owns what screens share, and screens ask for it through `TunerHost`
(`tuner.ui.app_protocol`); no screen imports another. It is assembled from parts, one job each:
`Navigation` (the ways into each screen), `ActiveProfile` (the settings and the connected
profile's facts), `JobActions` (record, move, evaluate a job; say once that it ended) and
`ConversionFlow` (a `.json` file to JSONL). This module keeps what is the app's alone: the
global keys and which of them show, the title, the notifications, the question before quitting.
"""

from __future__ import annotations

from collections import deque
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.notifications import SeverityLevel
from textual.widgets import Header
from textual.widgets._header import HeaderTitle

from tuner.config import Settings
from tuner.data.fit_text import fit_words
from tuner.data.visible_text import visible, visible_line
from tuner.ui.active_profile import ActiveProfile, resolve_active
from tuner.ui.commands import (
    ConnectionCommands,
    FileCommands,
    ScreenCommands,
    WorkCommands,
)
from tuner.ui.conversion import ConversionFlow
from tuner.ui.job_actions import JobActions
from tuner.ui.navigation import Navigation
from tuner.ui.routes import ROUTES
from tuner.ui.services import Services
from tuner.ui.session import ActiveConnection, ServiceSession

if TYPE_CHECKING:
    from tuner.ui.app_protocol import TunerHost
    from tuner.ui.moved_job import MovedJob

LIGHT_THEME = "textual-light"
DARK_THEME = "textual-dark"


def _route_bindings() -> list[BindingType]:
    """A single key for each top-level screen. Settings and Eval are left out of the footers
    (they have no room for them at 80 columns); `s` and `e` work everywhere, and help and the
    palette list them."""
    return [
        Binding(r.key, f"app.show({r.name!r})", r.label, id=r.binding_id, show=r.in_footer)
        for r in ROUTES
    ]


# Cells the header's icon (8) and clock space (10) take beside the title.
HEADER_SIDES = 18

# Notifications `TunerApp.shown_notices` remembers: plenty for a test, small for a long session.
NOTICES_KEPT = 100


class TunerApp(Navigation, ActiveProfile, JobActions, ConversionFlow, App[int]):
    """tuner's Textual app. Build it with `make_app`, which fills in the services."""

    CSS_PATH = "app.tcss"
    TITLE = "tuner"
    DEFAULT_MODE = "files"
    COMMANDS: ClassVar = App.COMMANDS | {
        FileCommands,
        WorkCommands,
        ScreenCommands,
        ConnectionCommands,
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        *_route_bindings(),
        Binding("question_mark,f1", "app.help", "Help", id="app.help"),
        Binding("q", "app.request_quit('key')", "Quit", id="app.quit"),
        Binding(
            "ctrl+q",
            "app.request_quit('ctrl')",
            "Quit",
            id="app.quit_now",
            show=False,
            priority=True,
        ),
        Binding(
            "ctrl+p",
            "app.command_palette",
            "Commands",
            id="app.command_palette",
            show=False,
            priority=True,
        ),
        Binding("ctrl+t", "app.toggle_theme", "Light/dark", id="app.toggle_theme", show=False),
        # Screens with an escape of their own (stop, back, close) take it first.
        Binding("escape", "app.leave_field", "Leave field", id="app.leave_field", show=False),
    ]

    def __init__(
        self,
        start_path: Path,
        *,
        services: Services,
        settings: Settings,
        connection: ActiveConnection,
        open_file: Path | None = None,
        start_mode: str | None = None,
    ) -> None:
        super().__init__()
        self._start_mode = start_mode
        self.start_path = start_path
        self.services = services
        self.session = ServiceSession(connection, services.open_service)
        self.routes = {r.name: r for r in ROUTES}
        self.last_dataset: Path | None = None
        self.announced: set[str] = set()  # jobs whose end the user was told about
        # The day each model stops answering, as the connected service's model list says
        # (read with the jobs list; {} until then, and the catalog decides).
        self.model_dates: dict[str, date] = {}
        # Jobs made by a move in this session, by (target profile, job id): where they came from.
        self.moves: dict[tuple[str, str], MovedJob] = {}
        self._previous_mode = self.DEFAULT_MODE
        self._open_file = open_file
        # What `notify` showed, newest last: Textual keeps no public list of it.
        self._shown_notices: deque[str] = deque(maxlen=NOTICES_KEPT)
        self.settings = settings
        self.theme = _textual_theme(self.settings.theme)
        self.sub_title = connection.label
        for r in ROUTES:
            if not r.needs_path:
                self.add_mode(r.name, self._factory(r))

    @property
    def tuner_host(self) -> TunerHost:
        """This app as what screens may ask of it (`tuner.ui.app_protocol`); returning `self`
        here is where a type checker holds the app to that Protocol."""
        return self

    # -- set-up ------------------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.settings.keys:
            self.set_keymap(dict(self.settings.keys))
        if self._open_file is not None:
            self.open_file(self._open_file)
        elif self._start_mode is not None:
            self.action_show(self._start_mode)

    async def on_unmount(self) -> None:
        await self.session.close()

    def _fatal_error(self) -> None:
        """Textual's crash report, minus local variables (they may hold keys): see `crash`."""
        from tuner.ui.crash import crash_report

        self.bell()
        self._exit_renderables.append(crash_report())
        self._close_messages_no_wait()

    def format_title(self, title: str, sub_title: str) -> Content:
        """`tuner · Files — demo · emulator`: where you are, then where you talk to.

        `title` is the title of the header's own screen: a header redrawn while another screen
        is on top (a profile saved, a form left) still names its own screen."""
        screen_title = visible_line(title) if title != self.title else None
        head = f"tuner · {screen_title}" if screen_title else "tuner"
        tail = f" — {visible_line(sub_title)}" if sub_title else ""
        # The header's icon and clock space take HEADER_SIDES cells: a narrow terminal loses
        # the last whole parts of the connection first, never half a word.
        fitted = fit_words(head + tail, max(1, self.size.width - HEADER_SIDES))
        return Content.assemble(fitted[: len(head)], (fitted[len(head) :], "dim"))

    def on_resize(self) -> None:
        """Headers fit their title to the width: a resize draws them again."""
        for header in self.screen.query(Header):
            header.query_one(HeaderTitle).update(header.format_title())

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification is plain text, its control characters shown: tuner's messages
        quote file names, model ids and the services' own errors, where `[/]` would be a markup
        error and `[@click=...]` an action. tuner writes no markup in them, so `markup` (which
        screens pass through `Widget.notify`) is not used."""
        self._shown_notices.append(visible(message))
        super().notify(
            visible(message),
            title=visible_line(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    @property
    def shown_notices(self) -> tuple[str, ...]:
        """The text of the last notifications shown (up to `NOTICES_KEPT`), oldest first, as
        drawn: what a test (or a future message log) reads to know what the user was told."""
        return tuple(self._shown_notices)

    # -- navigation --------------------------------------------------------------------------

    @property
    def typing_screen(self) -> bool:
        """True on a screen where typing is the main action (chat, the new-job form): there no
        printable key switches screens or quits, so a sentence never turns into commands."""
        return bool(getattr(self.screen, "TYPING", False))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The dataset key only once a file is open; the current screen's own key is hidden
        (it would only take footer room); no letter key acts on a typing screen."""
        if self.typing_screen and action in ("show", "help"):
            return False
        if action == "request_quit":
            return not self.typing_screen or parameters == ("ctrl",)
        if action == "show" and parameters:
            name = str(parameters[0])
            if name == "dataset" and self.last_dataset is None:
                return False
            return name != self.current_mode
        return True

    def action_keys(self) -> None:
        """Help, from a typing screen's own non-printable key (f1)."""
        self.action_help()

    def action_leave_field(self) -> None:
        """Escape leaves a text field, so the screen's single-letter keys work again."""
        from textual.widgets import Input, TextArea

        if isinstance(self.focused, Input | TextArea):
            self.screen.set_focus(None)

    async def action_request_quit(self, how: str = "key") -> None:
        """Quit, but ask first when something would be lost: a replay or upload running, a
        filled form, an unsent message."""
        from tuner.ui.modals import ConfirmModal

        pending = self.work_in_flight()
        if not pending:
            self.exit()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()

        question = "Quit now? " + "; ".join(pending) + " would be lost."
        await self.push_screen(ConfirmModal(question, title="Quit", yes="Quit"), answered)

    def work_in_flight(self) -> list[str]:
        """What every screen of every mode says it would lose on quitting now."""
        found: list[str] = []
        for mode in list(self._modes):
            try:
                stack = self.get_screen_stack(mode)
            except KeyError:
                continue
            for screen in stack:
                lose = getattr(screen, "work_in_flight", None)
                found += lose() if callable(lose) else []
        return found

    def current_file(self) -> Path | None:
        """The file the user is looking at: the browser's highlight or the open dataset."""
        getter = getattr(self.screen, "current_file", None)
        if callable(getter):
            found = getter()
            if found is not None:
                return found
        return self.last_dataset

    # -- global actions ----------------------------------------------------------------------

    def action_help(self) -> None:
        """Show the keys of the current screen (help is modal, so it never stacks on itself)."""
        from tuner.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_toggle_theme(self) -> None:
        """Flip light/dark and remember the choice in the settings file."""
        self.theme = DARK_THEME if self.theme == LIGHT_THEME else LIGHT_THEME
        self.update_settings(theme="light" if self.theme == LIGHT_THEME else "dark")


def _textual_theme(value: str | None) -> str:
    if value in (None, "", "dark"):
        return DARK_THEME
    if value == "light":
        return LIGHT_THEME
    return value


def make_app(
    start_path: Path | None = None,
    *,
    open_file: Path | None = None,
    services: Services | None = None,
    connection: ActiveConnection | None = None,
    profile: str | None = None,
    start_mode: str | None = None,
) -> TunerApp:
    """Build the app: the one factory the CLI, the tests and the screenshot script share.

    `start_path` is the folder the browser opens on (default: the current folder);
    `open_file` is opened in the dataset screen after start-up, or else `start_mode` (a top
    screen: "settings" for `tuner settings`) is shown first. Without a `connection`, the app
    resolves `profile` (or the settings' active profile) from the settings.
    Raises `ConfigError` when the settings file cannot be read.
    """
    services = services or Services()
    settings = services.settings_store.load()
    root = (start_path or Path.cwd()).resolve()
    if connection is None:
        connection = resolve_active(services, settings, profile)
    return TunerApp(
        root,
        services=services,
        settings=settings,
        connection=connection,
        open_file=open_file,
        start_mode=start_mode,
    )
