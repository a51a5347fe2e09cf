"""Help is generated from the live bindings: grouped, remapped keys included, unbuilt hidden."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from tests.ui.conftest import build_app
from tuner.ui.screens.help import HelpScreen, collect_keys


def help_text(app) -> str:
    console = Console(width=100, record=True, file=io.StringIO())
    for widget in app.screen.query(".group-title, .group-keys"):
        console.print(widget.content)
    return console.export_text()


async def test_groups_screen_widget_and_global_keys(datasets: Path, settle) -> None:
    app = build_app(datasets)
    async with app.run_test() as pilot:
        await settle(pilot)
        groups = [g.title for g in collect_keys(app.screen)]
        assert groups[0] == "Files screen"
        assert groups[1] == "Everywhere"
        assert groups[-1] == "File tree"
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = help_text(app)
        for expected in ("Validate", "Settings", "Quit", "Light/dark", "^p", "^q"):
            assert expected in text
        assert "? / f1" in text
        assert "Jobs" in text and "Chat" in text


async def test_shows_remapped_keys(datasets: Path, settle) -> None:
    app = build_app(datasets)
    async with app.run_test() as pilot:
        await settle(pilot)
        app.set_keymap({"files.validate": "ctrl+v"})
        await pilot.press("f1")
        await settle(pilot)
        assert "^v" in help_text(app)


async def test_help_for_the_settings_screen(datasets: Path, settle) -> None:
    app = build_app(datasets)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        app.action_help()
        await settle(pilot)
        text = help_text(app)
        assert "Settings screen" in text and "Use profile" in text and "Save" in text
