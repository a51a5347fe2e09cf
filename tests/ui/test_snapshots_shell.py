"""Snapshots of the shell at 80x24 and 120x40: the browser, help, settings.

The folder is made by the test with fixed names and contents; the browser shows only its
name ("datasets"), never the random temporary path, and no screen draws a clock.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import settle as settle_app
from tests.helpers import wait_for_badges
from tests.ui.conftest import FakeServices, build_app
from tuner.config import Profile, Settings
from tuner.ui.services import MemorySettingsStore, Services, ValidationSummary
from tuner.ui.widgets.data_tree import DataTree

SIZES = [(80, 24), (120, 40)]


def snapshot_app(root: Path):
    fake = FakeServices()
    fake.summary = ValidationSummary(valid=True, errors=0, warnings=0)
    settings = Settings(
        active_profile="work",
        profiles={"work": Profile(name="work", base_url="http://127.0.0.1:8080/v1")},
    )
    services = Services(
        settings_store=MemorySettingsStore(settings), validate=fake.validate, convert=fake.convert
    )
    return build_app(root, services=services)


async def expand_and_validate(pilot) -> None:
    await settle_app(pilot)
    tree = pilot.app.screen.query_one(DataTree)
    for node in list(tree.root.children):
        if node.allow_expand:
            node.expand()
    await settle_app(pilot)
    await wait_for_badges(pilot)
    train = next(
        n for c in tree.root.children for n in c.children if n.data.path.name == "train.jsonl"
    )
    tree.move_cursor(train)
    await settle_app(pilot)
    await pilot.press("v")
    await settle_app(pilot)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_browser(snap_compare, datasets: Path, size: tuple[int, int]) -> None:
    assert snap_compare(snapshot_app(datasets), terminal_size=size, run_before=expand_and_validate)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help(snap_compare, datasets: Path, size: tuple[int, int]) -> None:
    async def open_help(pilot) -> None:
        await expand_and_validate(pilot)
        await pilot.press("question_mark")
        await settle_app(pilot)

    assert snap_compare(snapshot_app(datasets), terminal_size=size, run_before=open_help)


def test_settings(snap_compare, datasets: Path) -> None:
    async def open_settings(pilot) -> None:
        await settle_app(pilot)
        await pilot.press("s")
        await settle_app(pilot)

    assert snap_compare(snapshot_app(datasets), terminal_size=(80, 24), run_before=open_settings)
