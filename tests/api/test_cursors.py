"""CursorStore: a small JSON map in the data dir, merged on write, tolerant of a bad file."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tuner.api.cursors import CursorStore


def test_default_location_and_round_trip() -> None:
    store = CursorStore()
    assert store.path == Path(os.environ["TUNER_DATA_DIR"]) / "cursors.json"
    assert store.get("ftjob-a") is None
    store.set("ftjob-a", "ftevent-1")
    store.set("ftjob-a", "ftevent-2")
    assert CursorStore().get("ftjob-a") == "ftevent-2"
    assert json.loads(store.path.read_text()) == {"ftjob-a": "ftevent-2"}
    assert [p.name for p in store.path.parent.iterdir()] == ["cursors.json"]  # no temp files


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
