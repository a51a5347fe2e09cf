"""Make the README screenshots: drive the app on the demo data and save SVGs to screenshots/.

Each shot is (name, terminal size, setup coroutine). To add a screen, add a line to SHOTS.

    python scripts/screenshots.py [NAME ...]
"""

from __future__ import annotations

import asyncio
import contextlib
import os
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
from tuner.ui.services import Services  # noqa: E402
from tuner.ui.widgets.data_tree import DataTree  # noqa: E402

OUT = ROOT / "screenshots"
Setup = Callable[[Pilot[Any], Any], Awaitable[None]]  # the pilot and the shot's emulator
FROZEN = 1e-9  # an emulator clock that stands still: times in the shot do not drift
LIVE = 5.0  # chat streams need a running clock


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


async def browser(pilot: Pilot[Any], emulator: Any = None) -> None:
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


async def help_screen(pilot: Pilot[Any], emulator: Any) -> None:
    await browser(pilot)
    await pilot.press("question_mark")
    await settle(pilot)


async def settings(pilot: Pilot[Any], emulator: Any) -> None:
    await settle(pilot)
    await pilot.press("s")
    await settle(pilot)


# -- the jobs screens: each shot's emulator has a frozen clock, moved by `advance`.


async def _jobs_demo(
    pilot: Pilot[Any], emulator: Any, *, jobs: int = 1, advance: float = 0
) -> list[str]:
    """Add `jobs` support-bot jobs on the demo's OpenAI profile; return their ids."""
    from tuner.api.jobs.spec import JobSpec

    folder = pilot.app.start_path / "support-bot"
    service = pilot.app.session.service()
    train = (await service.upload_file(folder / "train.jsonl")).id
    valid = (await service.upload_file(folder / "valid.jsonl")).id
    ids = []
    for n in range(jobs):
        spec = JobSpec("gpt-4o-mini-2024-07-18", train, valid, suffix=f"support-v{n + 1}")
        ids.append((await service.create_job(spec)).id)
        emulator.advance(advance if n == jobs - 1 else 3600)
    return ids


async def _wait(pilot: Pilot[Any], condition: Callable[[], bool]) -> None:
    for _ in range(500):
        with contextlib.suppress(Exception):
            if condition():
                break
        await pilot.pause(0.02)
    await pilot.pause(0.2)


async def jobs_list(pilot: Pilot[Any], emulator: Any) -> None:
    await settle(pilot)
    await _jobs_demo(pilot, emulator, jobs=3, advance=40)
    await pilot.press("j")
    await _wait(pilot, lambda: pilot.app.screen.table.row_count == 3)


async def new_job(pilot: Pilot[Any], emulator: Any) -> None:
    await settle(pilot)
    pilot.app.open_new_job(path=pilot.app.start_path / "support-bot" / "train.jsonl")
    await _wait(pilot, lambda: "examples" in str(pilot.app.screen.query_one("#estimate").render()))


async def _job(pilot: Pilot[Any], emulator: Any, advance: float, key: str) -> None:
    await settle(pilot)
    (job_id,) = await _jobs_demo(pilot, emulator, advance=advance)
    pilot.app.open_job(job_id)
    await _wait(pilot, lambda: len(pilot.app.screen.log_view.events) > 10)
    await pilot.press(key)
    await pilot.pause(0.3)


async def job_running(pilot: Pilot[Any], emulator: Any) -> None:
    await _job(pilot, emulator, 60, "1")


async def job_chart(pilot: Pilot[Any], emulator: Any) -> None:
    await _job(pilot, emulator, 3600, "2")
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


async def dataset_preview(pilot: Pilot[Any], emulator: Any) -> None:
    await _dataset(pilot, "")


async def dataset_problems(pilot: Pilot[Any], emulator: Any) -> None:
    await _dataset(pilot, "2")


async def dataset_stats(pilot: Pilot[Any], emulator: Any) -> None:
    await _dataset(pilot, "3")


# -- the chat screen and the move to another service, on the demo's two profiles.

TOGETHER_BASE = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"


def _finished_openai_job(emulator: Any, folder: Path) -> str:
    """A fine-tune finished on the OpenAI side, as `tuner --demo` starts with."""
    support = folder / "support-bot"
    job_id = emulator.add_job(
        "gpt-4o-mini-2024-07-18",
        support / "train.jsonl",
        support / "valid.jsonl",
        suffix="support-v1",
    )
    emulator.advance(3600)
    return str(job_id)


async def _openai_fine_tune(pilot: Pilot[Any], emulator: Any) -> str:
    job_id = _finished_openai_job(emulator, pilot.app.start_path)
    return (await pilot.app.session.service().retrieve_job(job_id)).fine_tuned_model or ""


async def _replay_two_lines(
    pilot: Pilot[Any], tuned: str, compare: tuple[str, str | None] | None
) -> None:
    pilot.app.open_chat(model=tuned)
    await _wait(pilot, lambda: pilot.app.screen.threads[0].model == tuned)
    screen = pilot.app.screen
    if compare is not None:
        await screen.compare_with(*compare)
    # Loaded paused, then stepped twice: the same two lines in every run of the script.
    screen.start_replay(pilot.app.start_path / "prompts" / "metin.txt", run=False)
    for sent in (1, 2):
        await pilot.press("ctrl+n")
        await _wait(pilot, lambda sent=sent: screen.replay.position == sent and not screen.busy)
    screen.prompt.cursor_blink = False


async def chat_replay(pilot: Pilot[Any], emulator: Any) -> None:
    await settle(pilot)
    await _replay_two_lines(pilot, await _openai_fine_tune(pilot, emulator), None)


async def chat_compare(pilot: Pilot[Any], emulator: Any) -> None:
    await settle(pilot)
    tuned = await _openai_fine_tune(pilot, emulator)
    await _replay_two_lines(pilot, tuned, ("gpt-4o-mini-2024-07-18", None))


async def move_job(pilot: Pilot[Any], emulator: Any) -> None:
    """`m` on a finished OpenAI job: the move to Together planned, both prices shown."""
    from tuner.ui.modals.migrate import MigrateModal

    await settle(pilot)
    job_id = _finished_openai_job(emulator, pilot.app.start_path)
    pilot.app.open_job(job_id)
    await _wait(pilot, lambda: pilot.app.screen.job is not None)
    await pilot.press("m")
    await _wait(pilot, lambda: isinstance(pilot.app.screen, MigrateModal))
    modal = pilot.app.screen
    await _wait(pilot, lambda: not modal.query_one("#migrate-move").disabled)


async def backup_done(pilot: Pilot[Any], emulator: Any) -> None:
    """`b` on the jobs screen, run to the end."""
    from tuner.ui.modals.backup import BackupModal

    await settle(pilot)
    _finished_openai_job(emulator, pilot.app.start_path)
    await pilot.press("j")
    await _wait(pilot, lambda: pilot.app.screen.table.row_count == 1)
    await pilot.press("b")
    await _wait(pilot, lambda: isinstance(pilot.app.screen, BackupModal))
    await pilot.press("enter")
    modal = pilot.app.screen
    await _wait(pilot, lambda: modal.summary is not None)


async def record_done(pilot: Pilot[Any], emulator: Any) -> None:
    """`r` on the finished job: its answers to the validation file kept as a golden file."""
    from tuner.ui.modals.record import RecordModal

    await settle(pilot)
    _finished_openai_job(emulator, pilot.app.start_path)
    await pilot.press("j")
    await _wait(pilot, lambda: pilot.app.screen.table.row_count == 1)
    await pilot.press("r")
    await _wait(pilot, lambda: isinstance(pilot.app.screen, RecordModal))
    modal = pilot.app.screen
    await _wait(pilot, lambda: modal.prepared is not None)
    await pilot.press("enter")
    await _wait(pilot, lambda: modal.written is not None)
    await settle(pilot)


async def compare_across(pilot: Pilot[Any], emulator: Any) -> None:
    """The OpenAI fine-tune and the one moved to Together answer the same prompt file."""
    from tuner.api.jobs.spec import JobSpec
    from tuner.api.open import open_service
    from tuner.app_entry import DEMO_TOGETHER

    await settle(pilot)
    tuned = await _openai_fine_tune(pilot, emulator)
    store = pilot.app.services.settings_store
    together = open_service(store.resolve(store.load(), DEMO_TOGETHER))
    try:
        train = pilot.app.start_path / "support-bot" / "train.jsonl"
        uploaded = await together.upload_file(train)
        job = await together.create_job(JobSpec(TOGETHER_BASE, uploaded.id, suffix="support-v1"))
        emulator.advance(3600)
        moved = (await together.retrieve_job(job.id)).fine_tuned_model or ""
    finally:
        await together.close()
    await _replay_two_lines(pilot, tuned, (moved, DEMO_TOGETHER))


async def _evaluated(pilot: Pilot[Any], emulator: Any) -> Any:
    """`E` on the demo's finished job, the estimate confirmed, the run to its end."""
    from tuner.ui.modals import ConfirmModal
    from tuner.ui.screens.eval import EvalScreen

    await settle(pilot)
    _finished_openai_job(emulator, pilot.app.start_path)
    await pilot.press("j")
    await _wait(pilot, lambda: pilot.app.screen.table.row_count == 1)
    await pilot.press("E")
    await _wait(pilot, lambda: isinstance(pilot.app.screen, EvalScreen))
    screen = pilot.app.screen
    await _wait(pilot, lambda: bool(screen.setup.models))
    await pilot.press("r")
    await _wait(pilot, lambda: isinstance(pilot.app.screen, ConfirmModal))
    await pilot.press("y")
    await _wait(pilot, lambda: screen.finished_runs == 1 and screen.phase == "idle")
    await settle(pilot)
    return screen


async def eval_results(pilot: Pilot[Any], emulator: Any) -> None:
    """The results tab; the run's `report.md` is kept beside the screenshots as the sample
    report the README links (it renders on a code host)."""
    import shutil

    from tuner.data.eval.history import past_runs

    await _evaluated(pilot, emulator)
    pilot.app.clear_notifications()
    (run,) = past_runs()
    shutil.copyfile(run.folder / "report.md", OUT / "eval-report.md")


async def eval_examples(pilot: Pilot[Any], emulator: Any) -> None:
    screen = await _evaluated(pilot, emulator)
    pilot.app.clear_notifications()
    await pilot.press("3", "o")  # the most disputed first
    await _wait(pilot, lambda: screen.examples_view.order == "disagreement")


SHOTS: list[tuple[str, tuple[int, int], Setup, float]] = [
    ("files", (80, 24), browser, FROZEN),
    ("files-wide", (120, 36), browser, FROZEN),
    ("help", (80, 24), help_screen, FROZEN),
    ("settings", (80, 24), settings, FROZEN),
    ("dataset", (80, 24), dataset_preview, FROZEN),
    ("dataset-problems", (80, 24), dataset_problems, FROZEN),
    ("dataset-stats", (80, 24), dataset_stats, FROZEN),
    ("dataset-wide", (120, 36), dataset_preview, FROZEN),
    ("jobs", (80, 24), jobs_list, FROZEN),
    ("new-job", (80, 24), new_job, FROZEN),
    ("job", (80, 24), job_running, FROZEN),
    ("job-chart", (80, 24), job_chart, FROZEN),
    ("chat", (80, 24), chat_replay, LIVE),
    ("chat-compare", (80, 24), chat_compare, LIVE),
    ("chat-compare-wide", (120, 36), chat_compare, LIVE),
    ("move", (80, 24), move_job, FROZEN),
    ("backup", (80, 24), backup_done, FROZEN),
    ("record", (80, 24), record_done, FROZEN),
    ("chat-compare-services", (120, 36), compare_across, LIVE),
    ("eval", (80, 24), eval_results, FROZEN),
    ("eval-examples", (80, 24), eval_examples, FROZEN),
]


async def shoot(folder: Path, name: str, size: tuple[int, int], setup: Setup, speed: float) -> Path:
    """One shot on the demo's own settings (`demo-openai` active, `demo-together` beside it)
    and its own seeded emulator, whose clock is the app's "now"."""
    from tuner.app_entry import demo_settings_store
    from tuner.emulator import Emulator

    with Emulator(speed=speed, api_key=None, seed=3) as emulator:
        services = Services(
            settings_store=demo_settings_store(emulator), demo=True, clock=emulator.clock.now
        )
        app = make_app(folder, services=services)
        async with app.run_test(size=size) as pilot:
            await setup(pilot, emulator)
            app.save_screenshot(f"{name}.svg", str(OUT))
    return OUT / f"{name}.svg"


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    wanted = set(sys.argv[1:])  # names to remake; none: all of them
    with tempfile.TemporaryDirectory(prefix="tuner-shots-") as tmp:
        for name, size, setup, speed in SHOTS:
            if not wanted or name in wanted:
                # A fresh copy each time: a shot's work (a backup, a move) stays out of the next.
                folder = copy_demo_data(Path(tempfile.mkdtemp(dir=tmp)))
                # And its own data folder (cursors, transcripts, eval runs and their reply
                # cache), out of the next shot's and of the user's.
                os.environ["TUNER_DATA_DIR"] = tempfile.mkdtemp(dir=tmp)
                print(await shoot(folder, name, size, setup, speed))


if __name__ == "__main__":
    asyncio.run(main())
