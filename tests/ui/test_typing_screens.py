"""Typing never turns into commands, and quitting or leaving never loses typed work unasked.

On the chat screen and the new-job form every printable key is text: `quick question` typed
with the focus away from the message box lands in the message box instead of quitting at the q;
a `c` in the form never jumps to chat. Escape stops a reply without taking the cursor away,
and otherwise goes back. Quitting with a draft, a replay or a filled form asks first.
"""

from __future__ import annotations

from pathlib import Path

from tests.helpers import TEST_KEY, active_connection, screen_lines, wait_until
from tests.ui.conftest import build_app
from tuner.emulator import Emulator, Fault, Hold
from tuner.ui.modals import ConfirmModal
from tuner.ui.screens.chat import ChatScreen
from tuner.ui.screens.jobs import JobsScreen
from tuner.ui.screens.new_job import NewJobScreen
from tuner.ui.widgets.chat_pane import ChatPane

MODEL = "gpt-4o-mini-2024-07-18"


async def open_chat(app, pilot) -> ChatScreen:
    app.open_chat(model=MODEL)
    await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen) and app.screen.threads)
    return app.screen


async def test_letters_typed_away_from_the_box_are_typed_into_it(
    datasets: Path, emulator: Emulator
) -> None:
    app = build_app(datasets, connection=active_connection(emulator))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_chat(app, pilot)
        screen.query_one("#primary", ChatPane).turns.focus()
        await pilot.press(*"quick question", "f", "j", "s", "c", "question_mark")
        assert app.is_running and app.current_mode == "chat"
        assert screen.prompt.value == "quick questionfjsc?"
        assert app.focused is screen.prompt


async def test_escape_stops_a_reply_keeping_the_cursor_then_goes_back(
    datasets: Path, emulator: Emulator
) -> None:
    hold = Hold(after_chunks=2)
    emulator.faults.add(Fault(path_pattern=r"/chat/completions", hold=hold))
    app = build_app(datasets, connection=active_connection(emulator))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_chat(app, pilot)
        screen.prompt.value = "Tell me"
        screen.prompt.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: hold.reached.is_set() and screen.busy)
        await pilot.press(*"next ")  # typing goes on while the reply streams
        await pilot.press("escape")
        await wait_until(pilot, lambda: not screen.busy)
        hold.release.set()
        assert app.focused is screen.prompt and app.current_mode == "chat"
        await pilot.press("escape", "escape")  # out of the box, then back to where one came from
        await wait_until(pilot, lambda: app.current_mode == "files")
        await pilot.press("c")
        await wait_until(pilot, lambda: app.current_mode == "chat")
        assert screen.prompt.value == "next "  # the draft waited


async def test_one_escape_leaves_the_box_and_typing_still_lands_in_it(
    datasets: Path, emulator: Emulator
) -> None:
    """Nothing streaming: esc only leaves the message box (the footer says a second one goes
    back); the next question typed, q and all, is typed into the box, never run as keys."""
    app = build_app(datasets, connection=active_connection(emulator))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(app, pilot)
        assert app.focused is screen.prompt
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.focused is None)
        assert app.current_mode == "chat"
        await pilot.pause()
        footer = {key: b.binding for key, b in screen.active_bindings.items() if b.enabled}
        assert footer["escape"].action == "back"
        assert "esc again: back" in screen_lines(app)[-1]
        await pilot.press(*"quick question?")
        assert app.is_running and app.current_mode == "chat"
        assert screen.prompt.value == "quick question?" and app.focused is screen.prompt
        await pilot.press("escape", "escape")
        await wait_until(pilot, lambda: app.current_mode == "files")
        assert app.is_running


async def test_quitting_with_a_draft_asks_first(datasets: Path, emulator: Emulator) -> None:
    app = build_app(datasets, connection=active_connection(emulator))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_chat(app, pilot)
        await pilot.press(*"unsent words")
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert "the message you are typing" in app.screen.question
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is screen)
        assert screen.prompt.value == "unsent words" and app.is_running
        await pilot.press("ctrl+q", "y")
        await wait_until(pilot, lambda: not app.is_running)


async def test_quitting_with_nothing_to_lose_does_not_ask(datasets: Path) -> None:
    app = build_app(datasets)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("q")
        await wait_until(pilot, lambda: not app.is_running)


async def test_the_form_takes_letters_as_text_and_asks_before_losing_them(
    tmp_path: Path,
) -> None:
    with Emulator(speed=500, api_key=TEST_KEY) as emu:
        app = build_app(tmp_path, connection=active_connection(emu))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("j")
            await wait_until(pilot, lambda: isinstance(app.screen, JobsScreen))
            await pilot.press("n")
            await wait_until(pilot, lambda: isinstance(app.screen, NewJobScreen))
            form = app.screen
            form.query_one("#model").focus()  # a select: letters are not its text
            await pilot.press("c", "q", "f", "s")
            assert app.screen is form and app.current_mode == "jobs" and app.is_running
            form.query_one("#suffix").focus()
            await pilot.press(*"chat-bot")
            assert form.query_one("#suffix").value == "chat-bot"
            await pilot.press("escape")  # typed values would be lost: asks
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
            await pilot.press("n")
            await wait_until(pilot, lambda: app.screen is form)
            await pilot.press("ctrl+q")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
            assert "new-job form" in app.screen.question
            await pilot.press("n")
            await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
            await pilot.press("y")
            await wait_until(pilot, lambda: isinstance(app.screen, JobsScreen))
