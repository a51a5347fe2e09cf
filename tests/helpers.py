"""What the tests share: example builders, file writers, the emulator connection, job starters,
one way to wait, and the notices a screen showed.

Waiting always waits for a condition (a state reached, a request counted), with a deadline that
is generous on purpose: a busy 2-core CI machine may be slow, never wrong.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import inspect
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App
    from textual.pilot import Pilot

    from tuner.api.service import FineTuningService
    from tuner.api.types import Job
    from tuner.config import Connection
    from tuner.emulator import Emulator
    from tuner.ui.session import ActiveConnection

TEST_KEY = "test-key"
BASE_MODEL = "gpt-4o-mini-2024-07-18"
DEADLINE = 30.0  # seconds; only reached when something is really wrong


# -- examples and files ------------------------------------------------------------------------


def chat_example(i: int, *, system: bool = True) -> dict[str, Any]:
    """A small valid chat example, different for every `i`."""
    messages = [
        {"role": "user", "content": f"What is {i} + {i}?"},
        {"role": "assistant", "content": f"{2 * i}"},
    ]
    if system:
        messages.insert(0, {"role": "system", "content": "You answer briefly."})
    return {"messages": messages}


def chat_line(user: str, answer: str) -> str:
    """One JSONL line holding one user turn and its answer."""
    messages = [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]
    return json.dumps({"messages": messages}, ensure_ascii=False)


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def write_examples(path: Path, count: int, *, system: bool = True) -> Path:
    """A valid training file of `count` examples."""
    return write_jsonl(path, [chat_example(i, system=system) for i in range(count)])


def write_big_examples(path: Path, count: int = 20, size: int = 3 << 20) -> Path:
    """A valid training file of `count` examples and about `size` bytes (long answers): big
    enough that half of it fills more than one 1 MB download chunk, so a download held half-way
    has written to its temporary file."""
    rows = [chat_example(i) for i in range(count)]
    words = " ".join(f"w{n}" for n in range(size // count // 6))
    for row in rows:
        row["messages"][-1]["content"] += " " + words
    return write_jsonl(path, rows)


# -- the emulator ------------------------------------------------------------------------------


def connection_to(emulator: Emulator, *, profile: str = "test") -> Connection:
    from tuner.config import Connection, Secret

    return Connection(profile_name=profile, base_url=emulator.base_url, api_key=Secret(TEST_KEY))


def active_connection(emulator: Emulator, label: str = "test") -> ActiveConnection:
    from tuner.ui.session import ActiveConnection

    return ActiveConnection(label=label, connection=connection_to(emulator))


def open_test_service(emulator: Emulator) -> FineTuningService:
    """The real OpenAI-API service (the SDK over HTTP) pointed at `emulator`."""
    from tuner.api.open import open_service

    return open_service(connection_to(emulator))


def open_together_service(emulator: Emulator, *, profile: str = "tg") -> FineTuningService:
    """The real Together service (the together SDK over HTTP) on `emulator`'s Together side."""
    from tuner.api.open import open_service
    from tuner.config import Connection, Secret

    connection = Connection(
        kind="together",
        base_url=emulator.together_base_url,
        api_key=Secret(TEST_KEY),
        profile_name=profile,
    )
    return open_service(connection)


@dataclass(frozen=True)
class TrainedJob:
    """A finished job (the `trained` fixture): its id, training file and held-out file."""

    job_id: str
    train: Path
    holdout: Path


class CountingService:
    """The real service, counting the calls made through it. Not a mock: every call goes on to
    the emulator; this only tells a test which requests were made."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if not inspect.iscoroutinefunction(value):
            return value

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return await value(*args, **kwargs)

        return counted


async def start_job(emulator: Emulator, path: Path, **spec: Any) -> str:
    """Upload `path` and create a job on it; returns the job id (the job is not awaited)."""
    from tuner.api.jobs.spec import JobSpec

    service = open_test_service(emulator)
    try:
        uploaded = await service.upload_file(path)
        return (await service.create_job(JobSpec(BASE_MODEL, uploaded.id, **spec))).id
    finally:
        await service.close()


async def train_model(emulator: Emulator, path: Path, suffix: str) -> Job:
    """Fine-tune the base model on `path` and wait for success; returns the finished job.

    The emulator's clock is moved on rather than waited for, so this is quick at any speed.
    """
    from tuner.api.types import JobStatus

    job_id = await start_job(emulator, path, suffix=suffix)
    service = open_test_service(emulator)
    try:
        job = await finish(emulator, service, job_id)
    finally:
        await service.close()
    assert job.status is JobStatus.SUCCEEDED, f"job {job_id} did not succeed: {job.status}"
    return job


# -- waiting -----------------------------------------------------------------------------------


# Three ways to wait, one for each place a test waits from. Each polls `condition()` until it
# holds and fails at the deadline; none sleeps a fixed time and then looks.


async def wait_until(
    pilot: Pilot[Any], condition: Callable[[], Any], timeout: float = DEADLINE
) -> None:
    """Inside `App.run_test()`: let the app run until `condition()` holds. A query that fails
    (the screen is still composing) counts as not yet."""
    from textual.css.query import NoMatches

    deadline = time.monotonic() + timeout

    def holds() -> bool:
        try:
            return bool(condition())
        except (NoMatches, IndexError, AttributeError):
            return False  # the screen is still composing

    while not holds():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        await pilot.pause(0.02)


async def wait_async(condition: Callable[[], Any], timeout: float = DEADLINE) -> None:
    """In a coroutine with no app (a service test): let other tasks run until `condition()`
    holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        await asyncio.sleep(0.005)


def wait_for(condition: Callable[[], Any], timeout: float = DEADLINE) -> None:
    """In plain code (no event loop: the emulator's tests, a thread, a process): poll
    `condition()` until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        time.sleep(0.01)


# Finishing a job moves the emulator's clock on instead of waiting for it, so a job ends in a
# few requests on any machine, however busy, and at any emulator speed.

TERMINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled", "completed", "error"})
"""A job's last statuses as either dialect sends them (OpenAI's, then Together's own)."""


async def finish(
    emulator: Emulator, service: FineTuningService, job_id: str, step: float = 3600
) -> Job:
    """Through tuner's `service`: move the emulator's clock on by `step` seconds at a time
    until the job has finished; the finished job (whatever its end)."""
    deadline = time.monotonic() + DEADLINE
    while True:
        emulator.advance(step)
        job = await service.retrieve_job(job_id)
        if job.finished:
            return job
        assert time.monotonic() < deadline, f"job {job_id} did not finish: {job.status}"
        await asyncio.sleep(0.005)


def finish_raw(
    emulator: Emulator,
    retrieve: Callable[[], Any],
    step: float = 3600,
) -> Any:
    """Through an SDK client or raw HTTP (the emulator's own tests): move the clock on until
    `retrieve()` answers a finished job (an SDK object, or the JSON dict of a raw request);
    that last answer."""

    def status(job: Any) -> str:
        return str(job["status"] if isinstance(job, dict) else job.status)

    deadline = time.monotonic() + DEADLINE
    while True:
        emulator.advance(step)
        job = retrieve()
        if status(job) in TERMINAL_STATUSES:
            return job
        assert time.monotonic() < deadline, f"the job did not finish: {status(job)}"
        time.sleep(0.005)


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until no worker runs, except the directory tree's loader (which lives as long as
    the tree does, so `wait_for_complete()` alone would never return)."""
    from textual.worker import WorkerFailed

    app = pilot.app

    def pending() -> list[Any]:
        return [w for w in app.workers if w.group != "_loader" and not w.is_finished]

    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        await pilot.pause()
        running = pending()
        if not running:
            await pilot.pause()
            if not pending():
                return
            continue
        # Bounded too: a worker waiting on a dialog's answer would otherwise hang the test.
        left = max(0.0, deadline - time.monotonic())
        with contextlib.suppress(WorkerFailed, TimeoutError):
            await asyncio.wait_for(app.workers.wait_for_complete(running), left)
    raise AssertionError("workers still running at the deadline")


def notices(app: App[Any]) -> list[str]:
    """The text of every notification the app has shown, oldest first: tuner's app and the
    `host_app` both keep them (`shown_notices`), as Textual has no public read of its own."""
    return list(app.shown_notices)  # type: ignore[attr-defined]


# One line of Rich's SVG export: `<text ... x="12.2" ... clip-path="url(#ID-line-3)">text</text>`.
_SVG_TEXT = re.compile(
    r'<text [^>]*?x="([0-9.]+)"[^>]*?clip-path="url\(#[^)]*-line-(\d+)\)">([^<]*)</text>'
)
_SVG_CELL_WIDTH = 12.2  # Rich's export: a cell is 0.61 of its 20-pixel line height


def screen_lines(app: App[Any]) -> list[str]:
    """Every line the terminal shows now, as plain text (every layer, dialogs over their screen
    and toasts included): read from `App.export_screenshot()`, Textual's public picture of the
    screen, so a test never reaches into the compositor."""
    from rich.cells import cell_len

    width, height = app.size
    lines = [""] * height
    for x, row, text in _SVG_TEXT.findall(app.export_screenshot()):
        column, line = round(float(x) / _SVG_CELL_WIDTH), int(row)
        drawn = html.unescape(text).replace("\xa0", " ").rstrip("\n")
        lines[line] += " " * max(0, column - cell_len(lines[line])) + drawn
    return [line + " " * max(0, width - cell_len(line)) for line in lines]


def screen_text(app: App[Any]) -> str:
    """The whole screen as drawn now (see `screen_lines`), its lines joined by newlines."""
    return "\n".join(screen_lines(app))


# -- tuner in a process of its own ------------------------------------------------------------


def tuner_process(*argv: str) -> subprocess.Popen[str]:
    """`python -m tuner ARGV` in its own process, as a user runs it (same environment and
    folder as the test): for what only a real process shows, a signal and what it leaves.
    Stop it with `end_process` in a `finally`."""
    return subprocess.Popen(
        [sys.executable, "-m", "tuner", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A process that hangs can be made to say where (see `outcome`).
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},
    )


def outcome(process: subprocess.Popen[str], timeout: float = DEADLINE) -> tuple[str, str]:
    """(stdout, stderr) once `process` has ended; one still running after `timeout` is made to
    print every thread's stack (SIGABRT, with the fault handler on) and the test fails with it."""
    try:
        return process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        _, err = process.communicate(timeout=timeout)
        raise AssertionError(f"still running after {timeout:g}s:\n{err}") from None


def end_process(process: subprocess.Popen[str]) -> None:
    """Kill `process` if it still runs, and reap it (a zombie still counts as running)."""
    if process.poll() is None:
        process.kill()
    process.wait()


def stall_chats(emulator: Emulator) -> Any:
    """Every chat request from now on is answered 429 with a minute's Retry-After: the work
    asking stays in flight (waiting, not blocking the emulator) until it is stopped. Returns
    the fault; its `times` falls below 10**6 once a request has met it."""
    from tuner.emulator import Fault

    return emulator.faults.add(Fault(r"/chat/completions", status=429, retry_after=60, times=10**6))


def kill_while_held(process: subprocess.Popen[str], hold: Any) -> None:
    """SIGKILL `process` while the emulator holds its download (no clean-up of any kind runs),
    then let the emulator's held reply go and reap the process."""
    try:
        process.kill()
        process.wait()
    finally:
        hold.release.set()
        end_process(process)


def read_lines_until(
    stream: IO[Any], done: Callable[[list[str]], bool], timeout: float = DEADLINE
) -> list[str]:
    """Lines from a process's pipe until `done(lines)` holds, waiting for each with a deadline
    (never a sleep). Read a byte at a time: nothing past the last line is taken from the pipe."""
    deadline = time.monotonic() + timeout
    buffer = b""
    while not done(buffer.decode(errors="replace").splitlines()) or not buffer.endswith(b"\n"):
        left = deadline - time.monotonic()
        ready, _, _ = select.select([stream], [], [], max(0.0, left))
        if not ready:
            raise AssertionError(f"the lines did not come before the deadline: {buffer!r}")
        chunk = os.read(stream.fileno(), 1)
        if not chunk:
            raise AssertionError(f"the pipe ended first: {buffer!r}")
        buffer += chunk
    return buffer.decode().splitlines()


def temporaries(folder: Path) -> list[Path]:
    """The hidden temporary files under `folder`: what a write cut short leaves."""
    return sorted(p for p in folder.rglob(".*.tmp") if p.is_file())


def written_temporaries(folder: Path) -> list[Path]:
    """The temporary files under `folder` that already hold bytes: a write is under way."""
    found = []
    for path in temporaries(folder):
        with contextlib.suppress(OSError):
            if path.stat().st_size:
                found.append(path)
    return found


# -- a host for one widget or dialog -------------------------------------------------------------


def host_app(*widgets: Any) -> Any:
    """A tiny app showing `widgets`, to test them alone. Results of dialogs pushed with
    `app.push_screen(dialog, app.results.append)` land in `app.results`."""
    from textual.app import App

    class Host(App[None]):
        def __init__(self) -> None:
            super().__init__()
            self.results: list[Any] = []
            self.shown_notices: list[str] = []  # as `TunerApp.shown_notices`, for `notices`

        def compose(self) -> Any:
            yield from widgets

        def notify(self, message: str, **options: Any) -> None:
            self.shown_notices.append(message)
            super().notify(message, **options)

    return Host()


def collector(*kinds: type) -> tuple[Callable[[Any], None], list[Any]]:
    """(a `run_test(message_hook=...)` hook, the list it fills with messages of `kinds`)."""
    seen: list[Any] = []

    def hook(message: Any) -> None:
        if isinstance(message, kinds):
            seen.append(message)

    return hook, seen


async def wait_for_badges(pilot: Pilot[Any]) -> None:
    """Until every small `.jsonl` the browser lists has its badge (they are checked by
    themselves a moment after the browser opens): a snapshot taken then is the same every run."""
    from tuner.ui.screens.files import FilesScreen

    screen = pilot.app.screen
    assert isinstance(screen, FilesScreen)
    await wait_until(pilot, screen.auto_checks_done)
    await settle(pilot)
