"""`tuner upload` through `tuner.cli.main`: checked first, exit codes, output, JSON shape."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.helpers import chat_example, write_jsonl
from tuner.cli import main

MODEL = "gpt-4o-mini-2024-07-18"


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, object]:
    code = main(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else None


def test_upload_json(service_env, train_file: Path, capsys) -> None:
    code, body = run_json(capsys, "upload", str(train_file), "--json")
    assert code == 0
    assert body["id"].startswith("file-")
    assert body["purpose"] == "fine-tune" and body["bytes"] == train_file.stat().st_size


def test_upload_human(service_env, train_file: Path, capsys) -> None:
    assert main(["upload", str(train_file)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("file-") and "train.jsonl" in out


def test_upload_refuses_invalid_file_unless_forced(service_env, tmp_path: Path, capsys) -> None:
    path = write_jsonl(tmp_path / "broken.jsonl", [chat_example(i) for i in range(12)])
    with path.open("a") as handle:
        handle.write("{not json\n")
    assert main(["upload", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{path}:13:" in captured.err and "--force" in captured.err
    assert "Traceback" not in captured.err
    code, body = run_json(capsys, "upload", str(path), "--force", "--json")
    assert code == 0 and body["id"].startswith("file-")


def test_upload_missing_file(service_env, tmp_path: Path, capsys) -> None:
    assert main(["upload", str(tmp_path / "nope.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such file" in err


def test_uploading_the_same_file_again_reuses_it(service_env, train_file: Path, capsys) -> None:
    code, first = run_json(capsys, "upload", str(train_file), "--json")
    assert code == 0 and first["reused"] is False

    assert main(["upload", str(train_file)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"{first['id']}  train.jsonl")
    assert captured.err.startswith(f"reusing {first['id']} (uploaded ")
    assert captured.err.endswith(f", identical) for {train_file}\n")

    code, forced = run_json(capsys, "upload", str(train_file), "--force-upload", "--json")
    assert code == 0 and forced["reused"] is False and forced["id"] != first["id"]
    code, again = run_json(capsys, "upload", str(train_file), "--json")
    assert again["reused"] is True and again["id"] == forced["id"]  # the newest upload


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_check_shows_its_progress_on_a_terminal(service_env, tmp_path, monkeypatch) -> None:
    """A big file is checked for seconds before its upload starts: the check says how far it
    is, as the upload does, and only on a terminal."""
    big = write_jsonl(tmp_path / "big.jsonl", [chat_example(i) for i in range(3000)])
    err = Terminal()
    monkeypatch.setattr("sys.stderr", err)
    assert main(["upload", str(big)]) == 0
    shown = err.getvalue()
    assert "checking big.jsonl: 100% of" in shown
    assert shown.index("checking big.jsonl") < shown.index("uploading big.jsonl")
    assert main(["jobs", "create", "--model", MODEL, "--training-file", str(big)]) == 0
    assert "checking big.jsonl: 100% of" in err.getvalue()[len(shown) :]


def test_no_check_progress_in_a_pipe(service_env, train_file: Path, capsys) -> None:
    assert main(["upload", str(train_file)]) == 0
    assert "checking" not in capsys.readouterr().err
