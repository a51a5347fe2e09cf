"""The model picker: the service's list in groups, a filter, any id typed, a failed listing."""

from __future__ import annotations

from tests.helpers import host_app, wait_until
from tuner.api.chat_models import ChatModel
from tuner.api.errors import ErrorKind, ServiceError
from tuner.ui.modals.pick_model import PickModelModal

MODELS = [
    ChatModel("ft:gpt-4o-mini-2024-07-18:org:bot:x1", "fine_tuned", 2, "ftjob-1"),
    ChatModel("ft:gpt-4o-mini-2024-07-18:org:bot:x1:ckpt-step-10", "checkpoint", 1, "ftjob-1"),
    ChatModel("gpt-4o-mini-2024-07-18", "base"),
]


async def loader() -> list[ChatModel]:
    return MODELS


async def failing() -> list[ChatModel]:
    raise ServiceError(ErrorKind.CONNECTION, "Cannot reach the service")


async def test_picks_from_the_list_and_filters() -> None:
    app = host_app()
    async with app.run_test(size=(90, 30)) as pilot:
        modal = PickModelModal(loader)
        app.push_screen(modal, app.results.append)
        await wait_until(pilot, lambda: modal.models)
        assert "3 models" in str(modal.query_one("#models-status").render())
        await pilot.press(*"ckpt")
        await wait_until(pilot, lambda: modal.query_one("#models").option_count == 1)
        assert "1 of 3 models" in str(modal.query_one("#models-status").render())
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.results)
        assert app.results == [MODELS[1].id]


async def test_any_typed_id_works_even_when_listing_fails() -> None:
    app = host_app()
    async with app.run_test(size=(90, 30)) as pilot:
        modal = PickModelModal(failing)
        app.push_screen(modal, app.results.append)
        await wait_until(
            pilot, lambda: "cannot list models" in str(modal.query_one("#models-status").render())
        )
        assert "Cannot reach the service" in str(modal.query_one("#models-status").render())
        await pilot.press(*"my-own-model", "enter")
        await wait_until(pilot, lambda: app.results == ["my-own-model"])


async def test_escape_cancels() -> None:
    app = host_app()
    async with app.run_test(size=(90, 30)) as pilot:
        app.push_screen(PickModelModal(None, current="gpt-4o-mini"), app.results.append)
        await wait_until(pilot, lambda: isinstance(app.screen, PickModelModal))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.results == [None])
