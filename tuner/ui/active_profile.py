"""The settings and the profile the app is connected with, and what that profile decides.

Saving the settings, switching profile, and everything read from the connected service's facts
(its catalog, its data rules, its default base model, what it can do) are one concern: the
screens read them through `TunerHost`, and a profile switch changes them all at once. Mixed into
`TunerApp` as `ActiveProfile`; `resolve_active` is how the app (and `tuner settings`) finds its
connection at start-up.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from tuner.config import ConfigError, Profile, Settings
from tuner.config.connections import connection_label
from tuner.config.service_facts import DefaultModels, RulesFamily
from tuner.ui.app_protocol import AppMixin
from tuner.ui.session import ActiveConnection, ConnectionChanged

if TYPE_CHECKING:
    from tuner.api.eval.targets import EvalServices
    from tuner.api.types import Capabilities
    from tuner.data.catalog.lookup import Catalog
    from tuner.ui.services import Services


class ActiveProfile(AppMixin):
    """Mixed into the app: the settings, the active connection and the profile's facts."""

    @property
    def connection(self) -> ActiveConnection:
        """The active connection (what the title names)."""
        return self.session.active

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
