"""Move a job to another service: pick the profile and base model, read the plan, then move.

The dialog is a thin face on `tuner.api.migrate.move`: as soon as a profile and a model are chosen
it plans the move in a worker (the job's files fetched and converted into the work folder,
checked by that service's rules, both costs priced; nothing is sent) and shows the plan. "Move"
(ctrl+s) runs it with a progress bar: the upload, the service's own price, the new job. The
answer is the new job's id (None when cancelled). Every service the dialog opened is closed
before it answers. It keeps the same record of moves as `tuner migrate`: a move made before
(here or there) answers with the job it made, said in a notification, not a second job; and the
profiles of the job's own account are not offered.

Keyboard: tab between the fields, ctrl+s moves, esc cancels (also a plan or a move in progress).
No letter is bound, so typing a suffix never triggers anything.

Build it with `MigrateModal.for_app(app, job_id)`, which takes the source service, the profiles
and their catalogs from the app; tests give the pieces directly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import var
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, ProgressBar, Select, Static

from tuner.config.connections import Connection, connection_label, same_account
from tuner.data.service_kinds import service_name
from tuner.data.visible_text import visible_line
from tuner.ui.failures import WorkFailed, fails_as
from tuner.ui.moved_job import MovedJob
from tuner.ui.outside import CONTROLS_SHOWN, outside, outside_line

if TYPE_CHECKING:
    from tuner.api.migrate.plan import MigrationPlan, MigrationProgress, MigrationResult
    from tuner.api.service import FineTuningService
    from tuner.data.catalog.lookup import Catalog
    from tuner.ui.app_protocol import TunerHost

# Seconds the suffix must rest before the plan is made again with it.
SUFFIX_PAUSE = 0.6


@dataclass(frozen=True)
class MigrationTarget:
    """A profile a job can move to: its name, how it is shown (`tg · Together AI`), its
    fine-tunable models (`catalog`), the model to offer first, and how to open its service
    (the dialog closes what it opens)."""

    profile: str
    label: str
    catalog: Catalog
    open: Callable[[], FineTuningService]
    default_model: str | None = None


class PlanFailed(WorkFailed):
    DOING = "plan the move"


class MoveFailed(WorkFailed):
    DOING = "move the job"


class MigrateModal(ModalScreen["MovedJob | None"]):
    """Returns where the job went (`MovedJob`), or None when cancelled."""

    CSS_PATH = "modals.tcss"
    CSS = """
    MigrateModal { align: center middle; }
    MigrateModal .dialog { width: 78; max-width: 100%; height: 100%; max-height: 24; padding: 0 1; }
    MigrateModal .row { height: 1; }
    MigrateModal #migrate-costs { height: auto; max-height: 4; margin-top: 1; }
    MigrateModal .field-label { width: 9; }
    MigrateModal .row Select, MigrateModal .row Input { width: 1fr; }
    MigrateModal #migrate-plan { height: 1fr; border: round $panel; padding: 0 1; }
    MigrateModal #migrate-status { color: $text-muted; height: 1; }
    MigrateModal #migrate-bar { height: 1; }
    MigrateModal .buttons { height: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "move", "Move", id="migrate.move", priority=True),
        Binding("escape", "cancel", "Cancel", id="migrate.cancel"),
    ]

    # The plan shown (None: none yet for this choice) and whether the move is under way decide
    # whether Move can be pressed; moving also fixes the choices and shows the progress bar.
    plan: var[MigrationPlan | None] = var(None, init=False)
    moving: var[bool] = var(False, init=False)

    def __init__(
        self,
        job_id: str,
        source: FineTuningService,
        targets: Sequence[MigrationTarget],
        *,
        work_dir: Path | None = None,
        source_catalog: Catalog | None = None,
        source_name: str | None = None,
        source_profile: str | None = None,
        today: date | None = None,
    ) -> None:
        from tuner.api.migrate.plan import default_work_dir

        super().__init__()
        self.job_id = job_id
        # How the record of moves names the source (the command names it the same way).
        self.source_profile = source_profile
        self.source = source
        self.targets = {target.profile: target for target in targets}
        self.work_dir = work_dir or default_work_dir(job_id)
        self.source_catalog = source_catalog
        self.source_name = source_name
        self.today = today or date.today()
        self.planned_for: tuple[str, str, str] | None = None
        self._opened: dict[str, FineTuningService] = {}
        self._suffix_timer: Any = None
        self._models_of: str | None = None  # the profile whose models the model list holds

    @classmethod
    def for_app(cls, app: TunerHost, job_id: str) -> MigrateModal:
        """The dialog for `job_id` on the app's active service, offering every other profile."""
        from tuner.api.migrate.plan import default_work_dir

        active = app.profile.name if app.profile is not None else None
        services, settings = app.services, app.settings
        source = app.connection.connection
        targets = []
        for name, profile in settings.profiles.items():
            if name == active or _same_account(source, services, settings, name):
                continue  # a move there would only copy the job beside itself
            catalog = services.catalog(settings, name)

            def opener(name: str = name) -> FineTuningService:
                connection = services.settings_store.resolve(settings, name)
                return services.open_service(connection)

            targets.append(
                MigrationTarget(
                    name,
                    f"{name} · {service_name(profile.kind)}",
                    catalog,
                    opener,
                    profile.default_model or catalog.default_model,
                )
            )
        source_name = None
        if active is not None and source is not None:
            source_name = connection_label(active, source, demo=app.connection.demo, key=False)
        return cls(
            job_id,
            app.session.service(),
            targets,
            work_dir=default_work_dir(job_id, app.start_path),
            source_catalog=app.catalog(),
            source_name=source_name,  # as the title names it, not only by the host
            source_profile=active,
        )

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        profiles = [
            (outside_line(target.label), target.profile) for target in self.targets.values()
        ]
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = outside_line(f"Move {self.job_id} to another service")
            with Horizontal(classes="row"):
                yield Label("Profile", classes="field-label")
                if profiles:  # no blank entry: a profile is always picked
                    yield Select(
                        profiles,
                        value=profiles[0][1],
                        allow_blank=False,
                        id="migrate-profile",
                        compact=True,
                    )
                else:  # said as text, not offered as a choice
                    yield Label("no other profile", id="migrate-no-profile")
            with Horizontal(classes="row"):
                yield Label("Model", classes="field-label")
                prompt = "loading models…" if profiles else "no profile to move to"
                yield Select([], prompt=prompt, id="migrate-model", compact=True)
            with Horizontal(classes="row"):
                yield Label("Suffix", classes="field-label")
                yield Input(
                    placeholder="the job's own",
                    id="migrate-suffix",
                    compact=True,
                    highlighter=CONTROLS_SHOWN,
                )
            # The plan quotes the job's files, models and the services' words: plain text.
            yield Static("", id="migrate-costs")
            with VerticalScroll(id="migrate-plan"):
                yield Static("", id="migrate-plan-text")
            yield Label("", id="migrate-status")
            yield ProgressBar(total=100, show_eta=False, id="migrate-bar")
            with Horizontal(classes="buttons"):
                yield Button("Move", id="migrate-move", variant="primary", compact=True)
                yield Button("Cancel", id="migrate-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#migrate-bar").display = False
        self.query_one("#migrate-move", Button).disabled = True
        if not self.targets:
            self.query_one("#migrate-model", Select).disabled = True
            self.query_one("#migrate-suffix", Input).disabled = True
            self._say("Add a profile for another service in the settings (s) to move a job.")
            return
        self._list_models(next(iter(self.targets)))
        self.query_one("#migrate-profile", Select).focus()

    # -- choices -------------------------------------------------------------------------------

    @on(Select.Changed, "#migrate-profile")
    def _profile_changed(self, event: Select.Changed) -> None:
        if str(event.value) != self._models_of:
            self._list_models(str(event.value))

    def _list_models(self, profile: str) -> None:
        """The models one can fine-tune on `profile`'s service, its default one chosen."""
        self._models_of = profile
        target = self.targets[profile]
        models = self.query_one("#migrate-model", Select)
        ids = [info.id for info in target.catalog.fine_tunable(self.today)]
        models.set_options([(outside_line(model), model) for model in ids])
        models.prompt = (
            "pick a model" if ids else visible_line(f"no model to fine-tune on {target.label}")
        )
        wanted = target.default_model if target.default_model in ids else (ids[0] if ids else None)
        if wanted is not None:
            models.value = wanted
        self._replan()

    @on(Select.Changed, "#migrate-model")
    def _model_changed(self, event: Select.Changed) -> None:
        self._replan()

    @on(Input.Changed, "#migrate-suffix")
    def _suffix_changed(self, event: Input.Changed) -> None:
        if self._suffix_timer is not None:
            self._suffix_timer.stop()
        self._suffix_timer = self.set_timer(SUFFIX_PAUSE, self._replan)

    def _choice(self) -> tuple[str, str, str] | None:
        if not self.targets:
            return None
        profile = self.query_one("#migrate-profile", Select).value
        model = self.query_one("#migrate-model", Select).value
        if profile is Select.BLANK or model is Select.BLANK:
            return None
        return str(profile), str(model), self.query_one("#migrate-suffix", Input).value.strip()

    def _replan(self) -> None:
        if self.moving:
            return
        choice = self._choice()
        self.plan = None
        self.query_one("#migrate-costs", Static).update("")
        if choice is None:
            return
        self._say("Planning… (nothing is sent before Move)")
        self._make_plan(choice)

    # -- planning ------------------------------------------------------------------------------

    def _target(self, profile: str) -> FineTuningService:
        service = self._opened.get(profile)
        if service is None:
            service = self.targets[profile].open()
            self._opened[profile] = service
        return service

    @work(exclusive=True, group="migrate-plan", exit_on_error=False)
    @fails_as(PlanFailed)
    async def _make_plan(self, choice: tuple[str, str, str]) -> None:
        from tuner.api.migrate.move import plan_migration

        profile, model, suffix = choice
        target = self.targets[profile]
        plan = await plan_migration(
            self.source,
            self._target(profile),
            self.job_id,
            model,
            work_dir=self.work_dir,
            suffix=suffix or None,
            source_catalog=self.source_catalog,
            source_name=self.source_name,
            target_catalog=target.catalog,
            on_progress=self._progress,
            today=self.today,
        )
        self.post_message(self.Planned(plan, choice))

    @dataclass
    class Planned(Message):
        plan: MigrationPlan
        choice: tuple[str, str, str]

    def on_migrate_modal_planned(self, message: Planned) -> None:
        if message.choice != self._choice() or self.moving:
            return  # the choice changed meanwhile: a newer plan is on its way
        self.plan = message.plan
        self.planned_for = message.choice
        costs = "\n".join(message.plan.cost_lines(short=True))
        self.query_one("#migrate-costs", Static).update(outside(costs))
        self.query_one("#migrate-plan-text", Static).update(
            outside("\n".join(message.plan.summary_lines()))
        )
        self._status("Planned: ctrl+s moves, esc cancels")

    # -- moving --------------------------------------------------------------------------------

    def action_move(self) -> None:
        if self.moving:
            return
        if self.plan is None or self.planned_for != self._choice():
            self._status("Wait for the plan: it shows what will be sent and what it costs")
            return
        self.moving = True
        self._move(self.plan, self.planned_for[0])

    @work(exclusive=True, group="migrate-run", exit_on_error=False)
    @fails_as(MoveFailed)
    async def _move(self, plan: MigrationPlan, profile: str) -> None:
        from tuner.api.migrate.move import run_migration

        result = await run_migration(
            plan,
            self._target(profile),
            on_progress=self._progress,
            source_profile=self.source_profile,
            target_profile=profile,
        )
        self.post_message(self.Moved(result, profile))

    @dataclass
    class Moved(Message):
        result: MigrationResult
        profile: str

    async def on_migrate_modal_moved(self, message: Moved) -> None:
        await self._close_services()
        found = message.result.found_line(message.profile)
        if found is not None:  # the same move was made before: its job, not a second one
            self.app.notify(visible_line(found[:1].upper() + found[1:]), markup=False)
        source = message.result.plan.job
        self.dismiss(
            MovedJob(message.profile, message.result.job.id, source.id, source.fine_tuned_model)
        )

    def _progress(self, progress: MigrationProgress) -> None:
        """Called on the app's event loop by the plan and the move."""
        self._status(progress.message)
        fraction = progress.fraction
        if self.moving and fraction is not None:
            self.query_one("#migrate-bar", ProgressBar).update(progress=fraction * 100)

    def watch_plan(self) -> None:
        self._offer_move()

    def watch_moving(self, moving: bool) -> None:
        for widget in self.query("Select, Input"):
            widget.disabled = moving
        self.query_one("#migrate-bar").display = moving
        self._offer_move()

    def _offer_move(self) -> None:
        self.query_one("#migrate-move", Button).disabled = self.plan is None or self.moving

    # -- failures and leaving ------------------------------------------------------------------

    def on_plan_failed(self, failed: PlanFailed) -> None:
        self._say_failure(failed)
        self._status("No plan")

    def on_move_failed(self, failed: MoveFailed) -> None:
        self._say_failure(failed)
        self.moving = False
        self._status("Not moved: esc closes, or change the choice to plan again")

    def _say_failure(self, failed: WorkFailed) -> None:
        """The data the target refused, line by line; any other failure in one line."""
        from tuner.api.migrate.errors import DataRefused

        error = failed.error
        if isinstance(error, DataRefused):
            lines = [error.message, *(p.located() for p in error.problems[:10])]
            self._say("\n".join(lines))
        else:
            self._say(f"Cannot move {self.job_id}: {failed.reason}")

    @on(Button.Pressed, "#migrate-move")
    def _move_pressed(self) -> None:
        self.action_move()

    @on(Button.Pressed, "#migrate-cancel")
    async def _cancel_pressed(self) -> None:
        await self.action_cancel()

    async def action_cancel(self) -> None:
        self.workers.cancel_node(self)
        await self._close_services()
        self.dismiss(None)

    async def _close_services(self) -> None:
        opened, self._opened = self._opened, {}
        for service in opened.values():
            await service.close()

    def _say(self, text: str) -> None:
        self.query_one("#migrate-plan-text", Static).update(outside(text))

    def _status(self, text: str) -> None:
        self.query_one("#migrate-status", Label).update(outside_line(text))


def _same_account(source: Connection | None, services: Any, settings: Any, profile: str) -> bool:
    """Whether `profile` reaches the account the job is on (the rule `tuner migrate` uses)."""
    from tuner.config import ConfigError

    if source is None:
        return False
    try:
        return same_account(source, services.settings_store.resolve(settings, profile))
    except ConfigError:
        return False  # offered: opening it says what is wrong with it
