"""Snapshots of the chat screen: one model, two models compared, a replay paused mid-way, and
a comparison across two profiles (the demo's OpenAI and Together AI) with its model picker.

Replies come from the emulator, which answers the same conversation to the same model with the
same words; the view draws no clock and no file names, so the pictures are stable. Every model
is priced by its own catalog, base models and Together's included.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import settle as settle_app
from tests.helpers import wait_until
from tests.ui.conftest import build_app
from tests.ui.test_chat_screen import chat_app, open_chat, prompt_file, send
from tuner.app_entry import DEMO_TOGETHER, demo_settings_store
from tuner.emulator import Emulator, Fault, Hold
from tuner.ui.services import Services
from tuner.ui.session import ActiveConnection

OTHER = "gpt-4.1-nano-2025-04-14"
QWEN = "Qwen/Qwen2.5-7B-Instruct"
# 2026-12-01, UTC: the day the pictures are taken (retirement notes in the picker depend on it).
TODAY = 1796083200.0


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(port=0, speed=5, api_key="test-key") as emu:  # replays slow enough to pause
        yield emu


async def _idle(pilot: Any) -> None:
    screen = pilot.app.screen
    await wait_until(pilot, lambda: not screen.busy and not any(p.streaming for p in screen.panes))
    await settle_app(pilot)
    for pane in screen.panes:
        pane.turns.scroll_end(animate=False, immediate=True)
    screen.prompt.cursor_blink = False  # a blinking cursor would make the picture flaky
    # Every reply's Markdown holds its whole text (a stream's last fragments re-rendered).
    await wait_until(
        pilot,
        lambda: all(turn.body.source == turn.text for p in screen.panes for turn in p.replies()),
    )


def _one_message(datasets: Path):
    async def run_before(pilot: Any) -> None:
        screen = await open_chat(pilot)
        await send(pilot, screen, "Kaç epoch yeterli?")
        await wait_until(pilot, lambda: bool(screen.panes[0].replies()))
        await _idle(pilot)

    return run_before


def _compare(datasets: Path):
    async def run_before(pilot: Any) -> None:
        screen = await open_chat(pilot)
        await screen.compare_with(OTHER)
        await send(pilot, screen, "Kaç epoch yeterli?")
        await wait_until(pilot, lambda: all(p.replies() for p in screen.panes))
        await _idle(pilot)

    return run_before


def _mid_replay(datasets: Path, emulator: Emulator, *, compare: bool):
    async def run_before(pilot: Any) -> None:
        screen = await open_chat(pilot)
        if compare:
            await screen.compare_with(OTHER)
        # The first reply is held half-written, so the pause is asked while line 1 is in
        # flight however slow the machine: it lands after line 1, never after line 2.
        hold = Hold(after_chunks=1)
        emulator.faults.add(Fault(r"/chat/completions", hold=hold))
        screen.start_replay(prompt_file(datasets))
        await wait_until(pilot, hold.reached.is_set)
        await pilot.press("ctrl+g")  # pause after the first line
        await wait_until(pilot, lambda: screen.replay.pausing)
        hold.release.set()
        await wait_until(pilot, lambda: screen.replay.state.value == "paused" and not screen.busy)
        await pilot.press("ctrl+n")  # and step one more
        await wait_until(pilot, lambda: screen.replay.position == 2 and not screen.busy)
        await _idle(pilot)

    return run_before


def test_chat_one_model(snap_compare, datasets: Path, emulator: Emulator) -> None:
    app = chat_app(datasets, emulator)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_one_message(datasets))


def test_chat_compare_stacked(snap_compare, datasets: Path, emulator: Emulator) -> None:
    app = chat_app(datasets, emulator)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_compare(datasets))


def test_chat_replay_paused(snap_compare, datasets: Path, emulator: Emulator) -> None:
    app = chat_app(datasets, emulator)
    run_before = _mid_replay(datasets, emulator, compare=False)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_chat_compare_replay_side_by_side(snap_compare, datasets: Path, emulator: Emulator) -> None:
    app = chat_app(datasets, emulator)
    run_before = _mid_replay(datasets, emulator, compare=True)
    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


# ------------------------------------------------------------------ across profiles


@pytest.fixture
def demo() -> Iterator[Emulator]:
    with Emulator(port=0, speed=5, api_key=None) as emu:  # as `tuner --demo` runs it
        yield emu


def demo_app(datasets: Path, emulator: Emulator) -> Any:
    """The demo's two profiles; the title's words fixed here (the app's own wording of a
    connection is not what these pictures are about)."""
    pytest.importorskip("tuner.api.providers.together")
    store = demo_settings_store(emulator)
    services = Services(settings_store=store, demo=True, clock=lambda: TODAY)
    connection = store.resolve(store.load(), None)
    active = ActiveConnection("demo-openai · emulator", connection, demo=True)
    return build_app(datasets, services=services, connection=active)


def _other_profile_listed(datasets: Path):
    async def run_before(pilot: Any) -> None:
        await open_chat(pilot)
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: getattr(pilot.app.screen, "models", None))
        await pilot.press("ctrl+o")
        modal = pilot.app.screen
        await wait_until(pilot, lambda: modal.listed.profile == DEMO_TOGETHER and modal.models)
        await settle_app(pilot)
        modal.query_one("#model-filter").cursor_blink = False

    return run_before


def _across_profiles(datasets: Path):
    async def run_before(pilot: Any) -> None:
        screen = await open_chat(pilot)
        await screen.compare_with(QWEN, DEMO_TOGETHER)
        await send(pilot, screen, "Kaç epoch yeterli?")
        await wait_until(pilot, lambda: all(p.replies() for p in screen.panes))
        await _idle(pilot)

    return run_before


def test_chat_compare_picker_another_profile(snap_compare, datasets: Path, demo: Emulator) -> None:
    app = demo_app(datasets, demo)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_other_profile_listed(datasets))


def test_chat_compare_across_profiles(snap_compare, datasets: Path, demo: Emulator) -> None:
    app = demo_app(datasets, demo)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_across_profiles(datasets))
