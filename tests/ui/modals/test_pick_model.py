"""The model picker: the service's list in groups, a filter, any id typed, a failed listing."""

from __future__ import annotations

from tests.helpers import host_app, wait_until
from tuner.api.chat.models import ChatModel
from tuner.api.errors import ErrorKind, ServiceError
from tuner.ui.modals.pick_model import ModelChoice, ModelSource, PickModelModal

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
        assert app.results == [ModelChoice(MODELS[1].id)]


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
        await wait_until(pilot, lambda: app.results == [ModelChoice("my-own-model")])


async def test_escape_cancels() -> None:
    app = host_app()
    async with app.run_test(size=(90, 30)) as pilot:
        app.push_screen(PickModelModal(None, current="gpt-4o-mini"), app.results.append)
        await wait_until(pilot, lambda: isinstance(app.screen, PickModelModal))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.results == [None])


# ------------------------------------------------------------------ another profile's models

TOGETHER = [ChatModel("Qwen/Qwen2.5-7B-Instruct", "base"), ChatModel("openai/gpt-oss-20b", "base")]


async def together() -> list[ChatModel]:
    return TOGETHER


def compare_modal(*others: ModelSource) -> PickModelModal:
    return PickModelModal(
        loader, title="Compare", profile="work", label="work · OpenAI", others=others
    )


async def test_ctrl_o_lists_another_profile_and_says_which() -> None:
    app = host_app()
    async with app.run_test(size=(80, 24)) as pilot:
        modal = compare_modal(ModelSource("tg", "tg · Together AI", together))
        app.push_screen(modal, app.results.append)
        await wait_until(pilot, lambda: modal.models == MODELS)
        assert "Models of work · OpenAI" in str(modal.query_one("#models-profile").render())
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: modal.models == TOGETHER)
        assert "Models of tg · Together AI" in str(modal.query_one("#models-profile").render())
        await pilot.press(*"qwen", "enter")
        await wait_until(pilot, lambda: app.results)
        assert app.results == [ModelChoice("Qwen/Qwen2.5-7B-Instruct", "tg")]


async def test_the_last_rows_lead_to_the_other_profiles_even_when_one_fails() -> None:
    app = host_app()
    async with app.run_test(size=(80, 24)) as pilot:
        modal = compare_modal(
            ModelSource("broken", "broken · Azure OpenAI", failing),
            ModelSource("tg", "tg · Together AI", together),
        )
        app.push_screen(modal, app.results.append)
        await wait_until(pilot, lambda: modal.models)
        listed = modal.query_one("#models")
        rows = [str(listed.get_option_at_index(i).prompt) for i in range(listed.option_count)]
        assert rows[-2:] == [
            "another profile's model: broken · Azure OpenAI",
            "another profile's model: tg · Together AI",
        ]
        await pilot.press("down", "end", "up", "enter")  # the broken profile's row
        await wait_until(
            pilot, lambda: "Cannot reach" in str(modal.query_one("#models-status").render())
        )
        assert modal.listed.profile == "broken"
        await pilot.press("down", "end", "enter")  # its list failed: the rows still lead on
        await wait_until(pilot, lambda: modal.listed.profile == "tg" and modal.models)
        await pilot.press("ctrl+o")  # and round again to the first
        await wait_until(pilot, lambda: modal.listed.profile == "work" and modal.models == MODELS)
        await pilot.press(*"my-deployment", "enter")  # a typed id is the listed profile's
        await wait_until(pilot, lambda: app.results == [ModelChoice("my-deployment", "work")])


async def test_without_other_profiles_it_is_a_plain_picker() -> None:
    app = host_app()
    async with app.run_test(size=(80, 24)) as pilot:
        modal = PickModelModal(loader)
        app.push_screen(modal, app.results.append)
        await wait_until(pilot, lambda: modal.models)
        assert not modal.query("#models-profile")
        assert modal.query_one("#models").option_count == len(MODELS)  # no profile rows
        await pilot.press("ctrl+o")  # nothing to move to
        assert modal.listed.profile is None
