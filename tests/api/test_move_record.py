"""`tuner.api.migrate.record`: a move recorded under what identifies it, read back whole, a
damaged entry read as none (the job is then looked for again, or made)."""

from __future__ import annotations

import json
from pathlib import Path

from tuner.api.migrate.record import MoveEntry, MoveKey, MoveRecord


def test_a_move_is_recorded_under_its_profiles_job_model_and_data(tmp_path: Path) -> None:
    record = MoveRecord(tmp_path / "moves.json")
    key = MoveKey("oa", "ftjob-1", "tg", "meta-llama/x", ("ab" * 32,))
    record.save(MoveEntry(key, "uploaded", "file-1"))
    uploaded = record.get(key)
    assert uploaded is not None and uploaded.state == "uploaded"
    record.save(uploaded.moved(state="created", job_id="ft-9"))

    entry = record.get(key)

    assert entry is not None and (entry.state, entry.training_file, entry.job_id) == (
        "created",
        "file-1",
        "ft-9",
    )
    for other in (
        MoveKey("oa", "ftjob-1", "tg", "meta-llama/y", ("ab" * 32,)),  # another base model
        MoveKey("oa", "ftjob-1", "tg", "meta-llama/x", ("cd" * 32,)),  # other data
        MoveKey("oa", "ftjob-1", "tg2", "meta-llama/x", ("ab" * 32,)),  # another target
    ):
        assert record.get(other) is None
    (saved,) = json.loads((tmp_path / "moves.json").read_text()).values()
    assert saved["source_job"] == "ftjob-1" and saved["checksums"] == ["ab" * 32]


def test_a_damaged_entry_or_file_reads_as_no_move(tmp_path: Path) -> None:
    path = tmp_path / "moves.json"
    record = MoveRecord(path)
    key = MoveKey(None, "ftjob-1", "tg", "m", ())
    path.write_text(json.dumps({key.text(): {"job_id": 7}}), encoding="utf-8")
    assert record.get(key) is None
    path.write_text("{", encoding="utf-8")
    assert record.get(key) is None
