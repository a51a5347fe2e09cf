"""`tuner split` as scripts see it: what it writes, exit codes, one-line errors, --json, signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tuner.cli import main


def write_examples(path: Path, count: int) -> Path:
    with open(path, "w", encoding="utf-8") as out:
        for i in range(count):
            example = {
                "messages": [
                    {"role": "user", "content": f"Soru {i}: İstanbul'da hava nasıl?"},
                    {"role": "assistant", "content": f"Cevap {i}"},
                ]
            }
            out.write(json.dumps(example, ensure_ascii=False) + "\n")
    return path


def test_split_writes_both_files_and_says_so(tmp_path: Path, capsys) -> None:
    source = write_examples(tmp_path / "veri.jsonl", 40)
    assert main(["split", str(source), "--holdout", "25%", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    train, holdout = tmp_path / "veri.train.jsonl", tmp_path / "veri.holdout.jsonl"
    assert f"wrote 30 examples to {train} and 10 to {holdout} (seed 3)" in out
    assert len(train.read_bytes().splitlines()) == 30
    assert len(holdout.read_bytes().splitlines()) == 10


def test_the_default_holdout_is_ten_percent_and_json_gives_the_figures(
    tmp_path: Path, capsys
) -> None:
    source = write_examples(tmp_path / "veri.jsonl", 50)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    assert main(["split", str(source), "--out-dir", str(out_dir), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["train_examples"] == 45 and payload["holdout_examples"] == 5
    assert payload["seed"] == 0 and payload["holdout"] == str(out_dir / "veri.holdout.jsonl")


def test_an_existing_output_needs_force(tmp_path: Path, capsys) -> None:
    source = write_examples(tmp_path / "veri.jsonl", 20)
    assert main(["split", str(source)]) == 0
    before = (tmp_path / "veri.train.jsonl").read_bytes()
    capsys.readouterr()
    assert main(["split", str(source), "--seed", "9"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--force" in err and "Traceback" not in err
    assert (tmp_path / "veri.train.jsonl").read_bytes() == before
    assert main(["split", str(source), "--seed", "9", "--force"]) == 0


@pytest.mark.parametrize(
    ("count", "args", "message"),
    [
        (3, [], "has 3 examples: 10% of them is none"),
        (10, ["--holdout", "10"], "leaves none to train on"),
        (10, ["--holdout", "ten"], "give a percentage (10%) or a whole number"),
    ],
)
def test_refusals_are_one_line_with_exit_2(
    tmp_path: Path, capsys, count: int, args: list[str], message: str
) -> None:
    source = write_examples(tmp_path / "veri.jsonl", count)
    assert main(["split", str(source), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tuner split: ") and message in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["veri.jsonl"]


def test_a_missing_file_and_a_bad_seed(tmp_path: Path, capsys) -> None:
    assert main(["split", str(tmp_path / "yok.jsonl")]) == 2
    assert capsys.readouterr().err == f"tuner split: {tmp_path / 'yok.jsonl'}: no such file\n"
    with pytest.raises(SystemExit) as stop:
        main(["split", "x.jsonl", "--seed", "-1"])
    assert stop.value.code == 2
    assert "a seed is 0 or more" in capsys.readouterr().err


def test_a_file_name_with_control_characters_is_shown_inert(tmp_path: Path, capsys) -> None:
    name = tmp_path / "kötü\x1b[2J.jsonl"
    assert main(["split", str(name)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "␛[2J" in err


_BLOCKING_SPLIT = """
import sys
from tuner.data.eval import split

original = split._write_both

def blocking(first, second, write):
    def slow(a, b):
        write(a, b)
        print("writing", flush=True)
        import time
        while True:
            time.sleep(0.05)
    return original(first, second, slow)

split._write_both = blocking
from tuner.cli import main
sys.exit(main(["split", sys.argv[1], "--holdout", "2"]))
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_leaves_nothing_behind(tmp_path: Path, signum: int) -> None:
    source = write_examples(tmp_path / "veri.jsonl", 10)
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_BLOCKING_SPLIT), str(source)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "writing"
        assert sum(name.endswith(".tmp") for name in os.listdir(tmp_path)) == 2
        child.send_signal(signum)
        code = child.wait(timeout=30)
        err = child.stderr.read() if child.stderr else ""
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert code == 128 + signum
    assert sorted(os.listdir(tmp_path)) == ["veri.jsonl"]
    assert f"stopped by {signal.Signals(signum).name}; nothing was written" in err
