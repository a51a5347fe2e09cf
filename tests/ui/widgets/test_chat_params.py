"""The chat parameters panel: typed values checked as they are typed, the last good ones kept."""

from __future__ import annotations

from textual.widgets import Input

from tests.helpers import collector, host_app, wait_until
from tuner.api.chat.session import ChatSettings
from tuner.ui.widgets.chat_params import ChatParams


async def test_valid_values_are_posted_and_a_bad_one_is_explained() -> None:
    params = ChatParams()
    app = host_app(params)
    hook, changes = collector(ChatParams.Changed)
    async with app.run_test(size=(60, 24), message_hook=hook) as pilot:
        params.focus_first()
        await pilot.press(*"Be brief.", "enter", *"0.5")
        await pilot.pause()
        await wait_until(pilot, lambda: changes)
        assert changes[-1].settings == ChatSettings(system_prompt="Be brief.", temperature=0.5)
        params.query_one("#param-temperature", Input).value = "9"
        await pilot.pause()
        assert "outside 0 to 2" in str(params.query_one("#param-error").render())
        assert params.settings.temperature == 0.5  # the last valid value stays in force
        params.query_one("#param-temperature", Input).value = "1"
        params.query_one("#param-max_tokens", Input).value = "ten"
        await pilot.pause()
        assert "not a whole number" in str(params.query_one("#param-error").render())


async def test_load_shows_settings_without_announcing_a_change() -> None:
    params = ChatParams()
    app = host_app(params)
    hook, changed = collector(ChatParams.Changed)
    async with app.run_test(size=(60, 24), message_hook=hook) as pilot:
        params.load(ChatSettings(system_prompt="x", max_tokens=20, frequency_penalty=-1.5))
        await pilot.pause()
        assert params.query_one("#param-max_tokens", Input).value == "20"
        assert params.query_one("#param-frequency_penalty", Input).value == "-1.5"
        assert changed == []
