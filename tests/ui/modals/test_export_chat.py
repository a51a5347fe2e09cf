"""Exporting a conversation as training data: pick exchanges, correct a reply, write the file;
a path that cannot be written is said in the dialog, which stays open."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Input, TextArea

from tests.helpers import host_app, wait_until
from tuner.api.chat.transcripts import TranscriptWriter, load_transcript
from tuner.ui.modals.export_chat import EditReplyModal, Exported, ExportModal


def conversation(folder: Path) -> Path:
    writer = TranscriptWriter.start("gpt-4o-mini", "Be brief.", directory=folder)
    for n in range(3):
        writer.append("user", f"question {n}")
        writer.append("assistant", f"answer {n}")
    return writer.path


async def test_drop_one_correct_one_and_write(tmp_path: Path) -> None:
    transcript = load_transcript(conversation(tmp_path))
    out = tmp_path / "out" / "export.jsonl"
    app = host_app()
    async with app.run_test(size=(100, 30)) as pilot:
        modal = ExportModal(transcript, out)
        app.push_screen(modal, app.results.append)
        await wait_until(pilot, lambda: modal.query_one("#export-path", Input))
        await pilot.press("down", "space")  # drop the second exchange
        await pilot.press("up", "e")
        await wait_until(pilot, lambda: isinstance(app.screen, EditReplyModal))
        app.screen.query_one(TextArea).text = "a better answer"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportModal))
        modal.query_one("#export-path", Input).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.results)
        assert app.results == [Exported(out, 2)]
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert [row["messages"][-1]["content"] for row in rows] == ["a better answer", "answer 2"]


async def test_a_path_that_cannot_be_written_keeps_the_dialog_open(tmp_path: Path) -> None:
    transcript = load_transcript(conversation(tmp_path))
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    app = host_app()
    async with app.run_test(size=(100, 30)) as pilot:
        modal = ExportModal(transcript, blocker / "export.jsonl")
        app.push_screen(modal, app.results.append)
        await wait_until(pilot, lambda: modal.query_one("#export-path", Input))
        modal.query_one("#export-path", Input).focus()
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: "Not written" in str(modal.query_one("#export-error").render())
        )
        assert app.screen is modal and not app.results


async def test_a_reply_with_escapes_is_edited_as_shown_and_kept_exact() -> None:
    """The editor draws a reply's control characters; kept unchanged, the reply is returned
    exactly as the model wrote it; changed, as the user wrote it."""
    reply = "plain \x1b]0;title\x07 and \x1b[2J [/]x"
    app = host_app()
    async with app.run_test(size=(100, 30)) as pilot:
        for change in (None, "rewritten"):
            modal = EditReplyModal("question \x1b[2J", reply)
            app.push_screen(modal, app.results.append)
            await wait_until(pilot, lambda: modal.query_one(TextArea).text)  # noqa: B023
            area = modal.query_one(TextArea)
            assert area.text == "plain ␛]0;title␇ and ␛[2J [/]x"
            if change is not None:
                area.text = change
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: len(app.results) == (1 if change is None else 2))  # noqa: B023
    assert app.results == [reply, "rewritten"]


async def test_a_failed_write_says_why_and_another_path_then_writes(tmp_path: Path) -> None:
    """The reason is said (the dialog is the only place it shows) and the dialog stays usable."""
    transcript = load_transcript(conversation(tmp_path))
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    app = host_app()
    async with app.run_test(size=(100, 30)) as pilot:
        modal = ExportModal(transcript, blocker / "export.jsonl")
        app.push_screen(modal, app.results.append)
        await wait_until(pilot, lambda: modal.query_one("#export-path", Input))
        field = modal.query_one("#export-path", Input)
        field.focus()
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: "Not written" in str(modal.query_one("#export-error").render())
        )
        # The folder's place is taken by a file: the system's reason, in one line.
        assert str(modal.query_one("#export-error").render()) == "Not written: file exists"
        field.value = str(tmp_path / "export.jsonl")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.results)
        assert app.results == [Exported(tmp_path / "export.jsonl", 3)]
