"""The chat's columns alone: one pane or two, stacked when narrow, and titles that name the
profiles only when that tells something."""

from __future__ import annotations

from tests.helpers import host_app
from tuner.data.catalog.choice import default_catalog
from tuner.ui.widgets.chat_columns import SIDE_BY_SIDE_MIN_WIDTH, ChatColumns


def on_work(profile: str | None) -> bool:
    return profile in (None, "work")


async def test_two_columns_sit_side_by_side_only_when_there_is_room() -> None:
    columns = ChatColumns(default_catalog())
    async with host_app(columns).run_test(size=(80, 24)):
        assert columns.panes(0) == [columns.primary]  # no conversation yet: the first pane
        assert columns.panes(2) == [columns.primary, columns.secondary]
        columns.lay_out(80, 2)
        assert columns.has_class("-compare", "-stacked")
        columns.lay_out(SIDE_BY_SIDE_MIN_WIDTH, 2)
        assert columns.has_class("-compare") and not columns.has_class("-stacked")
        columns.lay_out(SIDE_BY_SIDE_MIN_WIDTH, 1)
        assert not columns.has_class("-compare")


async def test_profiles_are_named_when_they_differ_or_one_is_not_active() -> None:
    columns = ChatColumns(default_catalog())
    async with host_app(columns).run_test(size=(80, 24)):
        await columns.primary.reset("a")
        await columns.secondary.reset("b")
        columns.name_profiles(["work", "home"], on_work)
        assert [pane.label for pane in columns.panes(2)] == ["a · work", "b · home"]
        columns.name_profiles(["work", "work"], on_work)
        assert [pane.label for pane in columns.panes(2)] == ["a", "b"]
        columns.name_profiles(["home"], on_work)  # continued from another profile
        assert columns.primary.label == "a · home"
