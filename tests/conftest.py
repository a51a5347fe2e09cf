"""Suite-wide guards: no outside network, and no test touches the real home directory.

Every test gets its own config, data and cache folders, and the services' keys and URLs from the
developer's shell (`OPENAI_*`, `AZURE_OPENAI_*`, `TOGETHER_*`) are removed, so a test can never
reach a real account.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.emulator.eval_data import HELD_OUT_VALUES, TRAIN_VALUES, examples
from tests.helpers import TEST_KEY, TrainedJob, chat_example, write_jsonl
from tuner.emulator import Emulator

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_local(address: object) -> bool:
    if isinstance(address, str | bytes):  # AF_UNIX path
        return True
    if not isinstance(address, tuple) or not address:
        return False
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _is_local(address):
        raise OSError(f"tests may not reach the outside network (tried {address!r})")
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if not _is_local(address):
        raise OSError(f"tests may not reach the outside network (tried {address!r})")
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def _no_outside_network() -> Iterator[None]:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.socket.connect = _real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _private_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path_factory.mktemp("tuner-home")
    for name in ("config", "data", "cache"):
        path = Path(home, name)
        path.mkdir()
        monkeypatch.setenv(f"TUNER_{name.upper()}_DIR", str(path))
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(var, raising=False)
    for var in ("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "OPENAI_API_VERSION"):
        monkeypatch.delenv(var, raising=False)
    for var in ("TOGETHER_API_KEY", "TOGETHER_BASE_URL", "TOGETHER_PROJECT_ID"):
        monkeypatch.delenv(var, raising=False)


# -- a fast emulator and the environment a user's shell would set for it -------------------------

# A whole job (20 examples, 3 epochs) takes about 60 simulated seconds: 0.12 s at this speed.
FAST = 500.0


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(port=0, speed=FAST, api_key=TEST_KEY) as emu:
        yield emu


@pytest.fixture
def service_env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """OPENAI_API_KEY / OPENAI_BASE_URL set for the emulator (what a user's shell would do)."""
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", emulator.base_url)
    return emulator


@pytest.fixture
def real_time_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """An emulator on the real clock (a job takes a simulated minute of real time), with the
    environment pointing at it: for tests that must act on a job before it ends, which at
    `FAST` speed a busy machine may not manage."""
    with Emulator(port=0, speed=1.0, api_key=TEST_KEY) as emu:
        monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", emu.base_url)
        yield emu


@pytest.fixture
def train_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "train.jsonl", [chat_example(i) for i in range(20)])


@pytest.fixture
def bad_train_file(tmp_path: Path) -> Path:
    """Valid JSONL that the service fails the job for: fewer than 10 examples."""
    return write_jsonl(tmp_path / "small.jsonl", [chat_example(i) for i in range(3)])


# -- a finished fine-tune for the eval tests --------------------------------------------------


@pytest.fixture
def trained(service_env: Emulator, tmp_path: Path) -> TrainedJob:
    """A succeeded job on the OpenAI side, trained on the templated support data, whose
    validation file is its held-out half: the fine-tune answers those prompts with its training
    replies and its base answers generically, the story an evaluation should tell."""
    train = write_jsonl(tmp_path / "train.jsonl", examples(TRAIN_VALUES))
    holdout = write_jsonl(tmp_path / "holdout.jsonl", examples(HELD_OUT_VALUES))
    job_id = service_env.add_job("gpt-4o-mini-2024-07-18", train, holdout, suffix="support")
    service_env.advance(10**6)
    return TrainedJob(job_id, train, holdout)
