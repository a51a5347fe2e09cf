"""The small dialogs: yes/no, one line of text, a read-only report."""

from __future__ import annotations

from tests.helpers import host_app, wait_until
from tuner.ui.modals import ConfirmModal, PromptModal, ReportModal


async def test_confirm_answers_and_a_stray_enter_is_no() -> None:
    app = host_app()
    async with app.run_test(size=(80, 20)) as pilot:
        for keys, answer in (
            (["y"], True),
            (["n"], False),
            (["escape"], False),
            (["enter"], False),
        ):
            app.push_screen(ConfirmModal("Delete it?", yes="Delete"), app.results.append)
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
            await pilot.press(*keys)
            await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmModal))
            assert app.results[-1] is answer


async def test_prompt_returns_the_text_or_none() -> None:
    app = host_app()
    async with app.run_test(size=(80, 20)) as pilot:
        app.push_screen(PromptModal("Price?", placeholder="3.00"), app.results.append)
        await wait_until(pilot, lambda: isinstance(app.screen, PromptModal))
        await pilot.press(*"2.5", "enter")
        await wait_until(pilot, lambda: app.results)
        app.push_screen(PromptModal("Price?"), app.results.append)
        await wait_until(pilot, lambda: isinstance(app.screen, PromptModal))
        await pilot.press("x", "escape")
        await wait_until(pilot, lambda: len(app.results) == 2)
        assert app.results == ["2.5", None]


async def test_report_lists_its_findings_and_closes() -> None:
    app = host_app()
    async with app.run_test(size=(80, 20)) as pilot:
        modal = ReportModal("Converted with problems", "1 could not be converted:", ["line 3"])
        app.push_screen(modal, app.results.append)
        await wait_until(
            pilot, lambda: "line 3" in str(modal.query_one(".findings Static").render())
        )
        await pilot.press("q")
        await wait_until(pilot, lambda: app.results == [None])
