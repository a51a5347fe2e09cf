"""The app shell: `make_app()`, the `TunerApp` class, global bindings, navigation, the session.

Top-level screens are Textual *modes*, one per route in `tuner.ui.routes.ROUTES`. A mode keeps
its own screen stack, so each area keeps its state while the user looks elsewhere: the browser
keeps its expanded folders and cursor, the jobs list can push a job's detail screen, and `d`
returns to the dataset exactly as it was left. Help and dialogs are pushed on top of the
current mode's stack and pop back to it.

The app owns what screens share: navigation (`open_dataset`, `open_job`, `open_new_job`,
`open_chat`, `open_eval`), the one service session (`session`), the settings, and which
finished jobs were already announced. Screens call these; no screen imports another.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Header
from textual.widgets._header import HeaderTitle

from tuner.config import ConfigError, Profile, Settings
from tuner.config.connections import connection_label
from tuner.config.service_facts import DefaultModels, RulesFamily
from tuner.data.fit_text import fit_words
from tuner.data.visible_text import visible, visible_line
from tuner.ui.commands import (
    ConnectionCommands,
    FileCommands,
    ScreenCommands,
    WorkCommands,
)
from tuner.ui.conversion import ConversionFlow
from tuner.ui.routes import ROUTES, ScreenRoute
from tuner.ui.services import Services
from tuner.ui.session import ActiveConnection, ConnectionChanged, ServiceSession

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tuner.api.eval.targets import EvalServices
    from tuner.api.types import Capabilities, Job
    from tuner.data.catalog.lookup import Catalog
    from tuner.ui.app_protocol import TunerHost
    from tuner.ui.modals.migrate import MovedJob

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


class TunerApp(ConversionFlow, App[int]):
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
    def connection(self) -> ActiveConnection:
        """The active connection (what the title names)."""
        return self.session.active

    @property
    def tuner_host(self) -> TunerHost:
        """This app as what screens may ask of it (`tuner.ui.app_protocol`); returning `self`
        here is where a type checker holds the app to that Protocol."""
        return self

    # -- set-up ------------------------------------------------------------------------------

    def _factory(self, r: ScreenRoute, **kwargs: Any) -> Any:
        def build() -> Screen[Any]:
            cls = r.screen_class()
            if r.name == "files":
                return cls(root=self.start_path, open_folders=self.connection.demo)
            return cls(**kwargs)

        return build

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

    def action_show(self, name: str) -> None:
        """Switch to the top-level screen `name` (its mode), keeping the others' state."""
        if name == "dataset" and self.last_dataset is None:
            return
        if self.current_mode != name:
            self._previous_mode = self.current_mode
            self.switch_mode(name)

    def go_back(self) -> None:
        """Back to the screen the user came from (the browser when there is none)."""
        target = self._previous_mode if self._previous_mode != self.current_mode else "files"
        if target == "dataset" and self.last_dataset is None:
            target = "files"
        self.action_show(target)

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

    def open_dataset(self, path: Path, *, upload: bool = False) -> None:
        """Open `path` in the dataset screen: the one entry point every screen uses.

        The dataset mode is rebuilt for the new file, so `d` always returns to the last
        dataset opened. `upload`: upload the file once its check is done (as `u` there).
        """
        self.last_dataset = path.resolve()
        if self.current_mode == "dataset":
            self.switch_mode(self.DEFAULT_MODE)
        if "dataset" in self._modes:
            self.remove_mode("dataset")
        factory = self._factory(self.routes["dataset"], path=self.last_dataset, upload=upload)
        self.add_mode("dataset", factory)
        self.switch_mode("dataset")
        self.refresh_bindings()

    def open_file(self, path: Path) -> None:
        """Open `path` as what it is: a prompt file (`.txt`, one user turn a line) in chat,
        ready to replay; anything else in the dataset screen."""
        from tuner.data.data_files import is_prompt_file

        if is_prompt_file(path):
            self.open_prompt_file(path)
        else:
            self.open_dataset(path)

    def open_prompt_file(self, path: Path) -> None:
        """Chat, with the prompt file `path` loaded ready to replay (ctrl+g runs it, ctrl+n
        steps): the model is asked for first unless one was chosen in chat already."""
        from tuner.ui.screens.chat import ChatScreen

        self.action_show("chat")
        for screen in self.get_screen_stack("chat")[:1]:
            if isinstance(screen, ChatScreen):
                screen.load_prompt_file(path.resolve())

    def open_new_job(
        self,
        path: Path | None = None,
        file_id: str | None = None,
        model: str | None = None,
        epochs: int | None = None,
    ) -> None:
        """Show the new-job form (over the jobs list) for a local file and/or an uploaded id.

        `path` alone: the file is checked and uploaded on create. `file_id` (with `path` as its
        local copy, if known): the uploaded file is used and `path` only prices the estimate.
        `model` and `epochs` carry what was chosen where the user came from (None: defaults).
        """
        from tuner.ui.screens.new_job import NewJobScreen

        if self.current_mode != "jobs":
            self.switch_mode("jobs")
        self.push_screen(NewJobScreen(path=path, file_id=file_id, model=model, epochs=epochs))

    def open_job(self, job_id: str, *, just_created: bool = False) -> None:
        """Show one job, followed live, over the jobs list (in place of the form it came from)."""
        from tuner.ui.screens.job import JobScreen
        from tuner.ui.screens.new_job import NewJobScreen

        screen = JobScreen(job_id, just_created=just_created)
        if self.current_mode == "jobs" and isinstance(self.screen, NewJobScreen):
            self.switch_screen(screen)
            return
        if self.current_mode != "jobs":
            self.switch_mode("jobs")
        self.push_screen(screen)

    def open_chat(self, model: str | None = None) -> None:
        """Show the chat screen; with `model` (a fine-tuned model or checkpoint), chat with it."""
        from tuner.ui.screens.chat import ChatScreen

        self.switch_mode("chat")
        if model:
            for screen in self.get_screen_stack("chat")[:1]:
                if isinstance(screen, ChatScreen):
                    screen.use_model(model)

    def open_eval(
        self,
        *,
        file: Path | None = None,
        models: Sequence[str] = (),
        job: str | None = None,
        profile: str | None = None,
        note: str | None = None,
    ) -> None:
        """Show the Eval screen, its setup starting from `file`, `models` (`MODEL@PROFILE`, the
        first the baseline) and `job` on `profile` (its validation file, fetched when run, is
        the file unless one is given); `note` is said above the setup. The one way in: `e` on a
        JSONL, `E` on a job, a moved job."""
        from tuner.ui.screens.eval import EvalScreen

        self.action_show("eval")
        for screen in self.get_screen_stack("eval")[:1]:
            if isinstance(screen, EvalScreen):
                screen.preset(file=file, models=models, job=job, profile=profile, note=note)

    def evaluate_job(self, job: Job) -> None:
        """The Eval screen on `job`'s fine-tune, on the job's validation file: against the
        model it was moved from when a move made it (is the copy as good?), else against its
        base (did training help?)."""
        from tuner.api.eval.targets import target_label

        if self._no_model_yet(job, "evaluate"):
            return
        assert job.fine_tuned_model is not None
        profile = self.profile.name if self.profile is not None else None
        tuned = target_label(job.fine_tuned_model, profile)
        moved = self.move_origin(profile, job.id)
        if moved is not None and moved.source_job and moved.source_model:
            old = target_label(moved.source_model, moved.source_profile)
            note = f"The model {job.id} was moved from, against the copy: on the validation file"
            self.open_eval(
                models=(old, tuned), job=moved.source_job, profile=moved.source_profile, note=note
            )
            return
        note = None
        if not job.validation_file:
            note = (
                f"{job.id} was trained without a validation file: type the path of a held-out "
                "file, or p picks one (tuner split makes one)"
            )
        base = target_label(job.model, profile)
        self.open_eval(models=(base, tuned), job=job.id, profile=profile, note=note)

    def move_job(self, job_id: str) -> None:
        """ "Move to another service…" (`m` on the jobs list and the job screen): the job's
        data and settings to another profile's service, converted for its rules, both costs
        shown before anything is sent; then the new job is watched on its profile."""
        from tuner.ui.modals.migrate import MigrateModal

        source_profile = self.profile.name if self.profile is not None else None
        if not [name for name in self.settings.profiles if name != source_profile]:
            self.notify(
                "Moving needs a second profile (another service): add one in settings (s)",
                severity="warning",
            )
            return

        def moved(result: MovedJob | None) -> None:
            # Whether the copy is as good as the original can only be measured once it has
            # trained: the new job's screen offers it then (`E`), with this job's model and
            # validation file.
            if result is None:
                return
            self.remember_move(dataclasses.replace(result, source_profile=source_profile))
            self.switch_profile(result.profile)
            self.open_job(result.job_id, just_created=True)
            if result.source_model:
                self.notify(
                    f"Once {result.job_id} has trained, E on its screen evaluates the old model "
                    "against the new one on the validation file",
                    timeout=15,
                    markup=False,
                )

        self.push_screen(MigrateModal.for_app(self, job_id), moved)

    def record_answers(self, job: Job) -> None:
        """`r` on a fine-tune: its replies to the job's validation file kept as a golden file
        in the browser's folder, before the model stops answering."""
        from tuner.ui.modals.record import RecordModal

        if self._no_model_yet(job, "record"):
            return
        profile = self.profile.name if self.profile is not None else None
        self.push_screen(RecordModal(job, profile, self.start_path))

    def _no_model_yet(self, job: Job, doing: str) -> bool:
        """True (and said) when `job` has made no model to `doing` yet."""
        if job.fine_tuned_model:
            return False
        self.notify(
            f"{job.id} has no fine-tuned model ({job.status.words}): {doing} it once it has "
            "succeeded",
            severity="warning",
        )
        return True

    def remember_move(self, moved: MovedJob) -> None:
        """A move made here: its new job is measured against the model it came from (`E`)."""
        self.moves[(moved.profile, moved.job_id)] = moved

    def move_origin(self, profile: str | None, job_id: str) -> MovedJob | None:
        """Where `job_id` on `profile` was moved from, when a move in this session made it."""
        return self.moves.get((profile or "", job_id))

    def eval_services(self) -> EvalServices:
        """The services an evaluation talks to, opened as the app opens its own (the settings
        store's keys, `services.open_service`): one per profile it uses, closed by its user."""
        from tuner.api.eval.targets import EvalServices

        services = self.services
        return EvalServices(
            self.settings,
            resolve=services.settings_store.resolve,
            opener=services.open_service,
            catalog=services.catalog,
        )

    def current_file(self) -> Path | None:
        """The file the user is looking at: the browser's highlight or the open dataset."""
        getter = getattr(self.screen, "current_file", None)
        if callable(getter):
            found = getter()
            if found is not None:
                return found
        return self.last_dataset

    # -- finished jobs -----------------------------------------------------------------------

    def announce_finished(self, job: Job, *, offer_chat: bool = True) -> bool:
        """Tell the user (once per job) that `job` ended: a notification and the bell.

        The bell reaches a user in another tmux window; the notification says what happened.
        Returns False when this job was already announced.
        """
        from tuner.api.jobs.watch import finished_summary
        from tuner.api.types import JobStatus

        if job.id in self.announced:
            return False
        self.announced.add(job.id)
        needs_deployment = self.needs_deployment
        message = finished_summary(job, needs_deployment=needs_deployment)
        if job.status is JobStatus.SUCCEEDED and offer_chat and not needs_deployment:
            message += " — open the job and press o to chat with it"
        severity = {JobStatus.SUCCEEDED: "information", JobStatus.FAILED: "error"}.get(
            job.status, "warning"
        )
        self.notify(message, title="Fine-tuning job finished", severity=severity, timeout=15)  # type: ignore[arg-type]
        self.bell()
        return True

    @property
    def capabilities(self) -> Capabilities | None:
        """What the connected service can do (None without a usable connection): the open
        service's own, else what its connection says, without opening it (the SDK's import
        would hold the screen asking for a second)."""
        from tuner.api.open import service_capabilities

        if self.session.problem is not None or self.connection.connection is None:
            return None
        opened = self.session.current
        if opened is not None:
            return opened.capabilities
        return service_capabilities(self.connection.connection)

    @property
    def needs_deployment(self) -> bool:
        """Whether the connected service serves a fine-tuned model only once it is deployed
        (Azure): read from the connection, so asking never opens the service."""
        connection = self.connection.connection
        return connection is not None and connection.facts.models_need_deployment

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

    # -- settings and connection -------------------------------------------------------------

    def update_settings(self, **changes: Any) -> None:
        """Change settings fields and save them; a failure to save is shown, not raised."""
        self.save_settings(dataclasses.replace(self.settings, **changes))

    def save_settings(self, settings: Settings) -> bool:
        """Adopt `settings` and write them; say so (and return False) if writing fails."""
        from tuner.ui.failures import describe_error

        self.settings = settings
        try:
            self.services.settings_store.save(settings)
        except (OSError, ConfigError) as exc:
            self.notify(f"Settings not saved: {describe_error(exc)}", severity="error")
            return False
        return True

    def switch_profile(self, name: str) -> None:
        """Make profile `name` the active one (persisted) and show it in the title."""
        if name not in self.settings.profiles:
            self.notify(f"No profile named {name}", severity="error")
            return
        self.update_settings(active_profile=name)
        self.set_connection(resolve_active(self.services, self.settings, name))
        self.notify(f"Active profile: {self.connection.label}")

    def refresh_connection(self) -> None:
        """Re-resolve the active profile after the settings changed."""
        self.set_connection(resolve_active(self.services, self.settings, None))

    def set_connection(self, connection: ActiveConnection) -> None:
        """Use `connection` from now on (the old service is closed) and show it in the title.

        Screens that list things from the service see `session.generation` change and re-read
        when they are shown again."""
        before = self._data_identity()
        self.session.switch(connection)
        self.model_dates = {}
        self.run_worker(self.session.close_retired(), group="session", exit_on_error=False)
        self.sub_title = connection.label
        if self._data_identity() != before:
            for screen in self.screen_stack:
                screen.post_message(ConnectionChanged())

    def _data_identity(self) -> tuple[str, str | None]:
        """What the data screens' figures depend on: the rules and the profile (its catalog)."""
        profile = self.profile
        return self.data_rules, profile.name if profile is not None else None

    # -- the active service's models ---------------------------------------------------------

    @property
    def profile(self) -> Profile | None:
        """The profile the app is connected with (`--profile`, else the active one)."""
        connection = self.connection.connection
        name = connection.profile_name if connection is not None else None
        return self.settings.profiles.get(name or "") or self.settings.profile()

    def catalog(self) -> Catalog:
        """The models of the connected service (OpenAI's or Together's table) with the user's
        overrides: what the estimates, the form and the price table use."""
        profile = self.profile
        return self.services.catalog(self.settings, profile.name if profile else None)

    @property
    def data_rules(self) -> str:
        """Whose data rules files are checked by: the connected service's (Together's for a
        Together profile, else OpenAI's, which Azure and compatible hosts share)."""
        profile = self.profile
        return profile.facts.rules if profile is not None else RulesFamily.OPENAI

    @property
    def default_model(self) -> str:
        """The base model estimates and new jobs start from on the connected service: the
        profile's own, else the global one on an OpenAI-shaped service, else the service
        catalog's default (OpenAI's default model does not train on Together)."""
        profile = self.profile
        if profile is not None and profile.default_model:
            return profile.default_model
        if profile is None or profile.facts.default_models is DefaultModels.SETTINGS:
            return self.settings.default_model
        return self.catalog().default_model

    def set_default_model(self, model: str) -> None:
        """Save `model` as the default: the profile's own on a service other than OpenAI's
        shape (or when the profile already has one), else the global setting."""
        profile = self.profile
        own = profile is not None and profile.facts.default_models is DefaultModels.CATALOG
        if profile is not None and (profile.default_model or own):
            updated = dataclasses.replace(profile, default_model=model)
            self.save_settings(self.settings.with_profile(updated))
        else:
            self.update_settings(default_model=model)
        self.notify(f"Default base model for estimates: {model}")


def _textual_theme(value: str | None) -> str:
    if value in (None, "", "dark"):
        return DARK_THEME
    if value == "light":
        return LIGHT_THEME
    return value


def resolve_active(services: Services, settings: Settings, profile: str | None) -> ActiveConnection:
    """The connection for `profile` (else the active one) and its title label.

    The label names the profile, the service and where its key comes from, never the key; an
    unusable profile gives a connection-less state whose `problem` the screens can show.
    """
    try:
        connection = services.settings_store.resolve(settings, profile)
    except ConfigError as exc:
        return ActiveConnection(label="no profile", problem=str(exc), demo=services.demo)
    named = settings.profile(profile)
    name = named.name if named is not None else "no profile"
    label = connection_label(name, connection, demo=services.demo)
    return ActiveConnection(label=label, connection=connection, demo=services.demo)


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
