"""What a screen, a widget or a palette provider may ask of tuner's app, as one typed Protocol.

Screens reach the session, the settings and navigation through the app. Naming `TunerApp` for
that would tie every screen to the module that imports every screen; naming only this Protocol
keeps the app at the top and makes the list of what screens depend on short and visible. A new
need is added here, on purpose.

`TunerApp.tuner_host` hands the app over as a `TunerHost` (a type checker holds the app to
this Protocol there); `app_host` reads it for a widget or a provider, and `TunerScreen.tuner`
for a screen. The parts the app is assembled from (its mixins) start from `AppMixin`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date
    from pathlib import Path

    from textual.app import App

    from tuner.api.eval.targets import EvalServices
    from tuner.api.types import Capabilities, Job
    from tuner.config import Profile, Settings
    from tuner.data.catalog.lookup import Catalog
    from tuner.ui.moved_job import MovedJob
    from tuner.ui.routes import ScreenRoute
    from tuner.ui.services import Services
    from tuner.ui.session import ActiveConnection, ServiceSession


class TunerHost(Protocol):
    """The app as screens see it: the session and settings to read, the ways to navigate."""

    # -- what there is ------------------------------------------------------------------------

    model_dates: dict[str, date]
    """The day each model stops answering, as the service's model list says (the jobs list
    reads it and stores it here for the other screens)."""

    @property
    def session(self) -> ServiceSession: ...

    @property
    def services(self) -> Services: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def connection(self) -> ActiveConnection: ...

    @property
    def profile(self) -> Profile | None: ...

    @property
    def capabilities(self) -> Capabilities | None: ...

    @property
    def needs_deployment(self) -> bool: ...

    @property
    def data_rules(self) -> str: ...

    @property
    def default_model(self) -> str: ...

    @property
    def start_path(self) -> Path: ...

    @property
    def last_dataset(self) -> Path | None: ...

    @property
    def announced(self) -> set[str]:
        """Jobs whose end the user was told about (a screen that tells adds to it)."""
        ...

    @property
    def routes(self) -> dict[str, ScreenRoute]: ...

    def catalog(self) -> Catalog: ...

    def eval_services(self) -> EvalServices: ...

    def move_origin(self, profile: str | None, job_id: str) -> MovedJob | None: ...

    # -- what a screen may change -------------------------------------------------------------

    def save_settings(self, settings: Settings) -> bool: ...

    def switch_profile(self, name: str) -> None: ...

    def refresh_connection(self) -> None: ...

    def set_default_model(self, model: str) -> None: ...

    def remember_move(self, moved: MovedJob) -> None: ...

    def announce_finished(self, job: Job, *, offer_chat: bool = True) -> bool: ...

    def convert_json(self, src: Path) -> None: ...

    # -- where a screen may go ----------------------------------------------------------------

    def action_show(self, name: str) -> None: ...

    def action_help(self) -> None: ...

    def action_toggle_theme(self) -> None: ...

    def go_back(self) -> None: ...

    def open_file(self, path: Path) -> None: ...

    def open_dataset(self, path: Path, *, upload: bool = False) -> None: ...

    def open_new_job(
        self,
        path: Path | None = None,
        file_id: str | None = None,
        model: str | None = None,
        epochs: int | None = None,
    ) -> None: ...

    def open_job(self, job_id: str, *, just_created: bool = False) -> None: ...

    def open_chat(self, model: str | None = None) -> None: ...

    def open_eval(
        self,
        *,
        file: Path | None = None,
        models: Sequence[str] = (),
        job: str | None = None,
        profile: str | None = None,
        note: str | None = None,
    ) -> None: ...

    def evaluate_job(self, job: Job) -> None: ...

    def move_job(self, job_id: str) -> None: ...

    def record_answers(self, job: Job) -> None: ...


def app_host(app: App[object]) -> TunerHost:
    """`app` as a `TunerHost`, through the app's own `tuner_host`. A widget mounted in another
    app (a test's bare host) fails here, naming what it lacks, not later on some attribute."""
    host: TunerHost | None = getattr(app, "tuner_host", None)
    if host is None:
        raise RuntimeError(f"{type(app).__name__} is not tuner's app: it has no tuner_host")
    return host


if TYPE_CHECKING:

    class AppMixin(App[int], TunerHost):
        """What a part of the app (a mixin of `TunerApp`) may use of the whole, for a type
        checker: Textual's `App` and everything `TunerHost` names."""

else:
    AppMixin = object  # at run time a mixin adds only its own methods to the app
