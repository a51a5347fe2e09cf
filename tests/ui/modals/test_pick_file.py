"""Choosing a prompt file to replay: the likeliest one first, a typed path, a missing one."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import host_app, notices, wait_until
from tuner.ui.modals.pick_file import PickFileModal


async def test_enter_takes_the_first_prompt_file_and_a_missing_path_is_refused(
    tmp_path: Path,
) -> None:
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / "later.txt").write_text("b\n", encoding="utf-8")
    (tmp_path / "metin.txt").write_text("a\n", encoding="utf-8")
    (tmp_path / "data.jsonl").write_text("{}\n", encoding="utf-8")
    app = host_app()
    async with app.run_test(size=(90, 30)) as pilot:
        modal = PickFileModal(tmp_path)
        app.push_screen(modal, app.results.append)
        await wait_until(pilot, lambda: modal.query_one("#files").option_count == 2)
        field = modal.query_one("#path")
        assert field.value == "metin.txt"  # shortest path first
        field.value = "nope.txt"
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("No such file" in n for n in notices(app)))
        assert not app.results
        field.value = "deep/later.txt"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.results == [tmp_path / "deep" / "later.txt"])
