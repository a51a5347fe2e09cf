"""The "move to another service" dialog: the plan and both costs before anything is sent, the
move with its answer (the new job's id), escape, the keyboard, and the services it opened closed.
Against the emulator with the real SDKs; the dialog alone in a host app, at 80x24."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    host_app,
    open_test_service,
    open_together_service,
    train_model,
    wait_until,
    write_examples,
)
from tuner.api.service import FineTuningService
from tuner.config import Connection, Secret
from tuner.data.catalog.choice import default_catalog
from tuner.data.catalog.lookup import Catalog
from tuner.data.catalog.models import ModelInfo
from tuner.emulator import Emulator
from tuner.ui.modals.migrate import MigrateModal, MigrationTarget

LLAMA = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"


class Closing:
    """The real Together service, remembering that it was closed."""

    def __init__(self, inner: FineTuningService) -> None:
        self._inner = inner
        self.closed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def close(self) -> None:
        self.closed = True
        await self._inner.close()


@pytest.fixture
async def setup(emulator: Emulator, tmp_path: Path) -> Any:
    job = await train_model(emulator, write_examples(tmp_path / "train.jsonl", 20), "modal")
    source = open_test_service(emulator)
    opened: list[Closing] = []

    def opener() -> FineTuningService:
        service = Closing(open_together_service(emulator))
        opened.append(service)
        return service  # type: ignore[return-value]

    target = MigrationTarget("tg", "tg · Together AI", default_catalog("together"), opener, LLAMA)
    modal = MigrateModal(job.id, source, [target], work_dir=tmp_path / "work")
    try:
        yield job, modal, opened
    finally:
        await source.close()


def text_of(modal: MigrateModal, selector: str) -> str:
    return str(modal.query_one(selector).render())


def planned(modal: MigrateModal) -> bool:
    return not modal.query_one("#migrate-move").disabled


async def test_shows_the_plan_then_moves_and_answers_the_new_job(
    emulator: Emulator, setup: Any
) -> None:
    job, modal, opened = setup
    app = host_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(modal, app.results.append)
        await wait_until(pilot, lambda: planned(modal))
        plan = text_of(modal, "#migrate-plan-text")
        costs = text_of(modal, "#migrate-costs")
        assert f"Move {job.id}" in plan and "Cost:" in plan
        assert "Together AI's own price: asked once the files are uploaded" in plan
        assert ", billed for " in costs and "Together AI: " in costs
        assert "tuner's estimate for" in costs and "(its own price once uploaded)" in costs
        assert emulator.together.state.jobs == {}  # nothing sent yet
        # Letters go to the suffix field; none of them does anything else.
        modal.query_one("#migrate-suffix").focus()
        await pilot.press(*"qsave")
        await wait_until(
            pilot, lambda: planned(modal) and "suffix qsave" in text_of(modal, "#migrate-plan-text")
        )
        assert app.results == [] and modal.query_one("#migrate-suffix").value == "qsave"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.results)
    (moved,) = app.results
    new_id = moved.job_id
    assert new_id.startswith("ft-")
    # Where it came from: what the copy is measured against once trained.
    assert (moved.source_job, moved.source_model) == (job.id, job.fine_tuned_model)
    assert emulator.together.state.jobs[new_id].spec.suffix == "qsave"
    assert opened and all(service.closed for service in opened)


async def test_escape_cancels_and_closes_what_it_opened(setup: Any) -> None:
    _, modal, opened = setup
    app = host_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(modal, app.results.append)
        await wait_until(pilot, lambda: planned(modal))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.results == [None])
    assert opened and all(service.closed for service in opened)


async def test_a_failed_plan_is_said_in_the_dialog(emulator: Emulator, setup: Any) -> None:
    from tuner.emulator import Fault

    job, modal, _ = setup
    refusal = "Not allowed to download files of purpose: fine-tune."
    emulator.faults.add(
        Fault(rf"/files/{job.training_file}/content$", status=400, message=refusal, times=5)
    )
    app = host_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(modal, app.results.append)
        await wait_until(pilot, lambda: refusal in text_of(modal, "#migrate-plan-text"))
        assert not planned(modal) and "No plan" in text_of(modal, "#migrate-status")
        await pilot.press("ctrl+s")
        assert "Wait for the plan" in text_of(modal, "#migrate-status") and app.results == []
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.results == [None])


async def test_a_failed_move_gives_the_choices_back_and_offers_move_again(
    emulator: Emulator, setup: Any
) -> None:
    from tuner.emulator import Fault

    _, modal, _ = setup
    refusal = "Fine-tuning is not available on this account."
    emulator.faults.add(Fault(r"/fine-tunes$", method="POST", status=400, message=refusal))
    app = host_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(modal, app.results.append)
        await wait_until(pilot, lambda: planned(modal))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "Not moved" in text_of(modal, "#migrate-status"))
        assert refusal in text_of(modal, "#migrate-plan-text")
        assert not modal.query_one("#migrate-bar").display
        assert not any(widget.disabled for widget in modal.query("Select, Input"))
        # The plan still holds: the Move button, like ctrl+s, tries again.
        assert planned(modal) and app.results == []
        await pilot.click("#migrate-move")
        await wait_until(pilot, lambda: app.results)
    assert app.results[0].job_id.startswith("ft-")


async def test_no_other_profile_is_said_not_offered(emulator: Emulator) -> None:
    from textual.widgets import Select

    source = open_test_service(emulator)
    try:
        modal = MigrateModal("ftjob-1", source, [])
        app = host_app()
        async with app.run_test(size=(80, 24)) as pilot:
            app.push_screen(modal, app.results.append)
            await wait_until(pilot, lambda: "Add a profile" in text_of(modal, "#migrate-plan-text"))
            assert text_of(modal, "#migrate-no-profile") == "no other profile"
            assert not modal.query("#migrate-profile")  # no list with it as an entry
            model = modal.query_one("#migrate-model", Select)
            assert model.disabled and "pick a profile" not in model.prompt
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.results == [None])
    finally:
        await source.close()


async def test_a_picked_profile_never_asks_to_pick_one(emulator: Emulator, tmp_path: Path) -> None:
    """The model list says what it is doing (loading) or what it found (nothing to fine-tune
    there), never "pick a profile first" while a profile is picked."""
    from datetime import date

    from textual.widgets import Select

    source = open_test_service(emulator)
    try:

        def never() -> FineTuningService:
            raise AssertionError("nothing to plan: no model")

        gone = ModelInfo("gpt-old", "o200k_base", shutdown=date(2026, 1, 1))
        retired = MigrationTarget("oa2", "oa2 · OpenAI", Catalog([gone]), never)
        modal = MigrateModal(
            "ftjob-1", source, [retired], work_dir=tmp_path / "w", today=date(2027, 1, 1)
        )
        app = host_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await app.push_screen(modal, app.results.append)
            profile = modal.query_one("#migrate-profile", Select)
            model = modal.query_one("#migrate-model", Select)
            assert profile.value == "oa2"
            await wait_until(pilot, lambda: model.prompt == "no model to fine-tune on oa2 · OpenAI")
            assert "pick a profile" not in str(model.render())
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.results == [None])
    finally:
        await source.close()


async def test_for_app_offers_every_other_profile(emulator: Emulator, tmp_path: Path) -> None:
    from tests.ui.conftest import build_app
    from tuner.config import Profile, Settings
    from tuner.ui.services import MemorySettingsStore, Services
    from tuner.ui.session import ActiveConnection

    settings = Settings(
        active_profile="oa",
        profiles={
            "oa": Profile("oa", kind="openai", base_url=emulator.base_url),
            "tg": Profile("tg", kind="together", base_url=emulator.together_base_url),
            # The job's own account under another name: a move there only copies the job.
            "oa-too": Profile("oa-too", kind="openai", base_url=emulator.base_url),
            "oa-other-key": Profile("oa-other-key", kind="openai", base_url=emulator.base_url),
        },
    )
    connection = Connection(profile_name="oa", base_url=emulator.base_url, api_key=Secret("k"))
    keys = {"oa": "k", "oa-too": "k", "tg": "k", "oa-other-key": "another"}
    services = Services(settings_store=MemorySettingsStore(settings, keys=keys))
    app = build_app(
        tmp_path,
        settings=settings,
        services=services,
        connection=ActiveConnection("oa", connection=connection),
    )
    modal = MigrateModal.for_app(app, "ftjob-1")
    try:
        assert list(modal.targets) == ["tg", "oa-other-key"]
        target = modal.targets["tg"]
        assert target.label == "tg · Together AI" and target.default_model == LLAMA
        assert target.catalog.service == "together"
        assert modal.work_dir == app.start_path / "migrate-ftjob-1"  # beside the browsed data
    finally:
        await app.session.close()


async def test_moving_again_answers_the_job_the_first_move_made(
    emulator: Emulator, tmp_path: Path
) -> None:
    """The dialog keeps the same record of moves as `tuner migrate`: a second move of the same
    job, to the same profile and model, answers with the first one's job and says so."""
    from tests.helpers import notices

    job = await train_model(emulator, write_examples(tmp_path / "train.jsonl", 20), "again")
    source = open_test_service(emulator)

    def dialog() -> MigrateModal:
        target = MigrationTarget(
            "tg", "tg · Together AI", default_catalog("together"), open_together_service_at, LLAMA
        )
        return MigrateModal(job.id, source, [target], work_dir=tmp_path / "w", source_profile="oa")

    def open_together_service_at() -> FineTuningService:
        return open_together_service(emulator)

    try:
        app = host_app()
        async with app.run_test(size=(80, 24)) as pilot:
            for moves in (1, 2):
                modal = dialog()
                app.push_screen(modal, app.results.append)
                await wait_until(pilot, lambda modal=modal: planned(modal))
                await pilot.press("ctrl+s")
                await wait_until(pilot, lambda moves=moves: len(app.results) == moves)
            first, second = app.results
            assert second.job_id == first.job_id
            assert list(emulator.together.state.jobs) == [first.job_id]
            (said,) = [n for n in notices(app) if n.startswith("Found ")]
            assert said.startswith(f"Found {first.job_id}, made by an earlier move of {job.id}")
    finally:
        await source.close()
