"""The chat screen comparing a model of the active profile with one of another profile.

Each column talks to its own profile's service; the second profile's service is opened by the
screen through `app.services.open_service` (replaced here by one that records what it opened and
closed, the real SDK underneath) and closed when the compare ends or the app goes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.helpers import TEST_KEY, wait_until
from tests.ui.conftest import build_app
from tests.ui.test_chat_screen import open_chat, send
from tuner.api.chat.transcripts import CompareSide, list_transcripts, load_transcript
from tuner.api.open import open_service
from tuner.api.service import FineTuningService
from tuner.app_entry import DEMO_OPENAI, DEMO_TOGETHER, demo_settings_store
from tuner.config import Connection, Profile, Settings
from tuner.emulator import Emulator, Fault
from tuner.ui.modals.export_chat import ExportModal
from tuner.ui.modals.pick_model import PickModelModal
from tuner.ui.modals.transcripts import TranscriptsModal
from tuner.ui.services import MemorySettingsStore, Services
from tuner.ui.widgets.chat_pane import ChatPane

BASE = "gpt-4o-mini-2024-07-18"
OTHER = "gpt-4.1-nano-2025-04-14"
QWEN = "Qwen/Qwen2.5-7B-Instruct"


class _Recorded:
    """A real service whose `close` is recorded."""

    def __init__(self, service: FineTuningService, closed: Callable[[], None]) -> None:
        self._service = service
        self._closed = closed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._service, name)

    async def close(self) -> None:
        self._closed()
        await self._service.close()


class Opener:
    """`Services.open_service` that records every profile opened and closed."""

    def __init__(self) -> None:
        self.opened: list[str | None] = []
        self.closed: list[str | None] = []

    def __call__(self, connection: Connection) -> FineTuningService:
        service = open_service(connection)
        self.opened.append(connection.profile_name)
        name = connection.profile_name
        return _Recorded(service, lambda: self.closed.append(name))  # type: ignore[return-value]

    def open_now(self, profile: str) -> int:
        """How many services of `profile` are open now."""
        return self.opened.count(profile) - self.closed.count(profile)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(port=0, speed=500, api_key=TEST_KEY) as emu:
        yield emu


@pytest.fixture
def second() -> Iterator[Emulator]:
    with Emulator(port=0, speed=500, api_key=TEST_KEY) as emu:
        yield emu


def two_profile_app(root: Path, old: Emulator, new: Emulator, opener: Opener) -> Any:
    """Profiles `old` (active) and `new`, each on its own emulator, keys saved in memory."""
    profiles = {
        "old": Profile(name="old", kind="openai", base_url=old.base_url),
        "new": Profile(name="new", kind="openai", base_url=new.base_url),
    }
    settings = Settings(active_profile="old", profiles=profiles)
    store = MemorySettingsStore(settings, keys=dict.fromkeys(profiles, TEST_KEY), env={})
    return build_app(
        root, services=Services(settings_store=store, open_service=opener), connection=None
    )


def title(pane: ChatPane) -> str:
    return pane.query_one(".pane-title").render().plain


def answered(pane: ChatPane, count: int) -> bool:
    """`count` replies in the pane, the last one finished (its tokens shown) or failed."""
    replies = pane.replies()
    if len(replies) != count or pane.streaming:
        return False
    last = replies[-1]
    return last.has_class("-failed") or " in · " in last.query_one(".status").render().plain


async def pick_other_profile(pilot: Pilot[Any], profile: str, model: str) -> None:
    """ctrl+b, ctrl+o until `profile`'s models are listed, then `model` typed and taken."""
    app = pilot.app
    await pilot.press("ctrl+b")
    await wait_until(pilot, lambda: isinstance(app.screen, PickModelModal))
    modal = app.screen
    assert isinstance(modal, PickModelModal)
    await wait_until(pilot, lambda: modal.models)  # the active profile's models first
    while modal.listed.profile != profile:
        await pilot.press("ctrl+o")
    await wait_until(pilot, lambda: model in {m.id for m in modal.models})
    assert profile in modal.query_one("#models-profile").render().plain
    modal.query_one("#model-filter", Input).value = model
    await pilot.press("enter")


# ------------------------------------------------------------------ the demo: OpenAI and Together


async def test_the_demo_compares_openai_with_together(datasets: Path) -> None:
    pytest.importorskip("tuner.api.providers.together")
    opener = Opener()
    with Emulator(port=0, speed=500, api_key=None) as demo:  # as `tuner --demo` runs it
        store = demo_settings_store(demo)
        services = Services(settings_store=store, demo=True, open_service=opener)
        app = build_app(datasets, services=services, connection=None)
        await _demo_compare(app, opener)
    assert opener.open_now(DEMO_OPENAI) == 0  # the app closed its session


async def _demo_compare(app: Any, opener: Opener) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot, BASE)
        assert screen.threads[0].profile == DEMO_OPENAI
        await pick_other_profile(pilot, DEMO_TOGETHER, QWEN)
        await wait_until(pilot, lambda: len(screen.threads) == 2)
        first, second = screen.panes
        assert [t.profile for t in screen.threads] == [DEMO_OPENAI, DEMO_TOGETHER]
        assert title(second).startswith(f"{QWEN} · {DEMO_TOGETHER}")  # the head names it
        assert title(first).startswith(f"{BASE} · {DEMO_OPENAI}")
        await send(pilot, screen, "Merhaba")
        await wait_until(pilot, lambda: answered(first, 1) and answered(second, 1))
        await wait_until(pilot, lambda: not screen.busy)
        assert second.replies()[0].text.startswith("You asked about")
        (info,) = list_transcripts()
        assert info.model == f"{BASE} vs {QWEN}"
        saved = load_transcript(info.path)
        assert saved.header.compare == (
            CompareSide(BASE, DEMO_OPENAI),
            CompareSide(QWEN, DEMO_TOGETHER),
        )
        assert opener.open_now(DEMO_TOGETHER) == 1
        # Compare off: the Together service goes with it; the session's own stays.
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: len(screen.threads) == 1)
        await wait_until(pilot, lambda: opener.open_now(DEMO_TOGETHER) == 0)
        assert opener.open_now(DEMO_OPENAI) == 1


# ------------------------------------------------------------------ two services, one failing


async def test_each_column_talks_to_its_own_profile(
    datasets: Path, emulator: Emulator, second: Emulator
) -> None:
    opener = Opener()
    app = two_profile_app(datasets, emulator, second, opener)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_chat(pilot, BASE)
        await pick_other_profile(pilot, "new", OTHER)
        await wait_until(pilot, lambda: len(screen.threads) == 2)
        first, other = screen.panes
        # Only the second profile's service fails: only the second column says so.
        second.faults.add(Fault(path_pattern=r"/chat/completions", status=400, times=1))
        await send(pilot, screen, "Hangi model?")
        await wait_until(pilot, lambda: other.replies() and other.replies()[0].has_class("-failed"))
        await wait_until(pilot, lambda: answered(first, 1) and not screen.busy)
        await send(pilot, screen, "Peki ya şimdi?")
        await wait_until(pilot, lambda: answered(first, 2) and answered(other, 2))
        await wait_until(pilot, lambda: not screen.busy)
        saved = load_transcript(screen.threads[0].transcript.path)
        assert [t.role for t in saved.turns].count("user") == 2
        assert len(saved.side(0).turns) == 4 and len(saved.side(1).turns) == 2
        assert opener.open_now("new") == 1
    # The screen went with the app: the second profile's service was closed, not leaked.
    assert opener.open_now("new") == 0 and opener.open_now("old") == 0


async def test_the_picker_reaches_another_profile_by_arrow_keys(
    datasets: Path, emulator: Emulator, second: Emulator
) -> None:
    opener = Opener()
    app = two_profile_app(datasets, emulator, second, opener)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot, BASE)
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: isinstance(app.screen, PickModelModal))
        modal = app.screen
        await wait_until(pilot, lambda: modal.models)
        await pilot.press("down", "end", "enter")  # the last row: another profile's model
        await wait_until(pilot, lambda: modal.listed.profile == "new" and modal.models)
        await pilot.press(*"nano-2025", "enter")
        await wait_until(pilot, lambda: len(screen.threads) == 2)
        assert (screen.threads[1].model, screen.threads[1].profile) == (OTHER, "new")
        # A model list of another profile that is not taken leaves no service open.
        await pilot.press("ctrl+b")  # compare off
        await wait_until(pilot, lambda: len(screen.threads) == 1 and opener.open_now("new") == 0)
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: isinstance(app.screen, PickModelModal))
        modal = app.screen
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: modal.listed.profile == "new" and modal.models)
        assert opener.open_now("new") == 1
        await pilot.press("escape")
        await wait_until(pilot, lambda: opener.open_now("new") == 0)


# ------------------------------------------------------------------ saved and continued


async def test_a_saved_comparison_reopens_on_both_profiles(
    datasets: Path, emulator: Emulator, second: Emulator
) -> None:
    opener = Opener()
    app = two_profile_app(datasets, emulator, second, opener)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_chat(pilot, BASE)
        await screen.compare_with(OTHER, "new")
        first, other = screen.panes
        await send(pilot, screen, "Bir")
        await wait_until(pilot, lambda: answered(first, 1) and answered(other, 1))
        await wait_until(pilot, lambda: not screen.busy)
        path = screen.threads[0].transcript.path
        # Export takes the focused column's model.
        other.turns.focus()
        await pilot.press("ctrl+y")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportModal))
        assert app.screen.transcript.header.model == OTHER
        await pilot.press("escape")
        await pilot.press("ctrl+b")  # compare off, then the saved comparison back
        await wait_until(pilot, lambda: len(screen.threads) == 1 and opener.open_now("new") == 0)
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: isinstance(app.screen, TranscriptsModal))
        await wait_until(pilot, lambda: app.screen.query_one("#transcripts").option_count == 1)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(screen.threads) == 2 and len(other.replies()) == 1)
        assert [t.profile for t in screen.threads] == ["old", "new"]
        assert title(other).startswith(f"{OTHER} · new")
        await send(pilot, screen, "İki")
        await wait_until(pilot, lambda: answered(first, 2) and answered(other, 2))
        await wait_until(pilot, lambda: not screen.busy)
        saved = load_transcript(path)
        assert [t.role for t in saved.turns] == ["user", "assistant", "assistant"] * 2
        assert [t.content for t in saved.side(1).turns if t.role == "user"] == ["Bir", "İki"]
        assert len(list_transcripts()) == 1 and opener.open_now("new") == 1


# ------------------------------------------------------------------ the active profile changes


async def test_a_conversation_stays_on_its_profile_when_the_active_one_changes(
    datasets: Path, emulator: Emulator, second: Emulator
) -> None:
    """The model belongs to the service it was chosen from: after a switch to another profile
    the open conversation goes on there (its title now says where), through a service the
    screen opens, and closes when the conversation moves on."""
    opener = Opener()
    app = two_profile_app(datasets, emulator, second, opener)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_chat(pilot, BASE)
        first = screen.panes[0]
        assert title(first) == f"{BASE} · no turns yet"  # one profile, the active one: unnamed
        app.switch_profile("new")
        app.action_show("files")
        await pilot.pause()
        app.action_show("chat")
        await wait_until(pilot, lambda: title(first).startswith(f"{BASE} · old"))
        second.faults.add(Fault(path_pattern=r"/chat/completions", status=400, times=5))
        await send(pilot, screen, "Hâlâ orada mısın?")  # `new` would refuse it: `old` answers
        await wait_until(pilot, lambda: answered(first, 1) and not screen.busy)
        assert not first.replies()[0].has_class("-failed")
        assert opener.open_now("old") == 1  # opened by the screen, the session's was closed
        await pilot.press("f5")  # a new conversation on the same model and profile
        await wait_until(pilot, lambda: not first.replies())
        assert opener.open_now("old") == 1
    assert opener.open_now("old") == 0 and opener.open_now("new") == 0
