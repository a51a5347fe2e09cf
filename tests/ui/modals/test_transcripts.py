"""Past conversations: every saved transcript listed, newest first; enter reopens one."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import host_app, wait_until
from tuner.api.chat.transcripts import CompareSide, TranscriptWriter, list_transcripts
from tuner.data.chat_cost import UsageTotals, describe_totals
from tuner.ui.modals.transcripts import TranscriptsModal, describe


async def test_lists_saved_conversations_and_returns_the_chosen_one(tmp_path: Path) -> None:
    first = TranscriptWriter.start("gpt-4o-mini", directory=tmp_path, title="replay metin.txt")
    first.append("user", "hi")
    first.append("assistant", "hello")
    second = TranscriptWriter.start("ft:m:org:bot:x", directory=tmp_path)
    second.append("user", "again")
    app = host_app()
    async with app.run_test(size=(100, 30)) as pilot:
        modal = TranscriptsModal(tmp_path)
        app.push_screen(modal, app.results.append)
        await wait_until(pilot, lambda: modal.query_one("#transcripts").option_count == 2)
        assert "2 saved" in str(modal.query_one("#transcripts-status").render())
        await pilot.press("enter")  # the newest first
        await wait_until(pilot, lambda: app.results == [second.path])


async def test_says_when_there_is_nothing_yet(tmp_path: Path) -> None:
    app = host_app()
    async with app.run_test(size=(100, 30)) as pilot:
        modal = TranscriptsModal(tmp_path / "none")
        app.push_screen(modal, app.results.append)
        await wait_until(
            pilot,
            lambda: "No saved" in str(modal.query_one("#transcripts-status").render()),
        )


async def test_counts_turns_as_the_chat_header_does(tmp_path: Path) -> None:
    """A turn is a prompt and its reply: two exchanges read "2 turns" here and in the chat
    header (`describe_totals`), not 4 (every message) or 5 (with the system prompt)."""
    writer = TranscriptWriter.start("gpt-4o-mini", "Be brief.", directory=tmp_path)
    writer.append("system", "Be brief.")
    for prompt in ("hi", "again"):
        writer.append("user", prompt)
        writer.append("assistant", "ok")
    (info,) = list_transcripts(tmp_path)
    assert "2 turns" in describe(info).plain
    assert " · 2 turns · " in describe_totals(UsageTotals(turns=2))


async def test_a_comparison_is_one_entry_naming_both_models_and_profiles(tmp_path: Path) -> None:
    sides = (CompareSide("ft:m:org:bot:x", "old"), CompareSide("Qwen/Qwen2.5-7B-Instruct", "new"))
    writer = TranscriptWriter.start(sides[0].model, directory=tmp_path, compare=sides)
    writer.append("user", "hi")
    writer.append("assistant", "a", side=0)
    writer.append("assistant", "b", side=1)
    (info,) = list_transcripts(tmp_path)
    shown = describe(info).plain
    assert "ft:m:org:bot:x vs Qwen/Qwen2.5-7B-Instruct  old vs new  1 turn" in shown
    app = host_app()
    async with app.run_test(size=(100, 30)) as pilot:
        modal = TranscriptsModal(tmp_path)
        app.push_screen(modal, app.results.append)
        await wait_until(pilot, lambda: modal.query_one("#transcripts").option_count == 1)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.results == [writer.path])
