"""Make the README screenshots: drive the app on the demo data and save SVGs to screenshots/.

Each shot is (name, terminal size, setup coroutine). To add a screen, add a line to SHOTS.

    python scripts/screenshots.py
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from textual.pilot import Pilot  # noqa: E402
from textual.worker import WorkerFailed  # noqa: E402

from tuner.demo import copy_demo_data  # noqa: E402
from tuner.ui.app import make_app  # noqa: E402
from tuner.ui.services import ActiveConnection, MemorySettingsStore, Services  # noqa: E402
from tuner.ui.widgets.data_tree import DataTree  # noqa: E402

OUT = ROOT / "screenshots"
Setup = Callable[[Pilot[Any]], Awaitable[None]]


async def settle(pilot: Pilot[Any]) -> None:
    """Wait for every worker but the directory tree's lifelong loader."""
    app = pilot.app
    for _ in range(50):
        await pilot.pause()
        pending = [w for w in app.workers if w.group != "_loader" and not w.is_finished]
        if not pending:
            return
        with contextlib.suppress(WorkerFailed):
            await app.workers.wait_for_complete(pending)


async def browser(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    tree = pilot.app.screen.query_one(DataTree)
    for node in list(tree.root.children):
        node.expand()
    await settle(pilot)
    for node in (n for c in tree.root.children for n in c.children):
        if node.data is not None and node.data.path.name == "broken.jsonl":
            tree.move_cursor(node)
    await settle(pilot)
    await pilot.press("v")
    await settle(pilot)


async def help_screen(pilot: Pilot[Any]) -> None:
    await browser(pilot)
    await pilot.press("question_mark")
    await settle(pilot)


async def settings(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("s")
    await settle(pilot)


SHOTS: list[tuple[str, tuple[int, int], Setup]] = [
    ("files", (80, 24), browser),
    ("files-wide", (120, 36), browser),
    ("help", (80, 24), help_screen),
    ("settings", (80, 24), settings),
]


async def shoot(folder: Path, name: str, size: tuple[int, int], setup: Setup) -> Path:
    app = make_app(
        folder,
        services=Services(settings_store=MemorySettingsStore()),
        connection=ActiveConnection(label="demo · emulator", demo=True),
    )
    async with app.run_test(size=size) as pilot:
        await setup(pilot)
        app.save_screenshot(f"{name}.svg", str(OUT))
    return OUT / f"{name}.svg"


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tuner-shots-") as tmp:
        folder = copy_demo_data(Path(tmp))
        for name, size, setup in SHOTS:
            print(await shoot(folder, name, size, setup))


if __name__ == "__main__":
    asyncio.run(main())
