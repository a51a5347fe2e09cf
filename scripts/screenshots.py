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
from tuner.ui.screens.files import FilesScreen  # noqa: E402
from tuner.ui.services import MemorySettingsStore, Services  # noqa: E402
from tuner.ui.session import ActiveConnection  # noqa: E402
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


async def wait_for_badges(pilot: Pilot[Any]) -> None:
    """The browser checks small files by itself a moment after it opens: wait for the badges."""
    screen = pilot.app.screen
    assert isinstance(screen, FilesScreen)
    for _ in range(2000):
        if screen.auto_checks_done():
            break
        await asyncio.sleep(0.01)
    await settle(pilot)


async def browser(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    tree = pilot.app.screen.query_one(DataTree)
    for node in list(tree.root.children):
        node.expand()
    await settle(pilot)
    await wait_for_badges(pilot)
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


# -- the jobs screens: each shot gets its own emulator with a frozen clock, moved by `advance`.


async def _jobs_demo(pilot: Pilot[Any], *, jobs: int = 1, advance: float = 0.0) -> list[str]:
    """Point the app at a fresh emulator holding `jobs` support-bot jobs; return their ids."""
    import atexit

    from tuner.api.jobs import JobSpec
    from tuner.api.service import open_service
    from tuner.config import Connection, Secret
    from tuner.emulator import Emulator

    emulator = Emulator(speed=1e-9, api_key=None, seed=3).start()
    atexit.register(emulator.stop)
    connection = Connection(profile_name="demo", base_url=emulator.base_url, api_key=Secret("demo"))
    pilot.app.set_connection(ActiveConnection("demo · emulator", connection, demo=True))
    pilot.app.services.clock = emulator.clock.now  # "now" is the emulator's frozen clock
    folder = pilot.app.start_path / "support-bot"
    ids = []
    service = open_service(connection)
    try:
        train = (await service.upload_file(folder / "train.jsonl")).id
        valid = (await service.upload_file(folder / "valid.jsonl")).id
        for n in range(jobs):
            spec = JobSpec("gpt-4o-mini-2024-07-18", train, valid, suffix=f"support-v{n + 1}")
            ids.append((await service.create_job(spec)).id)
            emulator.advance(advance if n == jobs - 1 else 3600)
    finally:
        await service.close()
    return ids


async def _wait(pilot: Pilot[Any], condition: Callable[[], bool]) -> None:
    for _ in range(500):
        with contextlib.suppress(Exception):
            if condition():
                break
        await pilot.pause(0.02)
    await pilot.pause(0.2)


async def jobs_list(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await _jobs_demo(pilot, jobs=3, advance=40)
    await pilot.press("j")
    await _wait(pilot, lambda: pilot.app.screen.table.row_count == 3)


async def new_job(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await _jobs_demo(pilot, jobs=0)
    pilot.app.open_new_job(path=pilot.app.start_path / "support-bot" / "train.jsonl")
    await _wait(pilot, lambda: "examples" in str(pilot.app.screen.query_one("#estimate").render()))


async def _job(pilot: Pilot[Any], advance: float, key: str) -> None:
    await settle(pilot)
    (job_id,) = await _jobs_demo(pilot, advance=advance)
    pilot.app.open_job(job_id)
    await _wait(pilot, lambda: len(pilot.app.screen.log_view.events) > 10)
    await pilot.press(key)
    await pilot.pause(0.3)


async def job_running(pilot: Pilot[Any]) -> None:
    await _job(pilot, 60, "l")


async def job_chart(pilot: Pilot[Any]) -> None:
    await _job(pilot, 3600, "g")
    await _wait(pilot, lambda: pilot.app.screen.chart.series.source == "result file")


async def _dataset(pilot: Pilot[Any], key: str) -> None:
    await settle(pilot)
    pilot.app.open_dataset(pilot.app.start_path / "support-bot" / "train.jsonl")
    await settle(pilot)
    pilot.app.screen.examples.go_to_line(4)
    await settle(pilot)
    if key:
        await pilot.press(key)
        await settle(pilot)


async def dataset_preview(pilot: Pilot[Any]) -> None:
    await _dataset(pilot, "")


async def dataset_problems(pilot: Pilot[Any]) -> None:
    await _dataset(pilot, "2")


async def dataset_stats(pilot: Pilot[Any]) -> None:
    await _dataset(pilot, "3")


# -- the chat screen: its own emulator (chat streams need a running clock) with a fine-tune.


async def _chat_demo(pilot: Pilot[Any]) -> str:
    """Point the app at a fresh emulator that has one fine-tuned model; return its id."""
    import atexit

    from tuner.api.jobs import JobSpec
    from tuner.api.service import open_service
    from tuner.config import Connection, Secret
    from tuner.emulator import Emulator

    emulator = Emulator(speed=5, api_key=None, seed=3).start()
    atexit.register(emulator.stop)
    connection = Connection(profile_name="demo", base_url=emulator.base_url, api_key=Secret("demo"))
    pilot.app.set_connection(ActiveConnection("demo · emulator", connection, demo=True))
    service = open_service(connection)
    try:
        folder = pilot.app.start_path / "support-bot"
        train = (await service.upload_file(folder / "train.jsonl")).id
        job = await service.create_job(JobSpec("gpt-4o-mini-2024-07-18", train, suffix="support"))
        emulator.advance(3600)
        return (await service.retrieve_job(job.id)).fine_tuned_model or ""
    finally:
        await service.close()


async def _chat_replay(pilot: Pilot[Any], *, compare: bool) -> None:
    await settle(pilot)
    tuned = await _chat_demo(pilot)
    pilot.app.open_chat(model=tuned)
    await _wait(pilot, lambda: pilot.app.screen.threads[0].model == tuned)
    screen = pilot.app.screen
    if compare:
        await screen._compare_chosen("gpt-4o-mini-2024-07-18")
    screen.start_replay(pilot.app.start_path / "prompts" / "metin.txt")
    await _wait(pilot, lambda: screen.replay.busy)
    await pilot.press("ctrl+g")
    await _wait(pilot, lambda: screen.replay.state.value == "paused" and not screen.busy)
    await pilot.press("ctrl+n")
    await _wait(pilot, lambda: screen.replay.position == 2 and not screen.busy)
    screen.prompt.cursor_blink = False


async def chat_replay(pilot: Pilot[Any]) -> None:
    await _chat_replay(pilot, compare=False)


async def chat_compare(pilot: Pilot[Any]) -> None:
    await _chat_replay(pilot, compare=True)


SHOTS: list[tuple[str, tuple[int, int], Setup]] = [
    ("files", (80, 24), browser),
    ("files-wide", (120, 36), browser),
    ("help", (80, 24), help_screen),
    ("settings", (80, 24), settings),
    ("dataset", (80, 24), dataset_preview),
    ("dataset-problems", (80, 24), dataset_problems),
    ("dataset-stats", (80, 24), dataset_stats),
    ("dataset-wide", (120, 36), dataset_preview),
    ("jobs", (80, 24), jobs_list),
    ("new-job", (80, 24), new_job),
    ("job", (80, 24), job_running),
    ("job-chart", (80, 24), job_chart),
    ("chat", (80, 24), chat_replay),
    ("chat-compare", (80, 24), chat_compare),
    ("chat-compare-wide", (120, 36), chat_compare),
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
