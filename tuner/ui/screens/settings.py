"""Settings: connection profiles (with a masked key and a connection test), model and prices.

The profile list marks the one in use (` •`) and starts on it; enter on another profile (or
ctrl+o) switches to it, as the palette's "Switch profile" does, and a switch made elsewhere
shows here the next time the screen is seen.

Everything is saved through the app's `SettingsStore`: the settings file for profiles, the
default model and price overrides, the 0600 secrets file for keys. A key typed here is saved
and cleared from the form at once; the screen only ever says whether a key exists.

The form itself is `ProfileForm`: the screen sets the profile it shows (`form.profile`), and
the form's fields follow it and the kind chosen.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import partial
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import (
    Button,
    DataTable,
    Footer,
    Header,
    Input,
    Label,
    ListItem,
    ListView,
    Select,
    TabbedContent,
    TabPane,
)

from tuner.config import ConfigError, Profile, Secret, Settings
from tuner.ui.failures import WorkFailed, describe_error, fails_as
from tuner.ui.modals import ConfirmModal, PromptModal
from tuner.ui.outside import outside, outside_line
from tuner.ui.services import with_price_override
from tuner.ui.session import ConnectionChanged
from tuner.ui.tuner_screen import TunerScreen
from tuner.ui.widgets.profile_form import ProfileForm


@dataclass
class ConnectionTested(Message):
    """What the connection test found (a count of models, or why there is no key)."""

    text: str


class ConnectionTestFailed(WorkFailed):
    """The connection test could not list models (refused, unreachable): the form says why."""

    DOING = "test the connection"


def format_price(price: float | None) -> str:
    return "—" if price is None else f"${price:,.2f}"


class SettingsScreen(TunerScreen[None]):
    """Edit profiles, the default base model and training price overrides."""

    CSS_PATH = "settings.tcss"
    TITLE = "Settings"
    AUTO_FOCUS = "#profiles"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+o", "use_profile", "Use profile", id="settings.use"),
        Binding("ctrl+s", "save_profile", "Save", id="settings.save"),
        Binding("ctrl+n", "new_profile", "New", id="settings.new"),
        Binding("ctrl+d", "delete_profile", "Delete", id="settings.delete", show=False),
        Binding("1", "tab('profiles-tab')", "Profiles", id="settings.tab_profiles", show=False),
        Binding("2", "tab('models-tab')", "Models", id="settings.tab_models", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._listed_for: object = None  # what the profile list was drawn for (`_list_state`)

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        with TabbedContent(id="tabs"):
            with TabPane("Profiles", id="profiles-tab"), Horizontal():
                with Vertical(id="profile-list"):
                    yield ListView(id="profiles")
                    yield Button("New", id="new", compact=True)
                    yield Button("Delete", id="delete", variant="error", compact=True)
                yield ProfileForm(
                    self._key_state, demo=self.tuner.connection.demo, id="profile-form"
                )
            with TabPane("Model & prices", id="models-tab"), Vertical():
                with Horizontal(classes="row"):
                    yield Label("Default model", classes="field-label")
                    yield Select(
                        [(outside_line(name), name) for name in self._model_names()],
                        value=self.tuner.default_model,
                        allow_blank=False,
                        compact=True,
                        id="default-model",
                    )
                yield Label(
                    "Training price per 1M tokens · enter on a row sets your own",
                    classes="hint",
                )
                yield DataTable(id="prices", cursor_type="row", zebra_stripes=True)
        # ctrl+p still opens the palette (help lists it); its footer hint would push Help and
        # Quit off an 80-column footer.
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        # The buttons are for the mouse (ctrl+n, ctrl+d): tab goes from the list to the form.
        for button_id in ("#new", "#delete"):
            self.query_one(button_id, Button).can_focus = False
        table = self.query_one("#prices", DataTable)
        table.add_columns("model", "catalog", "yours")
        self._fill_profiles()
        self._fill_models()

    # -- profiles ----------------------------------------------------------------------------

    def _in_use(self) -> str | None:
        """The profile the app is connected with (`--profile`, else the active one)."""
        connection = self.tuner.connection.connection
        shown = connection.profile_name if connection is not None else None
        return (
            shown if shown in self.tuner.settings.profiles else self.tuner.settings.active_profile
        )

    def _list_state(self) -> object:
        settings = self.tuner.settings
        return (self._in_use(), tuple(sorted(settings.profiles)))

    def _fill_profiles(self, select: str | None = None) -> None:
        settings = self.tuner.settings
        names = sorted(settings.profiles)
        view = self.query_one("#profiles", ListView)
        view.clear()
        in_use = self._in_use()
        self._listed_for = self._list_state()
        for name in names:
            marker = " •" if name == in_use else ""
            view.append(ListItem(Label(outside_line(f"{name}{marker}")), name=name))
        shown = in_use
        if select not in names:
            select = shown if shown in names else settings.active_profile
        wanted = select if select in names else next(iter(names), None)
        if wanted is None:
            self.form.profile = None
            return
        view.index = names.index(wanted)
        self.form.profile = settings.profiles[wanted]

    @property
    def form(self) -> ProfileForm:
        return self.query_one(ProfileForm)

    @property
    def editing(self) -> str | None:
        """The name of the profile in the form; None: a new one."""
        return self.form.editing

    def _key_state(self, profile: Profile) -> str:
        """Whether the saved `profile` has a key (a broken secrets file: where, never it)."""
        try:
            saved = self.tuner.settings.profiles.get(profile.name, profile)
            return self.tuner.services.settings_store.key_state(saved)
        except ConfigError as exc:
            return describe_error(exc)

    def on_screen_resume(self) -> None:
        """Back on this screen: a profile switched meanwhile (from the palette, `--profile`
        aside) is the one marked and shown; an edit in progress is kept otherwise."""
        if self._listed_for is not None and self._listed_for != self._list_state():
            self._fill_profiles()
            self._fill_models()

    @on(ConnectionChanged)
    def _connection_changed(self) -> None:
        if self._listed_for != self._list_state():
            self._fill_profiles()
            self._fill_models()

    @on(ListView.Selected, "#profiles")
    def _profile_selected(self, event: ListView.Selected) -> None:
        event.stop()
        self.action_use_profile()

    def action_use_profile(self) -> None:
        """Connect with the profile in the form (the highlighted one), as the palette does."""
        name = self.editing
        if name is None:
            self.notify("Save the profile first (ctrl+s), then use it", severity="warning")
            return
        if name == self._in_use():
            self.notify(f"{name} is the profile in use")
            return
        self.tuner.switch_profile(name)
        self._fill_profiles(select=name)
        self._fill_models()

    @on(ListView.Highlighted, "#profiles")
    def _profile_highlighted(self, event: ListView.Highlighted) -> None:
        item = event.item
        if (
            item is not None
            and item.name in self.tuner.settings.profiles
            and item.name != self.editing
        ):
            self.form.profile = self.tuner.settings.profiles[item.name]

    def _form_profile(self) -> Profile | str:
        """The profile the form describes, over the saved one it edits."""
        return self.form.read(self.tuner.settings.profiles.get(self.editing or ""))

    def action_tab(self, tab: str) -> None:
        self.query_one("#tabs", TabbedContent).active = tab
        first = "#profiles" if tab == "profiles-tab" else "#default-model"
        self.query_one(first).focus()

    def action_new_profile(self) -> None:
        self.query_one("#profiles", ListView).index = None
        self.form.profile = None
        self.query_one("#name", Input).focus()

    def action_save_profile(self) -> None:
        profile = self._form_profile()
        if isinstance(profile, str):
            self.notify(profile, severity="error")
            return
        settings = self.tuner.settings
        if profile.name != self.editing and profile.name in settings.profiles:
            self.notify(f"A profile named {profile.name} already exists", severity="error")
            return
        profiles = {k: v for k, v in settings.profiles.items() if k != self.editing}
        profiles[profile.name] = profile
        active = settings.active_profile
        if active is None or active == self.editing:
            active = profile.name
        new_settings = dataclasses.replace(settings, profiles=profiles, active_profile=active)
        if not self.tuner.save_settings(new_settings):
            return
        if self.form.typed_key:
            try:
                self.tuner.services.settings_store.save_api_key(profile.name, self.form.typed_key)
            except (OSError, ConfigError) as exc:
                self.notify(f"Key not saved: {describe_error(exc)}", severity="error")
        self.form.clear_key()
        self.tuner.refresh_connection()
        self._fill_profiles(select=profile.name)
        self._fill_models()
        self.notify(f"Saved profile {profile.name}")

    def action_delete_profile(self) -> None:
        if self.editing is None:
            return
        name = self.editing
        self.app.push_screen(
            ConfirmModal(
                f"Delete the profile {name}? Its saved key stays in the secrets file.",
                title="Delete profile",
                yes="Delete",
            ),
            partial(self._delete_confirmed, name),
        )

    def _delete_confirmed(self, name: str, confirmed: bool | None) -> None:
        if not confirmed:
            return
        settings = self.tuner.settings
        profiles = {k: v for k, v in settings.profiles.items() if k != name}
        active = settings.active_profile if settings.active_profile != name else None
        if self.tuner.save_settings(
            dataclasses.replace(settings, profiles=profiles, active_profile=active)
        ):
            self.tuner.refresh_connection()
            self._fill_profiles()
            self._fill_models()
            self.notify(f"Deleted profile {name}")

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        actions = {
            "new": self.action_new_profile,
            "delete": self.action_delete_profile,
            "save": self.action_save_profile,
            "test": self.action_test_connection,
        }
        action = actions.get(event.button.id or "")
        if action is not None:
            event.stop()
            action()

    # -- test connection ---------------------------------------------------------------------

    def action_test_connection(self) -> None:
        profile = self._form_profile()
        if isinstance(profile, str):
            self.form.show_result(outside(profile))
            return
        self.form.show_result("Testing…")
        self._test(profile, self.form.typed_key)

    @work(exclusive=True, group="test-connection", exit_on_error=False)
    @fails_as(ConnectionTestFailed)
    async def _test(self, profile: Profile, typed_key: str) -> None:
        """List models with the form's settings; a failure comes as `ConnectionTestFailed`."""
        settings = self.tuner.settings.with_profile(profile)
        connection = self.tuner.services.settings_store.resolve(settings, profile.name)
        if typed_key.strip():
            connection = dataclasses.replace(connection, api_key=Secret(typed_key.strip()))
        if connection.api_key is None:
            self.post_message(
                ConnectionTested(f"No key: paste one above or set {connection.key_variable}")
            )
            return
        self.post_message(ConnectionTested(await self.tuner.services.test_connection(connection)))

    @on(ConnectionTested)
    def _tested(self, message: ConnectionTested) -> None:
        self.form.show_result(outside(message.text))

    @on(ConnectionTestFailed)
    def _test_failed(self, failed: ConnectionTestFailed) -> None:
        self.form.show_result(outside(f"Failed: {failed.reason}"))

    # -- default model and prices ------------------------------------------------------------

    def _own_table(self) -> str | None:
        """The profile whose `[[models]]` price overrides go to: a service other than OpenAI's
        keeps its own (the global table is OpenAI's models)."""
        profile = self.tuner.profile
        return profile.name if profile is not None and profile.kind == "together" else None

    def _prices(self, settings: Settings) -> list[tuple[str, float | None]]:
        profile = self.tuner.profile
        catalog = self.tuner.services.catalog(settings, profile.name if profile else None)
        return [(model.id, model.training_price_per_1m) for model in catalog.models]

    def _model_names(self) -> list[str]:
        """Catalog models, with the current default first if the catalog does not know it."""
        names = [model for model, _ in self._prices(self.tuner.settings)]
        if self.tuner.default_model not in names:
            names.insert(0, self.tuner.default_model)
        return names

    def _fill_models(self) -> None:
        """The default-model choice and the price table, for the connected service (a saved
        or deleted profile may have changed which one that is)."""
        select = self.query_one("#default-model", Select)
        with select.prevent(Select.Changed):
            select.set_options([(outside_line(name), name) for name in self._model_names()])
            select.value = self.tuner.default_model
        settings = self.tuner.settings
        prices = self._prices(settings)
        bare = dataclasses.replace(
            settings,
            models=(),
            profiles={n: dataclasses.replace(p, models=()) for n, p in settings.profiles.items()},
        )
        defaults = dict(self._prices(bare))
        table = self.query_one("#prices", DataTable)
        cursor = table.cursor_row
        table.clear()
        for model, price in prices:
            default = defaults.get(model)
            mine = format_price(price) if price != default else ""
            table.add_row(outside_line(model), format_price(default), mine, key=model)
        if table.row_count:
            table.move_cursor(row=min(cursor, table.row_count - 1))

    @on(Select.Changed, "#default-model")
    def _model_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self.tuner.default_model:
            self.tuner.set_default_model(event.value)

    @on(DataTable.RowSelected, "#prices")
    def _price_selected(self, event: DataTable.RowSelected) -> None:
        model = str(event.row_key.value)
        self.app.push_screen(
            PromptModal(
                f"Training price per 1M tokens for {model} (empty: the catalog's)",
                placeholder="e.g. 3.00",
            ),
            partial(self._price_entered, model),
        )

    def _price_entered(self, model: str, text: str | None) -> None:
        if text is None:
            return
        text = text.strip().lstrip("$")
        try:
            price = float(text) if text else None
        except ValueError:
            self.notify(f"Not a price: {text}", severity="error")
            return
        if price is not None and price < 0:
            self.notify("A price cannot be negative", severity="error")
            return
        changed = with_price_override(self.tuner.settings, model, price, self._own_table())
        if self.tuner.save_settings(changed):
            self._fill_models()
