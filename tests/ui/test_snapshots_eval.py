"""Snapshots of the Eval screen at 80x24: the setup, the estimate's confirmation, a run in
progress, the results, the examples sorted by disagreement, and one example's replies.

Determinism: the results come from a run folder written here from fixed replies (graded by the
real graders, summarised with the fixed bootstrap seed, fixed latencies) in the test's own data
folder, opened from History; times are printed in UTC; the title names the profile, not the
emulator's port. The confirmation and the run in progress ask the emulator nothing that changes
the picture: the estimate needs no request, and the run's requests are all answered 429 with a
minute's Retry-After, so every bar stays at 0.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.emulator.eval_data import HELD_OUT_VALUES, examples
from tests.helpers import TEST_KEY, settle, stall_chats, wait_until, write_jsonl
from tests.ui.conftest import build_app
from tuner.config import Profile, Settings
from tuner.data.eval.examples import read_eval_file
from tuner.data.eval.graders import grade_all, grader_specs
from tuner.data.eval.history import RunInfo, remember_run, write_run_info
from tuner.data.eval.results import ExampleResult, append_results
from tuner.data.eval.runs import write_run_files
from tuner.data.eval.summary import summarise
from tuner.emulator import Emulator
from tuner.ui.active_profile import resolve_active
from tuner.ui.modals import ConfirmModal
from tuner.ui.modals.eval_example import ExampleModal
from tuner.ui.screens.eval import EvalScreen
from tuner.ui.services import MemorySettingsStore, Services

BASE = "gpt-4o-mini-2024-07-18@test"
TUNED = "ft:gpt-4o-mini-2024-07-18:acme:support:x1@test"
GENERIC = "Thank you for your message. Our team will get back to you as soon as possible."


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(port=0, speed=1.0, api_key=TEST_KEY, seed=7) as emu:
        yield emu


def snap_app(root: Path, emulator: Emulator) -> Any:
    profiles = {"test": Profile(name="test", kind="openai", base_url=emulator.base_url)}
    settings = Settings(active_profile="test", profiles=profiles)
    store = MemorySettingsStore(settings, keys={"test": TEST_KEY}, env={})
    services = Services(settings_store=store)
    connection = dataclasses.replace(resolve_active(services, settings, None), label="test")
    return build_app(root, services=services, connection=connection)


def holdout(root: Path) -> Path:
    return write_jsonl(root / "holdout.jsonl", examples(HELD_OUT_VALUES))


def write_fixed_run(root: Path) -> Path:
    """A finished run of the base and its fine-tune on the held-out support file: the base
    answers generically, the fine-tune with the reference except on three examples."""
    from tuner.config import data_dir

    file = holdout(root)
    read = read_eval_file(file)
    graders = grader_specs(())
    records = []
    for index, example in enumerate(read.examples):
        reference = example.reference or ""
        tuned = GENERIC if index in (3, 9, 14) else reference
        for model, reply, latency in ((BASE, GENERIC, 0.8), (TUNED, tuned, 0.5 + index / 100)):
            scores = grade_all(graders, reply, reference)
            records.append(
                ExampleResult(
                    example.ident,
                    example.line,
                    model,
                    reply,
                    scores,
                    tokens_in=60,
                    tokens_out=30,
                    latency=latency,
                    cost=None if model == BASE else 0.00003,
                )
            )
    folder = data_dir() / "eval-runs" / "20261201-100000-holdout"
    folder.mkdir(parents=True)
    append_results(folder / "results.jsonl", records)
    summary = summarise(records, graders, [BASE, TUNED])
    by_ident = {example.ident: example for example in read.examples}
    write_run_files(folder, summary, records, by_ident)
    info = RunInfo(
        str(file),
        (BASE, TUNED),
        tuple(spec.name for spec in graders),
        len(read.examples),
        started="2026-12-01T10:00:00Z",
        finished="2026-12-01T10:00:40Z",
    )
    write_run_info(folder, info)
    remember_run(folder)
    return folder


async def eval_screen(pilot: Any) -> EvalScreen:
    await pilot.press("e")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, EvalScreen))
    screen = pilot.app.screen
    await wait_until(pilot, lambda: "History (" in str(screen.tabs.get_tab("history").label))
    return screen


async def open_fixed_run(pilot: Any) -> EvalScreen:
    screen = await eval_screen(pilot)
    await pilot.press("4")
    await wait_until(pilot, lambda: screen.history.table.row_count == 1)
    await pilot.press("enter")
    await wait_until(pilot, lambda: screen.examples_view.rows)
    return screen


def test_eval_setup(snap_compare, tmp_path: Path, emulator: Emulator) -> None:
    file = holdout(tmp_path)

    async def run_before(pilot: Any) -> None:
        await eval_screen(pilot)
        pilot.app.open_eval(file=file, models=(BASE, TUNED))
        screen = pilot.app.screen
        await wait_until(pilot, lambda: screen.setup.models == [BASE, TUNED])
        await settle(pilot)

    assert snap_compare(snap_app(tmp_path, emulator), terminal_size=(80, 24), run_before=run_before)


def test_eval_confirmation(snap_compare, tmp_path: Path, emulator: Emulator) -> None:
    file = holdout(tmp_path)

    async def run_before(pilot: Any) -> None:
        await eval_screen(pilot)
        pilot.app.open_eval(file=file, models=(BASE, TUNED))
        screen = pilot.app.screen
        await wait_until(pilot, lambda: screen.setup.models == [BASE, TUNED])
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmModal))
        # Mounted: its "No" has the focus (the run's worker waits on the answer meanwhile).
        await wait_until(pilot, lambda: pilot.app.screen.query_one("#no").has_focus)

    assert snap_compare(snap_app(tmp_path, emulator), terminal_size=(80, 24), run_before=run_before)


def test_eval_running(snap_compare, tmp_path: Path, emulator: Emulator) -> None:
    file = holdout(tmp_path)
    stall = stall_chats(emulator)

    async def run_before(pilot: Any) -> None:
        await eval_screen(pilot)
        pilot.app.open_eval(file=file, models=(BASE, TUNED))
        screen = pilot.app.screen
        await wait_until(pilot, lambda: screen.setup.models == [BASE, TUNED])
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmModal))
        await pilot.press("y")
        # Every first request answered (429): nothing more happens for a minute.
        await wait_until(pilot, lambda: screen.phase == "running" and stall.times <= 10**6 - 16)
        await wait_until(pilot, lambda: len(screen.query(".progress-row")) == 2)  # both bars

    assert snap_compare(snap_app(tmp_path, emulator), terminal_size=(80, 24), run_before=run_before)


def test_eval_results(snap_compare, tmp_path: Path, emulator: Emulator) -> None:
    write_fixed_run(tmp_path)

    async def run_before(pilot: Any) -> None:
        await open_fixed_run(pilot)
        await settle(pilot)

    assert snap_compare(snap_app(tmp_path, emulator), terminal_size=(80, 24), run_before=run_before)


def test_eval_examples(snap_compare, tmp_path: Path, emulator: Emulator) -> None:
    write_fixed_run(tmp_path)

    async def run_before(pilot: Any) -> None:
        screen = await open_fixed_run(pilot)
        await pilot.press("3", "o")  # the most disputed first
        await wait_until(pilot, lambda: screen.examples_view.order == "disagreement")
        await settle(pilot)

    assert snap_compare(snap_app(tmp_path, emulator), terminal_size=(80, 24), run_before=run_before)


def test_eval_example_replies(snap_compare, tmp_path: Path, emulator: Emulator) -> None:
    write_fixed_run(tmp_path)

    async def run_before(pilot: Any) -> None:
        await open_fixed_run(pilot)
        await pilot.press("3", "F", "enter")  # the first flip
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ExampleModal))
        await settle(pilot)

    assert snap_compare(snap_app(tmp_path, emulator), terminal_size=(80, 24), run_before=run_before)


def test_fixed_run_is_what_the_pictures_show(tmp_path: Path) -> None:
    """The run behind the pictures tells the story: the fine-tune far above its base, with
    three examples where it answered like the base."""
    folder = write_fixed_run(tmp_path)
    summary = json.loads((folder / "summary.json").read_text())
    base, tuned = summary["models"]
    assert tuned["graders"][0]["mean"]["low"] > base["graders"][0]["mean"]["high"]
