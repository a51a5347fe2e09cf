"""The chat screen against the emulator: streaming, stop, replay, retries, compare, export."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.helpers import TEST_KEY, active_connection, notices, train_model, wait_until
from tests.ui.conftest import build_app
from tuner.api.chat.transcripts import list_transcripts, load_transcript
from tuner.api.open import open_service
from tuner.api.retry import RetryPolicy
from tuner.api.service import FineTuningService
from tuner.config import Connection
from tuner.data.analysis.analyse import analyse_file
from tuner.emulator import Emulator, Fault, Hold
from tuner.ui.app import TunerApp
from tuner.ui.modals.export_chat import EditReplyModal, ExportModal
from tuner.ui.modals.transcripts import TranscriptsModal
from tuner.ui.screens.chat import ChatScreen
from tuner.ui.services import MemorySettingsStore, Services
from tuner.ui.session import ActiveConnection
from tuner.ui.widgets.chat_pane import ChatPane, ChatTurn

BASE = "gpt-4o-mini-2024-07-18"
FAST_RETRY = RetryPolicy(attempts=3, base=0.001, cap=0.005)
PROMPTS = [f"Soru {n}: ne önerirsin?" for n in range(1, 11)]


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(port=0, speed=500, api_key=TEST_KEY) as emu:
        yield emu


def chat_app(root: Path, emu: Emulator) -> TunerApp:
    return build_app(root, connection=active_connection(emu, "test · emulator"))


async def open_chat(pilot: Pilot[Any], model: str = BASE) -> ChatScreen:
    app = pilot.app
    app.open_chat(model=model)  # type: ignore[attr-defined]
    await wait_until(
        pilot,
        lambda: (
            isinstance(app.screen, ChatScreen)
            and bool(app.screen.threads)
            and app.screen.threads[0].model == model
        ),
    )
    return app.screen  # type: ignore[return-value]


def turns(pane: ChatPane) -> list[tuple[str, str]]:
    return [(t.role, t.text) for t in pane.query(ChatTurn).results(ChatTurn)]


async def send(pilot: Pilot[Any], screen: ChatScreen, text: str) -> None:
    screen.prompt.value = text
    screen.prompt.focus()
    await pilot.press("enter")


async def fine_tune(emu: Emulator, train: Path) -> str:
    """A succeeded job's fine-tuned model id."""
    job = await train_model(emu, train, "chat")
    assert job.fine_tuned_model
    return job.fine_tuned_model


def prompt_file(root: Path, lines: list[str] = PROMPTS) -> Path:
    path = root / "metin.txt"
    path.write_text("\n".join(lines[:5]) + "\n\n" + "\n".join(lines[5:]) + "\n", encoding="utf-8")
    return path


# ------------------------------------------------------------------ talking


async def test_a_reply_streams_into_the_pane_before_it_is_finished(
    datasets: Path, emulator: Emulator
) -> None:
    hold = Hold(after_chunks=3)
    emulator.faults.add(Fault(path_pattern=r"/chat/completions", hold=hold))
    app = chat_app(datasets, emulator)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_chat(pilot)
        await send(pilot, screen, "How many epochs?")
        pane = screen.panes[0]
        await wait_until(pilot, lambda: hold.reached.is_set() and pane.replies())
        reply = pane.replies()[0]
        await wait_until(pilot, lambda: reply.body.source)  # the first pieces, shown already
        partial = reply.body.source
        assert pane.streaming and "esc stops" in reply.query_one(".status").render().plain
        hold.release.set()
        # Finished: the status under the reply has its token counts (set after the last piece).
        await wait_until(pilot, lambda: " in · " in reply.query_one(".status").render().plain)
        await wait_until(pilot, lambda: not screen.busy)
        assert reply.body.source == reply.text and reply.text.startswith(partial)
        assert len(reply.text) > len(partial) and reply.text.startswith("You asked about")
        assert "1 turn" in pane.query_one(".pane-title").render().plain


async def test_esc_stops_a_reply_and_keeps_the_partial_text(
    datasets: Path, emulator: Emulator
) -> None:
    hold = Hold(after_chunks=3)
    emulator.faults.add(Fault(path_pattern=r"/chat/completions", hold=hold))
    app = chat_app(datasets, emulator)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_chat(pilot)
        await send(pilot, screen, "Tell me everything")
        pane = screen.panes[0]
        await wait_until(pilot, lambda: hold.reached.is_set() and pane.replies())
        await wait_until(pilot, lambda: pane.replies()[0].text)
        await pilot.press("escape")
        reply = pane.replies()[0]
        await wait_until(pilot, lambda: reply.has_class("-stopped"))
        hold.release.set()  # the server may finish writing to a closed connection
        assert "stopped" in reply.query_one(".status").render().plain
        assert reply.text and screen.threads[0].messages[-1]["content"] == reply.text
        assert screen.focused is screen.prompt  # esc stopped the reply, not the typing
        saved = load_transcript(screen.threads[0].transcript.path)
        assert saved.turns[-1].partial and saved.turns[-1].content == reply.text
        # the conversation goes on after a stop
        await send(pilot, screen, "Go on")
        await wait_until(pilot, lambda: len(pane.replies()) == 2 and not pane.streaming)
        await wait_until(pilot, lambda: not screen.busy)
        assert len(screen.threads[0].messages) == 4


async def test_service_errors_are_shown_in_the_pane(datasets: Path, emulator: Emulator) -> None:
    app = chat_app(datasets, emulator)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot, "no-such-model")
        await send(pilot, screen, "hello")
        pane = screen.panes[0]
        await wait_until(
            pilot, lambda: bool(pane.replies()) and pane.replies()[0].has_class("-failed")
        )
        status = pane.replies()[0].query_one(".status").render().plain
        assert "does not exist" in status and "Traceback" not in status


class StreamsBreak:
    """A real service on the emulator whose chat streams raise what no answer of a service
    can cause (a fault in tuner's own code): the one way to reach the chat's last resort."""

    def __init__(self, service: FineTuningService) -> None:
        self.service = service

    def __getattr__(self, name: str) -> Any:
        return getattr(self.service, name)

    def without_retries(self) -> StreamsBreak:
        return self

    def stream_chat(self, request: Any) -> Any:
        raise RuntimeError("the stream broke")


async def test_a_send_that_breaks_says_the_chat_stopped(datasets: Path, emulator: Emulator) -> None:
    def opener(connection: Connection) -> Any:
        return StreamsBreak(open_service(connection))

    services = Services(settings_store=MemorySettingsStore(), open_service=opener)
    app = build_app(datasets, services=services, connection=active_connection(emulator))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        await send(pilot, screen, "hello")
        await wait_until(pilot, lambda: not screen.busy and notices(app))
        assert notices(app) == ["The chat stopped: the stream broke"]
        assert app.is_running and screen.prompt.value == ""


async def test_no_profile_says_so(datasets: Path) -> None:
    app = build_app(datasets, connection=ActiveConnection("no profile", problem="no key"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        screen = app.screen
        await wait_until(pilot, lambda: bool(screen.query(".note.-error")))
        note = screen.query_one(".note.-error").render().plain
        assert note.startswith("No profile: press s for settings")
        assert screen.prompt.disabled
        await pilot.press("s")
        assert app.current_mode == "settings"


async def test_parameters_are_edited_in_place(datasets: Path, emulator: Emulator) -> None:
    app = chat_app(datasets, emulator)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_chat(pilot)
        await pilot.press("f2")
        assert screen.focused is not None and screen.focused.id == "param-system_prompt"
        await pilot.press(*"Be brief.", "tab", *"0.3", "tab", "tab", "tab", *"4", "escape")
        assert screen.focused is screen.prompt
        assert screen.settings.system_prompt == "Be brief."
        assert screen.settings.temperature == 0.3 and screen.settings.max_tokens == 4
        assert "temp 0.3" in screen.query_one("#summary").render().plain
        await send(pilot, screen, "A long question")
        pane = screen.panes[0]
        await wait_until(pilot, lambda: bool(pane.replies()) and not pane.streaming)
        await wait_until(
            pilot, lambda: "max tokens" in pane.replies()[0].query_one(".status").render().plain
        )
        header = load_transcript(screen.threads[0].transcript.path).header
        assert header.system_prompt == "Be brief." and header.params["max_tokens"] == 4
        # a bad value is refused and the last good settings stay in force
        params = screen.query_one("#param-temperature", Input)
        params.value = "9"
        await pilot.pause()
        assert "outside 0 to 2" in screen.query_one("#param-error").render().plain
        assert screen.settings.temperature == 0.3


# ------------------------------------------------------------------ replay


async def test_replay_runs_pauses_steps_and_finishes(datasets: Path) -> None:
    with Emulator(port=0, speed=5, api_key=TEST_KEY) as emu:
        app = chat_app(datasets, emu)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await open_chat(pilot)
            screen.start_replay(prompt_file(datasets))
            pane = screen.panes[0]
            await wait_until(pilot, lambda: bool(pane.replies()))
            await pilot.press("ctrl+g")  # pause after the line in flight
            await wait_until(
                pilot, lambda: screen.replay.state.value == "paused" and not screen.busy
            )
            done = screen.replay.position
            status = screen.query_one("#replay-status").render().plain
            assert f"line {done + 1} of 10" in status and "paused" in status
            await pilot.press("ctrl+n")  # one more line, then paused again
            await wait_until(pilot, lambda: screen.replay.position == done + 1 and not screen.busy)
            assert screen.replay.state.value == "paused"
            await pilot.press("ctrl+g")
            await wait_until(pilot, lambda: screen.replay.state.value == "done")
            await wait_until(pilot, lambda: len(pane.replies()) == 10 and not pane.streaming)
            assert "done, 10 lines" in screen.query_one("#replay-status").render().plain

            shown = turns(pane)
            assert [text for role, text in shown if role == "user"] == PROMPTS
            assert [role for role, _ in shown] == ["user", "assistant"] * 10
            saved = load_transcript(screen.threads[0].transcript.path)
            assert [(t.role, t.content) for t in saved.turns] == shown
            assert saved.header.params == {}


async def test_replay_retries_rate_limits_and_skips_a_line_that_keeps_failing(
    datasets: Path, emulator: Emulator
) -> None:
    app = chat_app(datasets, emulator)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_chat(pilot)
        screen.retry = FAST_RETRY
        emulator.faults.add(
            Fault(path_pattern=r"/chat/completions", status=429, retry_after=0.01, times=2)
        )
        screen.start_replay(prompt_file(datasets, ["first", "second", "third"]), run=False)
        assert screen.replay.state.value == "ready"
        await pilot.press("ctrl+n")  # line 1 only, which needs two retries, then paused
        await wait_until(pilot, lambda: screen.replay.state.value == "paused" and not screen.busy)
        pane = screen.panes[0]
        assert screen.replay.position == 1 and not pane.replies()[0].has_class("-failed")
        emulator.faults.add(Fault(path_pattern=r"/chat/completions", status=500, times=3))
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: screen.replay.state.value == "done")
        await wait_until(pilot, lambda: len(pane.replies()) == 3 and not pane.streaming)
        first, second, third = pane.replies()
        assert second.has_class("-failed")
        assert "failed, skipped" in second.query_one(".status").render().plain
        assert not first.has_class("-failed") and not third.has_class("-failed")
        assert [m["content"] for m in screen.threads[0].messages if m["role"] == "user"] == [
            "first",
            "third",
        ]
        assert "1 failed" in screen.query_one("#replay-status").render().plain


# ------------------------------------------------------------------ compare


async def test_compare_sends_every_turn_to_both_models(datasets: Path, emulator: Emulator) -> None:
    tuned = await fine_tune(emulator, datasets / "chat" / "train.jsonl")
    app = chat_app(datasets, emulator)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot, tuned)
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: app.screen.query("#model-filter"))
        app.screen.query_one("#model-filter", Input).value = BASE
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(screen.threads) == 2)
        assert screen.query_one("#columns").has_class("-stacked")  # 80 columns: stacked
        await send(pilot, screen, "Which base model should I use?")
        tuned_pane, base_pane = screen.panes
        await wait_until(
            pilot,
            lambda: all(
                p.replies() and p.replies()[0].query_one(".status").render().plain.count(" in · ")
                for p in (tuned_pane, base_pane)
            ),
        )
        assert tuned_pane.replies()[0].text.startswith("**Short answer:**")
        assert base_pane.replies()[0].text.startswith("You asked about")
        for pane in (tuned_pane, base_pane):  # the fine-tune and the base: each at its price
            title = pane.query_one(".pane-title").render().plain
            assert "$" in title and "price unknown" not in title
        # a replay goes to both, line by line
        screen.start_replay(prompt_file(datasets, ["one", "two"]))
        await wait_until(pilot, lambda: screen.replay.state.value == "done")
        await wait_until(
            pilot,
            lambda: all(len(p.replies()) == 3 and not p.streaming for p in (tuned_pane, base_pane)),
        )
        # one transcript holds both: the prompt once, each reply tagged with its model
        (path,) = {t.transcript.path for t in screen.threads}
        saved = load_transcript(path)
        assert [side.model for side in saved.header.compare] == [tuned, BASE]
        assert [t.role for t in saved.turns].count("user") == 3
        assert [len(saved.side(i).turns) for i in (0, 1)] == [6, 6]
        assert list_transcripts()[0].model == f"{tuned} vs {BASE}"
        await pilot.resize_terminal(140, 30)
        await pilot.pause()
        assert not screen.query_one("#columns").has_class("-stacked")


# ------------------------------------------------------------------ history and export


async def test_reopen_a_past_conversation_and_continue_it(
    datasets: Path, emulator: Emulator
) -> None:
    app = chat_app(datasets, emulator)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_chat(pilot)
        await send(pilot, screen, "Remember me")
        await wait_until(pilot, lambda: not screen.busy and bool(screen.threads[0].transcript))
        path = screen.threads[0].transcript.path
        await pilot.press("f5")
        await wait_until(pilot, lambda: not screen.panes[0].replies())
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: isinstance(app.screen, TranscriptsModal))
        await wait_until(pilot, lambda: app.screen.query_one("#transcripts").option_count == 1)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(screen.panes[0].replies()) == 1)
        await send(pilot, screen, "Still there?")
        await wait_until(pilot, lambda: len(screen.panes[0].replies()) == 2 and not screen.busy)
        await wait_until(pilot, lambda: len(load_transcript(path).turns) == 4)
        assert len(list_transcripts()) == 1


async def test_export_corrected_replay_opens_in_the_dataset_screen(
    datasets: Path, emulator: Emulator, tmp_path: Path
) -> None:
    app = chat_app(datasets, emulator)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_chat(pilot)
        screen.start_replay(prompt_file(datasets))
        await wait_until(pilot, lambda: screen.replay.state.value == "done" and not screen.busy)
        await pilot.press("ctrl+y")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportModal))
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, EditReplyModal))
        app.screen.query_one("#reply").text = "A corrected answer."
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportModal))
        out = tmp_path / "exported.jsonl"
        app.screen.query_one("#export-path", Input).value = str(out)
        app.screen.query_one("#export-path", Input).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.current_mode == "dataset")
        assert app.last_dataset == out.resolve()
        lines = out.read_text(encoding="utf-8").splitlines()
        assert len(lines) == 10 and "A corrected answer." in lines[0]
        report = analyse_file(out, None)
        assert report.valid
        assert TEST_KEY not in out.read_text() + screen.threads[0].transcript.path.read_text()


async def test_opening_chat_with_a_model_puts_the_cursor_in_the_message_box(
    datasets: Path, emulator: Emulator
) -> None:
    """From a job's "try model" the user types next; focus left elsewhere ate the keys."""
    app = chat_app(datasets, emulator)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        screen.query_one("#primary", ChatPane).turns.focus()
        app.action_show("files")
        await pilot.pause()
        screen = await open_chat(pilot, "gpt-4.1-nano-2025-04-14")
        await pilot.pause()
        assert app.focused is screen.prompt


# ------------------------------------------------------------------ prompt files from the browser


async def test_enter_on_a_prompt_file_opens_chat_ready_to_replay(
    datasets: Path, emulator: Emulator, settle
) -> None:
    """Not the dataset screen: the model is asked for first, then the file waits, loaded,
    for ctrl+g (run) or ctrl+n (step)."""
    from tests.ui.test_files_screen import move_to
    from tuner.ui.modals.pick_model import PickModelModal

    app = chat_app(datasets, emulator)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await move_to(pilot, "prompts.txt", settle)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PickModelModal))
        assert "Replay prompts.txt with" in str(app.screen.query_one(".dialog").border_title)
        app.screen.query_one(Input).value = BASE
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen) and app.screen.replay)
        screen = app.screen
        assert screen.threads[0].model == BASE
        assert screen.replay_file == (datasets / "prompts.txt").resolve()
        assert screen.replay.state.value == "ready"
        assert "ready" in screen.query_one("#replay-status").render().plain
        await pilot.press("ctrl+n")  # one step: the first line is sent
        await wait_until(pilot, lambda: screen.replay.position == 1 and not screen.busy)
        assert turns(screen.panes[0])[0] == ("user", "Merhaba")


async def test_a_prompt_file_replays_into_the_model_chosen_already(
    datasets: Path, emulator: Emulator, settle
) -> None:
    from tests.ui.test_files_screen import move_to

    app = chat_app(datasets, emulator)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_chat(pilot, "gpt-4.1-mini-2025-04-14")
        await pilot.press("escape", "escape")  # out of the message box, back to the browser
        await settle(pilot)
        await move_to(pilot, "prompts.txt", settle)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen) and app.screen.replay)
        assert app.screen.threads[0].model == "gpt-4.1-mini-2025-04-14"
        assert app.screen.replay.state.value == "ready"


async def test_at_80_columns_the_header_ends_at_a_whole_word(
    datasets: Path, emulator: Emulator
) -> None:
    """A long system prompt is shown up to a word, and the line itself ends at a whole part."""
    app = chat_app(datasets, emulator)
    prompt = "Sen Lale Market'in müşteri destek asistanısın. Kısa, nazik ve net yanıt ver."
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(pilot)
        await pilot.press("f2")
        await pilot.press(*prompt, "tab", *"0.3", "escape")
        await pilot.pause()
        summary = screen.query_one("#summary")
        shown = summary.render().plain
        whole = summary.full.plain
        assert "system: Sen Lale Market'in müşteri destek … · f2 edits" in whole  # 40 cells
        assert shown == "temp 0.3 · freq — · pres — · max — · system: Sen Lale Market'in müşteri …"
        kept = shown.removesuffix(" …")
        assert whole.startswith(kept) and whole[len(kept) : len(kept) + 1] in ("", " ")
