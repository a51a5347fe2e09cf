"""Every footer fits 80 columns: each key it offers is shown with its whole label.

A footer that runs out of room cuts the last labels (`q Qu`, `? H`); this walks every screen
in its usual states and checks that what each footer offers is there in full.
"""

from __future__ import annotations

from pathlib import Path

from tests.helpers import (
    active_connection,
    screen_lines,
    settle,
    start_job,
    wait_until,
    write_examples,
)
from tests.ui.conftest import build_app
from tuner.emulator import Emulator
from tuner.ui.screens.job import JobScreen


def footer_line(app) -> str:
    return screen_lines(app)[-1]


def offered(app) -> dict[tuple[str, str], list[str]]:
    """(action, label) of each binding the footer shows now, with the keys that do it."""
    shown: dict[tuple[str, str], list[str]] = {}
    for active in app.screen.active_bindings.values():
        binding = active.binding
        if binding.show and active.enabled:
            keys = shown.setdefault((binding.action, binding.description), [])
            keys.append(app.get_key_display(binding))
    return shown


def fits(app, where: str) -> None:
    line = footer_line(app)
    for (_action, label), keys in offered(app).items():
        assert any(f"{key} {label}" in line for key in keys), (
            f"{where}: {keys[0]} {label!r} cut from the footer: {line!r}"
        )


async def test_every_footer_fits_80_columns(tmp_path: Path, datasets: Path) -> None:
    with Emulator(speed=500, api_key="test-key") as emu:
        job_id = await start_job(emu, write_examples(tmp_path / "t.jsonl", 12))
        app = build_app(datasets, connection=active_connection(emu))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            fits(app, "files")
            app.open_dataset(datasets / "chat" / "train.jsonl")
            await settle(pilot)
            fits(app, "dataset")
            await pilot.press("j")
            await settle(pilot)
            fits(app, "jobs")
            app.open_job(job_id)
            await wait_until(pilot, lambda: isinstance(app.screen, JobScreen) and app.screen.job)
            await settle(pilot)
            fits(app, "job")
            await pilot.press("escape", "n")
            await settle(pilot)
            fits(app, "new job")
            app.open_chat("gpt-4o-mini-2024-07-18")
            await settle(pilot)
            fits(app, "chat")
            await pilot.press("escape", "s")
            await settle(pilot)
            fits(app, "settings")
