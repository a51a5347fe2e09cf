"""The app on more than one service: the demo's two profiles, Together's knobs in the new-job
form, its rules in the browser and the dataset screen, Azure's deployment step, OpenAI's closing
date. Everything runs against the emulator (OpenAI under /v1, Together under /together/v1)."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Label, Select

from tests.helpers import TEST_KEY, notices, wait_for_badges, wait_until, write_examples
from tuner.api.types import JobStatus
from tuner.app_entry import DEMO_OPENAI, DEMO_TOGETHER, demo_settings_store
from tuner.config import Profile, Settings
from tuner.emulator import Emulator
from tuner.ui.app import TunerApp, make_app
from tuner.ui.modals import PromptModal
from tuner.ui.screens.dataset import DatasetScreen
from tuner.ui.screens.eval import EvalScreen
from tuner.ui.screens.files import FilesScreen
from tuner.ui.screens.job import JobScreen
from tuner.ui.screens.jobs import JobsScreen
from tuner.ui.screens.new_job import NewJobScreen
from tuner.ui.services import MemorySettingsStore, Services

TOGETHER_BASE = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"


@pytest.fixture
def emu() -> Any:
    """Takes any key, as the demo's emulator does (the demo's profiles carry a placeholder)."""
    with Emulator(speed=500, api_key=None) as emulator:
        yield emulator


def demo_app(root: Path, emulator: Emulator, **services: Any) -> TunerApp:
    """The demo's own settings (two profiles on one emulator), nothing from the shell."""
    store = demo_settings_store(emulator)
    services.setdefault("poll_scale", 0.01)
    return make_app(root, services=Services(settings_store=store, demo=True, **services))


def together_rows(folder: Path) -> Path:
    """A file Together takes and OpenAI refuses: instruction rows (prompt / completion)."""
    rows = "".join(f'{{"prompt": "question {i}", "completion": "answer {i}"}}\n' for i in range(12))
    path = folder / "pairs.jsonl"
    path.write_text(rows, encoding="utf-8")
    return path


def test_the_demo_settings_hold_both_services_and_ignore_the_shell(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key-from-the-shell")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    store = demo_settings_store(emu)
    settings = store.load()
    assert settings.active_profile == DEMO_OPENAI
    openai = store.resolve(settings, DEMO_OPENAI)
    together = store.resolve(settings, DEMO_TOGETHER)
    assert openai.base_url == emu.base_url and together.base_url == emu.together_base_url
    assert openai.api_key is not None and openai.api_key.reveal() != "test-key-from-the-shell"
    assert together.kind == "together"


async def test_switching_the_demo_to_together_rechecks_the_files_by_its_rules(
    emu: Emulator, tmp_path: Path
) -> None:
    pairs = together_rows(tmp_path)
    app = demo_app(tmp_path, emu)
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.sub_title == "demo-openai · OpenAI · emulator"
        screen = app.screen
        assert isinstance(screen, FilesScreen)
        await wait_for_badges(pilot)
        assert screen.tree.facts[pairs].validation is not None
        assert not screen.tree.facts[pairs].validation.valid  # OpenAI takes only messages
        app.switch_profile(DEMO_TOGETHER)
        assert app.sub_title == "demo-together · Together AI · emulator"
        assert app.data_rules == "together" and app.default_model == TOGETHER_BASE

        def rechecked() -> bool:
            facts = screen.tree.facts[pairs]
            return facts.validation is not None and facts.validation.valid

        await wait_until(pilot, rechecked)
        assert any("demo-together" in notice for notice in notices(app))


async def test_the_dataset_screen_counts_and_prices_with_the_connected_service(
    emu: Emulator, tmp_path: Path
) -> None:
    train = write_examples(tmp_path / "train.jsonl", 20)
    app = demo_app(tmp_path, emu)
    async with app.run_test(size=(100, 30)) as pilot:
        app.switch_profile(DEMO_TOGETHER)
        app.open_dataset(train)
        await wait_until(pilot, lambda: isinstance(app.screen, DatasetScreen))
        screen = app.screen
        assert isinstance(screen, DatasetScreen)
        await wait_until(pilot, lambda: screen.report is not None)
        report = screen.report
        assert report is not None and report.service == "together"
        assert report.model == TOGETHER_BASE
        assert not report.exact_tokens and report.token_note  # no Llama tokenizer offline
        # Back to OpenAI: the same screen works its figures out again, exactly.
        app.switch_profile(DEMO_OPENAI)
        await wait_until(pilot, lambda: screen.report is not None and screen.report is not report)
        await wait_until(pilot, lambda: screen.report.service == "openai")
        assert screen.report.exact_tokens


async def test_a_together_job_from_the_form_with_its_own_knobs(
    emu: Emulator, tmp_path: Path
) -> None:
    train = write_examples(tmp_path / "train.jsonl", 20)
    app = demo_app(tmp_path, emu)
    async with app.run_test(size=(80, 30)) as pilot:
        app.switch_profile(DEMO_TOGETHER)
        app.open_new_job(path=train)
        await wait_until(pilot, lambda: isinstance(app.screen, NewJobScreen))
        form = app.screen
        assert isinstance(form, NewJobScreen)
        await pilot.pause()
        assert str(form.query_one("#lr-label", Label).render()) == "LR"  # absolute, not ×
        assert form.query_one("#adaptation").parent.display  # LoRA or full, offered
        assert not form.query_one("#deadline").display  # OpenAI's date is not Together's
        form.query_one("#adaptation", Select).value = "full"
        form.query_one("#lr", Input).value = "0.00002"
        form.query_one("#epochs", Input).value = "2"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, JobScreen))
        job_screen = app.screen
        assert isinstance(job_screen, JobScreen)
        await wait_until(pilot, lambda: job_screen.job is not None)
        created = [n for n in notices(app) if n.startswith("Created job")]
        assert created and "Together AI's estimate $" in created[-1]
        job = job_screen.job
        assert job is not None and job.model == TOGETHER_BASE
        with emu.together.state.lock:
            sent = emu.together.state.jobs[job.id].spec
        assert sent.training_type["type"] == "Full" and sent.learning_rate == 2e-5
        assert sent.n_epochs == 2
        await wait_until(
            pilot, lambda: job_screen.job is not None and job_screen.job.status.finished
        )
        assert job_screen.job.status is JobStatus.SUCCEEDED


async def test_openai_profiles_see_the_closing_date_and_the_form_hides_together_knobs(
    emu: Emulator, tmp_path: Path
) -> None:
    app = demo_app(tmp_path, emu, clock=lambda: datetime.datetime(2026, 11, 29).timestamp())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("j")
        await wait_until(pilot, lambda: isinstance(app.screen, JobsScreen))
        line = str(app.screen.query_one("#jobs-deadline").render())
        assert line == "OpenAI stops taking new fine-tuning jobs on 2027-01-06: 38 days left"
        app.open_new_job()
        await wait_until(pilot, lambda: isinstance(app.screen, NewJobScreen))
        form = app.screen
        await pilot.pause()
        assert "38 days left" in str(form.query_one("#deadline").render())
        assert not form.query_one("#adaptation").parent.display
        assert str(form.query_one("#lr-label", Label).render()) == "LR ×"


async def test_azure_asks_for_the_deployment_before_chat(emu: Emulator, tmp_path: Path) -> None:
    from tests.helpers import train_model

    job = await train_model(emu, write_examples(tmp_path / "t.jsonl", 20), "bot")
    endpoint = emu.base_url.removesuffix("/v1")
    azure = Profile("az", kind="azure", azure_endpoint=endpoint, api_version="v1")
    store = MemorySettingsStore(
        Settings(active_profile="az", profiles={"az": azure}), keys={"az": TEST_KEY}, env={}
    )
    app = make_app(tmp_path, services=Services(settings_store=store, poll_scale=0.01))
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.sub_title.startswith("az · Azure OpenAI v1")
        app.open_job(job.id)
        await wait_until(pilot, lambda: isinstance(app.screen, JobScreen))
        screen = app.screen
        await wait_until(pilot, lambda: screen.job is not None)
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptModal))
        assert "deploy" in app.screen.question and job.fine_tuned_model in app.screen.question
        emu.deploy(job.fine_tuned_model, "support-bot")
        await pilot.press(*"support-bot", "enter")
        await wait_until(pilot, lambda: app.screen.__class__.__name__ == "ChatScreen")
        chat = app.screen
        await wait_until(pilot, lambda: chat.threads and chat.threads[0].model == "support-bot")


async def test_move_a_finished_openai_job_to_together_from_the_job_screen(
    emu: Emulator, tmp_path: Path
) -> None:
    """`m` on a finished job: the plan with both costs, ctrl+s moves it, and the app follows
    the new job on the other profile."""
    from tuner.api.jobs.spec import JobSpec
    from tuner.api.open import open_service
    from tuner.ui.modals.migrate import MigrateModal

    train = write_examples(tmp_path / "train.jsonl", 20)
    store = demo_settings_store(emu)
    source = open_service(store.resolve(store.load(), DEMO_OPENAI))
    try:
        uploaded = await source.upload_file(train)
        job = await source.create_job(JobSpec("gpt-4o-mini-2024-07-18", uploaded.id))
        while not (job := await source.retrieve_job(job.id)).finished:
            emu.advance(600)
    finally:
        await source.close()
    app = demo_app(tmp_path, emu)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_job(job.id)
        await wait_until(pilot, lambda: isinstance(app.screen, JobScreen))
        await wait_until(pilot, lambda: app.screen.job is not None)
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, MigrateModal))
        modal = app.screen
        await wait_until(pilot, lambda: not modal.query_one("#migrate-move").disabled)
        costs = str(modal.query_one("#migrate-costs").render())
        assert "Together AI" in costs
        assert costs.startswith("demo-openai · OpenAI · emulator: ")  # as the title names it
        await pilot.press("ctrl+s")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, JobScreen) and app.screen.job_id != job.id,
        )
        assert app.sub_title.startswith("demo-together")
        moved = app.screen
        await wait_until(pilot, lambda: moved.job is not None)
        assert moved.job.model == TOGETHER_BASE
        # Once the copy has trained, E measures it against the model it was moved from.
        origin = app.move_origin(DEMO_TOGETHER, moved.job_id)
        assert origin is not None and origin.source_job == job.id
        assert (origin.source_model, origin.source_profile) == (job.fine_tuned_model, DEMO_OPENAI)
        assert any("E on its screen evaluates the old model" in t for t in notices(app))
        emu.advance(10**6)
        await wait_until(pilot, lambda: moved.job.status is JobStatus.SUCCEEDED)
        await pilot.press("E")
        await wait_until(
            pilot, lambda: isinstance(app.screen, EvalScreen) and app.screen.setup.models
        )
        setup = app.screen.setup
        assert setup.models == [
            f"{job.fine_tuned_model}@{DEMO_OPENAI}",
            f"{moved.job.fine_tuned_model}@{DEMO_TOGETHER}",
        ]
        assert (setup.job, setup.job_profile) == (job.id, DEMO_OPENAI)


async def test_a_job_screen_gives_way_when_the_profile_changes(
    emu: Emulator, tmp_path: Path
) -> None:
    """Its job, controls and models are the old profile's: back to the new profile's list."""
    job_id = emu.add_job("gpt-4o-mini-2024-07-18", write_examples(tmp_path / "train.jsonl", 12))
    emu.advance(3600)
    app = demo_app(tmp_path, emu)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_job(job_id)
        await wait_until(pilot, lambda: isinstance(app.screen, JobScreen))
        await wait_until(pilot, lambda: app.screen.job is not None)
        app.switch_profile(DEMO_TOGETHER)
        await wait_until(pilot, lambda: isinstance(app.screen, JobsScreen))
        assert app.sub_title.startswith("demo-together")
