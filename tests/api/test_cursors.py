"""CursorStore: a small JSON map in the data dir, locked and merged on write, tolerant of a bad
file."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tuner.api.jobs.cursors import CursorStore


def test_default_location_and_round_trip() -> None:
    store = CursorStore()
    assert store.path == Path(os.environ["TUNER_DATA_DIR"]) / "cursors.json"
    assert store.get("ftjob-a") is None
    store.set("ftjob-a", "ftevent-1")
    store.set("ftjob-a", "ftevent-2")
    assert CursorStore().get("ftjob-a") == "ftevent-2"
    assert json.loads(store.path.read_text()) == {"ftjob-a": "ftevent-2"}
    # No temporary files; the lock file stays (removing it would let two writers lock two files).
    names = sorted(p.name for p in store.path.parent.iterdir())
    assert names == ["cursors.json", "cursors.json.lock"]


def test_two_stores_do_not_erase_each_other(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    one, two = CursorStore(path), CursorStore(path)
    one.set("ftjob-a", "e1")
    two.set("ftjob-b", "e2")
    assert CursorStore(path).get("ftjob-a") == "e1"
    one.forget("ftjob-a")
    assert json.loads(path.read_text()) == {"ftjob-b": "e2"}


def test_a_damaged_file_is_a_fresh_start(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text("{not json")
    store = CursorStore(path)
    assert store.get("ftjob-a") is None
    store.set("ftjob-a", "e1")
    assert store.get("ftjob-a") == "e1"


def _set_many(path: str, worker: int, rounds: int, start: object) -> None:
    """One follower process: waits for the others, then moves its own two jobs' cursors on."""
    start.wait()  # type: ignore[attr-defined]
    store = CursorStore(Path(path))
    for n in range(rounds):
        store.set(f"ftjob-{worker}-a", f"ftevent-{n}")
        store.set(f"ftjob-{worker}-b", f"ftevent-{n}")


def test_concurrent_processes_lose_no_cursor(tmp_path: Path) -> None:
    """Three `tuner jobs follow` processes on one cursor file used to roll each other back:
    each read the file, another wrote, then the first wrote its stale copy over it."""
    import multiprocessing

    path = tmp_path / "cursors.json"
    context = multiprocessing.get_context("spawn")
    workers, rounds = 4, 150
    start = context.Event()
    processes = [
        context.Process(target=_set_many, args=(str(path), worker, rounds, start))
        for worker in range(workers)
    ]
    for process in processes:
        process.start()
    start.set()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    expected = {
        f"ftjob-{worker}-{job}": f"ftevent-{rounds - 1}"
        for worker in range(workers)
        for job in "ab"
    }
    assert json.loads(path.read_text()) == expected
    leftovers = {p.name for p in tmp_path.iterdir()} - {"cursors.json", "cursors.json.lock"}
    assert leftovers == set()  # no temporary files left behind
