"""`tuner convert` as scripts see it: exit codes, one-line errors, signals, --json."""

from __future__ import annotations

import argparse
import errno
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import orjson
import pytest

from tuner.commands import convert as convert_command
from tuner.data.jsonl import atomic_file

TURKISH = """{
  "messages": [
    {"role": "system", "content": "Sen yardımcı bir asistansın."},
    {"role": "user", "content": "Merhaba!"},
    {"role": "assistant", "content": "Merhaba, nasıl yardımcı olabilirim?"},
  ]
},
{
  "messages": [
    {"role": "user", "content": "Şu an saat kaç?"},
    {"role": "assistant", "content": "Bilmiyorum, üzgünüm."},
  ],
},
"""


def read_jsonl(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="tuner")
    convert_command.register(parser.add_subparsers())
    args = parser.parse_args(["convert", *argv])
    return args.func(args)


def test_cli_converts_and_reports(tmp_path: Path, capsys) -> None:
    src, dst = tmp_path / "tr.json", tmp_path / "tr.jsonl"
    src.write_text(TURKISH, encoding="utf-8")
    assert run_cli(str(src), str(dst)) == 0
    out = capsys.readouterr().out
    assert "wrote 2 examples" in out
    assert len(read_jsonl(dst)) == 2


def test_cli_exit_1_when_some_objects_skipped(tmp_path: Path, capsys) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text('{"a": 1}\n{"b": }\n', encoding="utf-8")
    assert run_cli(str(src), str(dst)) == 1
    err = capsys.readouterr().err
    assert f"{src}:2:7:" in err
    assert read_jsonl(dst) == [{"a": 1}]


def test_cli_refuses_overwrite_with_exit_2(tmp_path: Path, capsys) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text('{"a": 1}\n', encoding="utf-8")
    dst.write_text("keep", encoding="utf-8")
    assert run_cli(str(src), str(dst)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--force" in err and "Traceback" not in err
    assert dst.read_text(encoding="utf-8") == "keep"
    assert run_cli(str(src), str(dst), "--force") == 0


def test_cli_missing_input_exit_2(tmp_path: Path, capsys) -> None:
    assert run_cli(str(tmp_path / "nope.json"), str(tmp_path / "out.jsonl")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope.json" in err


def test_cli_json_output(tmp_path: Path, capsys) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text('{"a": 1}\n{"b": }\n', encoding="utf-8")
    assert run_cli(str(src), str(dst), "--json") == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["input"] == str(src)
    assert payload["output"] == str(dst)
    assert payload["examples"] == 1
    assert payload["skipped"] == [
        {"line": 2, "column": 7, "message": payload["skipped"][0]["message"]}
    ]


def test_cli_missing_output_folder_names_the_folder(tmp_path: Path, capsys) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"a": 1}\n', encoding="utf-8")
    dst = tmp_path / "nope" / "out.jsonl"
    assert run_cli(str(src), str(dst)) == 2
    err = capsys.readouterr().err
    assert err == f"tuner convert: cannot write {dst}: the folder {dst.parent} does not exist\n"


class _FullDisk(io.FileIO):
    def write(self, data: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_cli_full_disk_blames_the_output_not_the_input(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(f'{{"n": {i}, "pad": "{"x" * 500}"}}\n' for i in range(3000)))
    monkeypatch.setattr(atomic_file.os, "fdopen", lambda fd, *a, **k: _FullDisk(fd, "wb"))
    code = run_cli(str(src), str(dst))
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert f"cannot write {dst}: the disk is full" in err and str(src) not in err
    assert sorted(os.listdir(tmp_path)) == ["in.jsonl"]


# A conversion that blocks after its first example, so a signal surely lands mid-way.
_BLOCKING_CONVERT = """
import sys, time
import tuner.data.jsonl.convert as convert

real = convert._write_examples

def slow(examples, result):
    write = real(examples, result)

    def blocking(out):
        out.write(b"{}\\n")
        out.flush()
        print("writing", flush=True)
        time.sleep(60)
        return write(out)

    return blocking

convert._write_examples = slow
from tuner.cli import main
sys.exit(main(["convert", sys.argv[1], sys.argv[2]]))
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_leaves_no_temporary_file(tmp_path: Path, signum: int) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text('{"a": 1}\n{"b": 2}\n', encoding="utf-8")
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_BLOCKING_CONVERT), str(src), str(dst)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "writing"
        assert any(name.endswith(".tmp") for name in os.listdir(tmp_path))
        child.send_signal(signum)
        code = child.wait(timeout=30)
        err = child.stderr.read() if child.stderr else ""
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert code == 128 + signum
    assert sorted(os.listdir(tmp_path)) == ["in.jsonl"]
    assert f"stopped by {signal.Signals(signum).name}" in err and "Traceback" not in err


def test_signal_handlers_are_restored_after_a_conversion(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text('{"a": 1}\n', encoding="utf-8")
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)
    assert run_cli(str(src), str(dst)) == 0
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)) == before
