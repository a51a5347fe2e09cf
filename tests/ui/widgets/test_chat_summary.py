"""The line above the chat: the settings every turn is sent with, or why a typed one is not."""

from __future__ import annotations

from tests.helpers import host_app
from tuner.api.chat.session import ChatSettings
from tuner.ui.widgets.chat_summary import ChatSummary


async def test_the_line_says_the_settings_in_force() -> None:
    summary = ChatSummary()
    async with host_app(summary).run_test(size=(120, 3)):
        summary.show(ChatSettings("Be  brief.\nAlways.", temperature=0.7))
        assert summary.full.plain == (
            "temp 0.7 · freq — · pres — · max — · system: Be brief. Always. · f2 edits"
        )
        summary.show(ChatSettings(max_tokens=50), "temperature: 'hot' is not a number")
        assert summary.full.plain == (
            "⚠ temperature: 'hot' is not a number: not used, still "
            "temp — · freq — · pres — · max 50 · f2 edits"
        )
