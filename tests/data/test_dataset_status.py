"""The dataset screen's status verdict, as plain text: what comes first, what is left out."""

from __future__ import annotations

from pathlib import Path

import orjson

from tuner.data.analysis.analyse import analyse_file
from tuner.data.dataset_status import dataset_status

MODEL = "gpt-4o-mini-2024-07-18"


def chat(i: int) -> dict:
    return {
        "messages": [
            {"role": "system", "content": "Kısa cevap ver."},
            {"role": "user", "content": f"Soru {i}"},
            {"role": "assistant", "content": f"Cevap {i}"},
        ]
    }


def write(path: Path, rows: list[dict], extra: bytes = b"") -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows) + extra)
    return path


def test_before_the_analysis_only_the_file_is_named() -> None:
    assert dataset_status("train.jsonl") == "train.jsonl"
    assert dataset_status("train.jsonl", lines=1) == "train.jsonl · 1 line"


def test_a_valid_file_says_verdict_cost_size_and_upload_in_that_order(tmp_path: Path) -> None:
    report = analyse_file(write(tmp_path / "train.jsonl", [chat(i) for i in range(60)]), MODEL)
    said = dataset_status(
        "train.jsonl",
        lines=60,
        report=report,
        estimate="$0.01 (gpt-4o-mini, 3 epochs)",
        uploaded_file_id="file-abc",
    )
    assert said == (
        f"✓ valid · $0.01 (gpt-4o-mini, 3 epochs) · train.jsonl · 60 lines · "
        f"{report.stats.total:,} tokens · uploaded: file-abc"
    )


def test_errors_come_first_and_a_file_that_cannot_be_read_says_only_why(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.jsonl", [chat(i) for i in range(12)], b'{"messages": [}\n')
    report = analyse_file(path, MODEL)
    said = dataset_status("bad.jsonl", lines=13, report=report)
    assert said.startswith(f"✗ {report.error_count} error")
    few = analyse_file(write(tmp_path / "few.jsonl", [chat(i) for i in range(12)]), MODEL)
    assert dataset_status("few.jsonl", report=few).startswith("! 1 warning · ")
    problem = "Cannot read bad.jsonl: permission denied"
    assert dataset_status("bad.jsonl", report=report, file_problem=problem) == problem
