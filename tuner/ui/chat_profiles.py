"""The settings profiles a chat's columns talk to: their services, models, catalogs and names.

A comparison may put a model of another profile beside the active one's (the old fine-tune on
OpenAI, its copy on Together). The app's session serves the active profile; a service for any
other profile is opened here through `app.services`, on first use, and closed by `release` as
soon as no column needs it. Kept out of the chat screen so the screen only arranges columns and
turns, and so the rules (which profile is "active", how a profile is named, whose prices a
column uses) live in one place.
"""

from __future__ import annotations

import asyncio
import datetime
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tuner.api.chat.compare import ProfileServices
from tuner.data.service_kinds import service_name

if TYPE_CHECKING:
    from tuner.api.chat.models import ChatModel
    from tuner.api.service import FineTuningService
    from tuner.data.catalog.lookup import Catalog
    from tuner.ui.app_protocol import TunerHost
    from tuner.ui.modals.pick_model import ModelSource

RetirementNote = Callable[["ChatModel"], "tuple[str, str] | None"]


def _bind(load: Callable[[str | None], Any], profile: str) -> Callable[[], Any]:
    """`load(profile)` as a no-argument loader (one per profile, not the loop's last)."""
    return lambda: load(profile)


class ChatProfiles:
    """The active profile through the app's session, the others through services opened here.

    `None` for a profile means the active one throughout."""

    def __init__(self, app: TunerHost) -> None:
        self.app = app
        self._services = ProfileServices(self._connect)
        self._lock = threading.Lock()  # other profiles' services are opened in threads

    @property
    def active(self) -> str | None:
        """The profile the app's session talks to (None: no connection)."""
        connection = self.app.connection.connection
        return connection.profile_name if connection is not None else None

    def is_active(self, profile: str | None) -> bool:
        return profile is None or profile == self.active

    def known(self, profile: str) -> bool:
        """Still a profile to talk to: the active one, or one of the settings."""
        return self.is_active(profile) or profile in self.app.settings.profiles

    # -- services ----------------------------------------------------------------------------

    def service(self, profile: str | None) -> FineTuningService:
        """The service of `profile`: the app's session for the active one, else one opened
        here (once). Raises `ServiceError` naming the profile."""
        if self.is_active(profile):
            return self.app.session.service()
        assert profile is not None
        return self._services.get(profile)

    async def opened(self, profile: str | None) -> FineTuningService:
        """`service(profile)`, opened in a thread when it is not open yet: the SDK's import
        takes a second or more, and the picker asking for it is drawn meanwhile."""
        if self.is_active(profile):
            return await self.app.session.opened()
        with self._lock:
            opened = profile in self._services.profiles
        if opened:
            return self.service(profile)
        return await asyncio.to_thread(self._service_locked, profile)

    def _service_locked(self, profile: str | None) -> FineTuningService:
        with self._lock:  # two pickers asking at once open it once
            return self.service(profile)

    def _connect(self, profile: str) -> FineTuningService:
        services = self.app.services
        return services.open_service(services.settings_store.resolve(self.app.settings, profile))

    async def release(self, used: list[str | None]) -> None:
        """Close the services of other profiles that none of `used` (the columns' profiles)
        needs; `release([])` closes them all."""
        keep = {profile for profile in used if profile and not self.is_active(profile)}
        await self._services.release(keep)

    async def models(self, profile: str | None = None) -> list[ChatModel]:
        """The models of `profile`'s service, for the picker (failures are its to show)."""
        from tuner.api.chat.choices import chat_model_choices

        return await chat_model_choices(await self.opened(profile))

    # -- what the picker shows ---------------------------------------------------------------

    def catalog(self, profile: str | None) -> Catalog:
        """The models and prices of `profile`'s service."""
        if self.is_active(profile):
            return self.app.catalog()
        return self.app.services.catalog(self.app.settings, profile)

    def label(self, name: str | None) -> str:
        """`demo-together · Together AI`: a profile as the picker names it (by its kind; the
        connection's own words when it is no profile of the settings)."""
        profile = self.app.settings.profiles.get(name or "")
        if profile is None:
            service = self.app.connection.service_name
            return f"{name} · {service}" if name else service
        return f"{name} · {service_name(profile.kind)}"

    def retirement_note(self, profile: str | None = None) -> RetirementNote:
        """When a model stops answering, by its service's model list where it says, else the
        catalog of `profile`'s service: a fine-tune of gpt-4o-mini says `stops answering in 38
        days (2027-01-14)`, marked when near or past."""
        from tuner.api.deadlines import retirement

        catalog = self.catalog(profile)

        def note(model: ChatModel) -> tuple[str, str] | None:
            today = datetime.date.fromtimestamp(self.app.services.clock())
            dates = {model.id: model.shutdown} if model.shutdown is not None else None
            ends = retirement(model.id, catalog, today, dates)
            if ends is None:
                return None
            style = {"past": "bold red", "near": "bold yellow"}.get(ends.urgency, "dim")
            return ends.words(fine_tuned=model.kind != "base"), style

        return note

    def others(self) -> list[ModelSource]:
        """Every other profile of the settings, to pick a compared model from."""
        from tuner.ui.modals.pick_model import ModelSource

        sources = []
        for name in sorted(self.app.settings.profiles):
            if self.is_active(name):
                continue
            loader = _bind(self.models, name)
            sources.append(ModelSource(name, self.label(name), loader, self.retirement_note(name)))
        return sources
