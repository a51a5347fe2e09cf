"""Screens that wait on something slow draw their frame first and fill it in after.

Opening the service imports its SDK (a second or more); a finished job's history is hundreds of
events. The new-job form, the chat's model picker and a job's screen are drawn while that goes
on, and filled in when it is done. Each test holds the slow part still with an event (the
service opener waits for the test's word) and checks the frame is there meanwhile: an order,
never a duration. The figures are `benchmarks/screens_bench.py`'s.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from tests.helpers import (
    DEADLINE,
    active_connection,
    screen_lines,
    start_job,
    wait_until,
    write_examples,
)
from tuner.api.service import FineTuningService
from tuner.config import Connection
from tuner.emulator import Emulator
from tuner.ui.app import TunerApp, make_app
from tuner.ui.services import MemorySettingsStore, Services
from tuner.ui.session import connect_service


class HeldOpener:
    """Opens the real service, but only once the test says so (`release`); `asked` is set
    when the app asks for it. Not a mock: the service it opens is the real SDK's."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.release = threading.Event()

    def __call__(self, connection: Connection) -> FineTuningService:
        self.asked.set()
        self.release.wait(DEADLINE)
        return connect_service(connection)


def held_app(root: Path, emulator: Emulator, opener: HeldOpener) -> TunerApp:
    services = Services(settings_store=MemorySettingsStore(), open_service=opener, poll_scale=0.01)
    return make_app(root, services=services, connection=active_connection(emulator))


def drawn(app: TunerApp, text: str) -> bool:
    """`text` is on the screen as drawn now."""
    return any(text in line for line in screen_lines(app))


async def test_the_new_job_form_is_drawn_before_the_service_is_open(
    tmp_path: Path, emulator: Emulator
) -> None:
    from tuner.ui.screens.new_job import NewJobScreen

    train = write_examples(tmp_path / "train.jsonl", 20)
    opener = HeldOpener()
    app = held_app(tmp_path, emulator, opener)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_new_job(path=train)
        await wait_until(pilot, lambda: isinstance(app.screen, NewJobScreen))
        await wait_until(pilot, lambda: drawn(app, "Base model") and drawn(app, "Create job"))
        await wait_until(pilot, opener.asked.is_set)  # the service is wanted (its files) ...
        assert app.session.current is None  # ... and not open: the frame did not wait for it
        form = app.screen
        assert str(form.query_one("#lr-label").render()) == "LR ×"  # laid out for OpenAI already
        opener.release.set()
        await wait_until(pilot, lambda: app.session.current is not None)
        await wait_until(pilot, lambda: "examples" in str(form.query_one("#estimate").render()))


async def test_the_model_picker_is_drawn_before_the_models_are_listed(
    tmp_path: Path, emulator: Emulator
) -> None:
    from tuner.ui.modals.pick_model import PickModelModal
    from tuner.ui.screens.chat import ChatScreen

    opener = HeldOpener()
    app = held_app(tmp_path, emulator, opener)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_chat()
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, PickModelModal))
        modal = app.screen
        await wait_until(pilot, lambda: drawn(app, "Chat with") and drawn(app, "loading models"))
        await wait_until(pilot, opener.asked.is_set)
        assert modal.models == []  # drawn, still waiting for the service
        opener.release.set()
        await wait_until(pilot, lambda: bool(modal.models))
        assert any(model.id == "gpt-4o-mini-2024-07-18" for model in modal.models)


async def test_a_finished_job_is_drawn_at_once_and_filled_in(
    tmp_path: Path, emulator: Emulator
) -> None:
    from tuner.ui.screens.job import JobScreen

    job_id = await start_job(emulator, write_examples(tmp_path / "train.jsonl", 20))
    emulator.advance(3600)
    opener = HeldOpener()
    app = held_app(tmp_path, emulator, opener)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_job(job_id)
        await wait_until(pilot, lambda: isinstance(app.screen, JobScreen))
        screen = app.screen
        await wait_until(pilot, lambda: drawn(app, "Loading job") and drawn(app, "Log"))
        await wait_until(pilot, opener.asked.is_set)
        assert screen.log_view.events == []  # the frame is up, the history not yet read
        opener.release.set()
        count = len(emulator.server_events(job_id))
        await wait_until(pilot, lambda: len(screen.log_view.events) == count)
        await wait_until(pilot, lambda: screen.job is not None and bool(screen.checkpoints))
        assert not drawn(app, "Loading job")


async def test_a_history_is_drawn_in_one_go(tmp_path: Path, emulator: Emulator) -> None:
    """Hundreds of events read at once arrive at the screen as one batch, and the job's cursor
    is saved once for them, not once per event."""
    from tuner.api.jobs.cursors import CursorStore
    from tuner.ui.screens.job import JobScreen

    job_id = await start_job(emulator, write_examples(tmp_path / "train.jsonl", 20))
    emulator.advance(3600)
    batches: list[int] = []
    app = make_app(
        tmp_path,
        services=Services(settings_store=MemorySettingsStore(), poll_scale=0.01),
        connection=active_connection(emulator),
    )
    async with app.run_test(size=(80, 24), message_hook=_count_batches(batches)) as pilot:
        app.open_job(job_id)
        await wait_until(pilot, lambda: isinstance(app.screen, JobScreen))
        screen = app.screen
        count = len(emulator.server_events(job_id))
        await wait_until(pilot, lambda: len(screen.log_view.events) == count)
    assert count > 20 and len(batches) <= 2 and sum(batches) == count
    assert CursorStore().get(job_id) == emulator.server_events(job_id)[-1]["id"]


def _count_batches(batches: list[int]) -> Any:
    from tuner.ui.screens.job_requests import EventsArrived

    def hook(message: Any) -> None:
        if isinstance(message, EventsArrived):
            batches.append(len(message.events))

    return hook
