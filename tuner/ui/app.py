"""The app shell: `make_app()`, the `TunerApp` class, global bindings and screen switching.

Top-level screens are Textual *modes*, one per route in `tuner.ui.screens.ROUTES`. A mode keeps
its own screen stack, so each area keeps its state while the user looks elsewhere: the browser
keeps its expanded folders and cursor, the jobs list can push a job's detail screen, and `d`
returns to the dataset exactly as it was left. Help and dialogs are pushed on top of the
current mode's stack and pop back to it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen

from tuner.config import ConfigError, Settings
from tuner.ui.commands import (
    ConnectionCommands,
    FileCommands,
    ScreenCommands,
    WorkCommands,
)
from tuner.ui.screens import ROUTES, ScreenRoute
from tuner.ui.services import ActiveConnection, Services

LIGHT_THEME = "textual-light"
DARK_THEME = "textual-dark"


def _route_bindings() -> list[BindingType]:
    return [Binding(r.key, f"app.show({r.name!r})", r.label, id=r.binding_id) for r in ROUTES]


class TunerApp(App[int]):
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
        Binding("q", "app.quit", "Quit", id="app.quit"),
        Binding("ctrl+q", "app.quit", "Quit", id="app.quit_now", show=False, priority=True),
        Binding(
            "ctrl+p",
            "app.command_palette",
            "Commands",
            id="app.command_palette",
            show=False,
            priority=True,
        ),
        Binding("ctrl+t", "app.toggle_theme", "Light/dark", id="app.toggle_theme", show=False),
    ]

    def __init__(
        self,
        start_path: Path,
        *,
        services: Services,
        settings: Settings,
        connection: ActiveConnection,
        open_file: Path | None = None,
        routes: tuple[ScreenRoute, ...] = ROUTES,
    ) -> None:
        super().__init__()
        self.start_path = start_path
        self.services = services
        self.connection = connection
        self.routes = {r.name: r for r in routes}
        self.last_dataset: Path | None = None
        self._open_file = open_file
        self.settings = settings
        self.theme = _textual_theme(getattr(self.settings, "theme", None))
        self.sub_title = connection.label
        for r in routes:
            if r.available and not r.needs_path:
                self.add_mode(r.name, self._factory(r))

    # -- set-up ------------------------------------------------------------------------------

    def _factory(self, r: ScreenRoute, **kwargs: Any) -> Any:
        def build() -> Screen[Any]:
            cls = r.screen_class()
            if r.name == "files":
                return cls(root=self.start_path)
            return cls(**kwargs)

        return build

    def on_mount(self) -> None:
        if self.settings.keys:
            self.set_keymap(dict(self.settings.keys))
        if self._open_file is not None:
            self.open_dataset(self._open_file)

    def format_title(self, title: str, sub_title: str) -> Content:
        """`tuner · Files — demo · emulator`: where you are, then where you talk to."""
        screen_title = self.screen.title if self.screen.title != self.title else None
        head = f"tuner · {screen_title}" if screen_title else "tuner"
        return Content.assemble(head, (f" — {sub_title}", "dim") if sub_title else "")

    # -- the screen registry -----------------------------------------------------------------

    def route_available(self, name: str) -> bool:
        """True when the screen `name` exists in this build (and, for the dataset, is open)."""
        r = self.routes.get(name)
        if r is None or not r.available:
            return False
        return not r.needs_path or self.last_dataset is not None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide keys of screens that do not exist yet: no footer entry, no placeholder."""
        if action == "show" and parameters:
            # The current screen's own key is hidden: it would only take footer room.
            name = str(parameters[0])
            return self.route_available(name) and name != self.current_mode
        return True

    def action_show(self, name: str) -> None:
        """Switch to the top-level screen `name` (its mode), keeping the others' state."""
        if not self.route_available(name):
            return
        if self.current_mode != name:
            self.switch_mode(name)

    def open_dataset(self, path: Path) -> None:
        """Open `path` in the dataset screen: the one entry point every screen uses.

        The dataset mode is rebuilt for the new file, so `d` always returns to the last
        dataset opened.
        """
        r = self.routes.get("dataset")
        if r is None or not r.available:
            self.notify(f"Cannot open {path.name}: no dataset screen", severity="error")
            return
        self.last_dataset = path.resolve()
        if self.current_mode == "dataset":
            self.switch_mode(self.DEFAULT_MODE)
        if "dataset" in self._modes:
            self.remove_mode("dataset")
        self.add_mode("dataset", self._factory(r, path=self.last_dataset))
        self.switch_mode("dataset")
        self.refresh_bindings()

    def open_new_job(self, path: Path | None = None, file_id: str | None = None) -> None:
        """Show the new-job form (in the jobs screen) for a local file and/or an uploaded id."""
        from tuner.ui.screens.new_job import open_new_job

        open_new_job(self, path=path, file_id=file_id)

    def open_job(self, job_id: str) -> None:
        """Show one job, followed live, on top of the jobs list."""
        from tuner.ui.screens.job import open_job

        open_job(self, job_id)

    def open_chat(self, model: str | None = None) -> None:
        """Show the chat screen; with `model` (a fine-tuned model or checkpoint), chat with it."""
        if not self.route_available("chat"):
            self.notify("No chat screen in this build", severity="error")
            return
        self.switch_mode("chat")
        if model:
            for screen in self.get_screen_stack("chat")[:1]:
                use_model = getattr(screen, "use_model", None)
                if callable(use_model):
                    use_model(model)

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

    # -- settings and connection -------------------------------------------------------------

    def update_settings(self, **changes: Any) -> None:
        """Change settings fields and save them; a failure to save is shown, not raised."""
        self.save_settings(dataclasses.replace(self.settings, **changes))

    def save_settings(self, settings: Settings) -> bool:
        """Adopt `settings` and write them; say so (and return False) if writing fails."""
        self.settings = settings
        try:
            self.services.settings_store.save(settings)
        except OSError as exc:
            self.notify(f"Settings not saved: {exc}", severity="error")
            return False
        return True

    def switch_profile(self, name: str) -> None:
        """Make profile `name` the active one (persisted) and show it in the status line."""
        if self.connection.demo:
            self.notify("The demo always talks to the built-in emulator", severity="warning")
            return
        profile = self.settings.profiles.get(name)
        if profile is None:
            self.notify(f"No profile named {name}", severity="error")
            return
        self.update_settings(active_profile=name)
        self.set_connection(resolve_active(self.services, self.settings, name))
        self.notify(f"Active profile: {name}")

    def refresh_connection(self) -> None:
        """Re-resolve the active profile after the settings changed (the demo keeps its own)."""
        if not self.connection.demo:
            self.set_connection(resolve_active(self.services, self.settings, None))

    def set_connection(self, connection: ActiveConnection) -> None:
        """Use `connection` from now on and show it in the status line."""
        self.connection = connection
        self.sub_title = connection.label

    def set_default_model(self, model: str) -> None:
        self.update_settings(default_model=model)
        self.notify(f"Default base model: {model}")


def _textual_theme(value: str | None) -> str:
    if value in (None, "", "dark"):
        return DARK_THEME
    if value == "light":
        return LIGHT_THEME
    return value


def resolve_active(services: Services, settings: Settings, profile: str | None) -> ActiveConnection:
    """The connection for `profile` (else the active one) and its status-line label.

    The label names the profile and where its key comes from, never the key; an unusable
    profile gives a connection-less state whose `problem` the screens can show.
    """
    try:
        connection = services.settings_store.resolve(settings, profile)
    except ConfigError as exc:
        return ActiveConnection(label="no profile", problem=str(exc))
    named = settings.profile(profile)
    name = named.name if named is not None else "no profile"
    kind = f" · {connection.kind}" if connection.kind != "openai" else ""
    if connection.api_key is None:
        key = " · no key"
    elif connection.key_origin == "env":
        key = " · key from env"
    else:
        key = ""
    return ActiveConnection(label=f"{name}{kind}{key}", connection=connection)


def make_app(
    start_path: Path | None = None,
    *,
    open_file: Path | None = None,
    services: Services | None = None,
    connection: ActiveConnection | None = None,
    profile: str | None = None,
    routes: tuple[ScreenRoute, ...] = ROUTES,
) -> TunerApp:
    """Build the app: the one factory the CLI, the tests and the screenshot script share.

    `start_path` is the folder the browser opens on (default: the current folder);
    `open_file` is opened in the dataset screen after start-up. Without a `connection`, the
    app resolves `profile` (or the settings' active profile) from the settings.
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
        routes=routes,
    )
