"""Choosing a prompt file to replay: the likeliest one first, a typed path, a missing one."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from tests.helpers import host_app, notices, wait_until
from tuner.ui.modals.pick_file import PickFileModal


def prompt_folder(root: Path) -> Path:
    (root / "deep").mkdir()
    (root / "deep" / "later.txt").write_text("b\n", encoding="utf-8")
    (root / "metin.txt").write_text("a\n", encoding="utf-8")
    (root / "data.jsonl").write_text("{}\n", encoding="utf-8")
    return root


def problem(modal: PickFileModal) -> str:
    label = modal.query_one("#path-problem", Static)
    return str(label.render()) if label.display else ""


async def test_enter_on_the_empty_field_takes_the_likeliest_file(tmp_path: Path) -> None:
    root = prompt_folder(tmp_path)
    app = host_app()
    async with app.run_test(size=(90, 30)) as pilot:
        modal = PickFileModal(root)
        app.push_screen(modal, app.results.append)
        await wait_until(pilot, lambda: modal.query_one("#files").option_count == 2)
        field = modal.query_one("#path")
        assert field.value == ""  # typing starts a path, it is not appended to one
        assert field.placeholder.startswith("metin.txt")  # shortest path first
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.results == [root / "metin.txt"])


async def test_typing_replaces_the_suggestion(tmp_path: Path) -> None:
    root = prompt_folder(tmp_path)
    app = host_app()
    async with app.run_test(size=(90, 30)) as pilot:
        modal = PickFileModal(root)
        app.push_screen(modal, app.results.append)
        await wait_until(pilot, lambda: modal.query_one("#files").option_count == 2)
        await pilot.press(*"deep/later.txt", "enter")  # after the suggestion was found
        await wait_until(pilot, lambda: app.results == [root / "deep" / "later.txt"])


async def test_a_wrong_path_is_said_in_the_dialog_until_corrected(tmp_path: Path) -> None:
    root = prompt_folder(tmp_path)
    app = host_app()
    async with app.run_test(size=(90, 30)) as pilot:
        modal = PickFileModal(root)
        app.push_screen(modal, app.results.append)
        await wait_until(pilot, lambda: modal.query_one("#files").option_count == 2)
        await pilot.press(*"nope.txt", "enter")
        await wait_until(pilot, lambda: problem(modal))
        assert problem(modal) == "nope.txt: no such file"
        assert not notices(app) and not app.results and app.screen is modal
        modal.query_one("#path").value = "deep"
        await pilot.press("enter")
        await wait_until(pilot, lambda: problem(modal) == "deep: is a folder")
        await pilot.press("backspace")  # correcting it clears the message
        assert problem(modal) == ""
