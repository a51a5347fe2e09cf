"""`tuner emulator`: the flags (--key, --seed) and what it tells the user on start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from tuner.cli import build_parser
from tuner.commands.emulator import emulator_from_args

REPO = Path(__file__).resolve().parents[2]
Processes = list[subprocess.Popen[str]]


@pytest.fixture
def started() -> Iterator[Processes]:
    """Processes a test starts, ended (each by its own handle) when the test is done."""
    processes: Processes = []
    yield processes
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


def _start(
    processes: Processes, *flags: str, env: dict[str, str] | None = None
) -> tuple[str, list[str]]:
    """Start `tuner emulator` on a free port; (base URL, the lines it printed on start)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tuner", "emulator", "--port", "0", *flags],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    processes.append(process)
    assert process.stdout is not None
    lines = []
    # If the greeting never comes, ending the process ends the wait (readline returns "").
    deadline = threading.Timer(30, process.kill)
    deadline.start()
    try:
        while not lines or not lines[-1].startswith("API key"):
            line = process.stdout.readline()
            assert line, f"the emulator ended before saying which keys it accepts: {lines}"
            lines.append(line.rstrip())
    finally:
        deadline.cancel()
    openai_line = next(line for line in lines if line.split()[:1] == ["OpenAI"])
    url = openai_line.split()[1]
    return url, lines


def test_without_a_key_it_says_any_key_is_accepted(started: Processes) -> None:
    url, lines = _start(started)
    assert "any key is accepted" in lines[-1]
    assert any("/openai/v1" in line for line in lines)  # Azure's v1 base URL is shown
    assert httpx2.get(f"{url}/models", headers={"Authorization": "Bearer whatever"}).is_success


def test_it_prints_every_base_url_it_serves(started: Processes) -> None:
    """OpenAI's, Azure's (classic and v1) and Together's: each one answers its own listing."""
    url, lines = _start(started)
    root = url.removesuffix("/v1")
    assert lines[1:-1] == [
        f"  OpenAI          {root}/v1",
        f"  Azure (classic) {root}  (azure_endpoint; any api-version)",
        f"  Azure (v1 API)  {root}/openai/v1",
        f"  Together AI     {root}/together",  # the demo's Together profile's base_url
    ]
    headers = {"Authorization": "Bearer whatever"}
    assert httpx2.get(f"{root}/together/v1/models", headers=headers).is_success
    assert httpx2.get(f"{root}/openai/v1/models", headers={"api-key": "whatever"}).is_success


def test_with_a_key_it_requires_that_key(started: Processes) -> None:
    url, lines = _start(started, "--key", "test-key")
    assert "any key" not in " ".join(lines)
    assert all("test-key" not in line for line in lines)  # never echoed
    assert httpx2.get(f"{url}/models", headers={"Authorization": "Bearer other"}).status_code == 401
    assert httpx2.get(f"{url}/models", headers={"Authorization": "Bearer test-key"}).is_success


def test_flags_reach_the_emulator() -> None:
    args = build_parser().parse_args(
        ["emulator", "--seed", "7", "--key", "test-key", "--speed", "3", "--port", "0"]
    )
    emulator = emulator_from_args(args)
    assert (emulator.seed, emulator.api_key, emulator.speed) == (7, "test-key", 3.0)
    plain = emulator_from_args(build_parser().parse_args(["emulator"]))
    assert (plain.seed, plain.api_key, plain.port) == (None, None, 8765)
    assert (plain.knobs.latency, plain.rate_limiter) == (0.0, None)
    slow = emulator_from_args(
        build_parser().parse_args(["emulator", "--latency", "0.5", "--rpm", "60"])
    )
    assert slow.knobs.latency == 0.5
    assert slow.rate_limiter is not None and slow.rate_limiter.rpm == 60


def test_bad_flags_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    from tuner.cli import main

    assert main(["emulator", "--key", ""]) == 2
    assert "--key" in capsys.readouterr().err
    assert main(["emulator", "--rpm", "0"]) == 2
    assert "--rpm" in capsys.readouterr().err
    assert main(["emulator", "--latency", "-1"]) == 2
    assert "--latency" in capsys.readouterr().err


def test_sigterm_stops_it_cleanly_and_removes_its_folder(
    started: Processes, tmp_path: Path
) -> None:
    """A service manager stops it with SIGTERM: it exits 0, and the folder holding what was
    uploaded to it (under the system's temporary folder, here TMPDIR) is gone."""
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    url, _ = _start(started, env=env)
    (folder,) = tmp_path.glob("tuner-emulator-*")
    uploaded = httpx2.post(
        f"{url}/files",
        headers={"Authorization": "Bearer any"},
        files={"file": ("train.jsonl", b'{"messages": []}\n')},
        data={"purpose": "fine-tune"},
    )
    assert uploaded.is_success and any(path.is_file() for path in folder.rglob("*"))
    process = started[-1]
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert not folder.exists()
