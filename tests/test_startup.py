"""Starting tuner: the first frame must not pay for `openai` (the app built headless in a fresh
interpreter), and what `run_app` does around the app: the start mode, the exit code, the demo."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

import tuner
from tests.helpers import wait_for
from tuner.app_entry import demo_session, run_app
from tuner.cli import main

PROBE = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path

    from textual.events import Ready

    from tuner.ui.app import make_app
    from tuner.ui.services import MemorySettingsStore, Services
    from tuner.ui.session import ActiveConnection

    at_first_frame = []


    def hook(message) -> None:
        # Textual sends `Ready` once the first frame is on the screen: what was imported by
        # then is read at that moment, before any later worker (the file browser's token
        # counter loads tiktoken about a second on) can add to it, however busy the machine.
        if isinstance(message, Ready):
            at_first_frame.append(
                (type(app.screen).__name__, "openai" in sys.modules, "tiktoken" in sys.modules)
            )


    async def main() -> None:
        global app
        app = make_app(
            Path(sys.argv[1]),
            services=Services(settings_store=MemorySettingsStore()),
            connection=ActiveConnection(label="probe"),
        )
        async with app.run_test(message_hook=hook) as pilot:
            await pilot.pause()
        (screen, openai, tiktoken), = at_first_frame
        assert screen == "FilesScreen", screen
        print(openai, tiktoken)


    asyncio.run(main())
    """
)


def test_first_frame_does_not_import_openai(tmp_path: Path) -> None:
    (tmp_path / "train.jsonl").write_text('{"messages": []}\n')
    root = Path(tuner.__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=root,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


# -- run_app with a stand-in app -----------------------------------------------------------------
# The real app is tested under tests/ui; here only what `run_app` does with it is checked, so a
# tiny object stands in for it (building and running the real app would test Textual instead).


class FakeApp:
    """What `run_app` uses of the app: `run()`, `return_code` and the connection's state."""

    def __init__(self, result: int | None = None, return_code: int | None = 0) -> None:
        self.result = result
        self.return_code_after_run = return_code
        self.return_code: int | None = None
        self.connection = SimpleNamespace(connection=None, problem="no key")

    def run(self) -> int | None:
        self.return_code = self.return_code_after_run
        return self.result


def capture_make_app(monkeypatch, app: FakeApp) -> list[tuple[tuple, dict]]:
    calls: list[tuple[tuple, dict]] = []

    def make_app(*args: object, **kwargs: object) -> FakeApp:
        calls.append((args, kwargs))
        return app

    monkeypatch.setattr("tuner.ui.app.make_app", make_app)
    return calls


def test_settings_starts_the_app_on_the_settings_screen(monkeypatch) -> None:
    calls = capture_make_app(monkeypatch, FakeApp())
    assert main(["settings", "--profile", "work"]) == 0
    ((_args, kwargs),) = calls
    assert kwargs["start_mode"] == "settings" and kwargs["profile"] == "work"
    # A profile with no key yet is what the settings screen is for: no "no key" exit here.


def test_plain_start_asks_for_no_mode(monkeypatch, tmp_path: Path) -> None:
    calls = capture_make_app(monkeypatch, FakeApp())
    assert run_app([str(tmp_path)]) == 0
    ((args, kwargs),) = calls
    assert args == (tmp_path,) and "start_mode" not in kwargs


def test_a_crashed_app_exits_non_zero(monkeypatch) -> None:
    """Textual's `run()` returns None when the app dies of an unhandled error and sets
    `return_code` to 1; `app.run() or 0` used to turn that crash into success."""
    capture_make_app(monkeypatch, FakeApp(result=None, return_code=1))
    assert run_app([]) == 1
    capture_make_app(monkeypatch, FakeApp(result=None, return_code=0))
    assert run_app([]) == 0
    capture_make_app(monkeypatch, FakeApp(result=None, return_code=None))
    assert run_app([]) == 0  # never ran to an exit code: nothing says it failed
    capture_make_app(monkeypatch, FakeApp(result=3, return_code=0))
    assert run_app([]) == 3  # an app that exits with a result keeps it


# -- the demo keeps its data apart -----------------------------------------------------------------


@pytest.mark.parametrize("before", ["set", "unset"])
def test_the_demo_keeps_its_data_in_its_own_folder(monkeypatch, before: str) -> None:
    """Demo transcripts and cursors used to land in the user's real data folder."""
    from tuner.config import data_dir

    if before == "unset":
        monkeypatch.delenv("TUNER_DATA_DIR")
    was = os.environ.get("TUNER_DATA_DIR")
    with demo_session() as (folder, emulator):
        assert emulator.base_url.startswith("http://127.0.0.1:")
        inside = data_dir()
        assert inside.is_relative_to(folder.parent) and not inside.is_relative_to(folder)
        assert inside.is_dir()
    assert os.environ.get("TUNER_DATA_DIR") == was
    assert not folder.parent.exists()  # the demo's folder, data and all, is gone


def test_the_demo_holds_a_finished_openai_job_to_move_or_chat_with() -> None:
    """Made before the app opens, without an SDK; the clock is back at the real time after."""
    import time

    with demo_session() as (_folder, emulator):
        wait_for(lambda: any(job.to_json()["status"] == "succeeded" for job in _jobs(emulator)))
        (job,) = [job.to_json() for job in _jobs(emulator)]
        assert (
            job["fine_tuned_model"].startswith("ft:gpt-4o-mini-2024-07-18:")
            and job["validation_file"]
        )
        assert abs(emulator.clock.now() - time.time()) < 60
        assert job["finished_at"] <= time.time() + 1


def _jobs(emulator) -> list:
    with emulator.state.lock:
        emulator.state.tick()
        return list(emulator.state.jobs.values())


def test_the_demo_goes_on_without_its_history_when_it_cannot_be_made(
    tmp_path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The seeding runs beside the app's screen: a failure is logged, never printed."""
    import time

    from tuner.app_entry import DEMO_HISTORY_SECONDS, _seed_demo_history
    from tuner.emulator import Emulator

    with Emulator(api_key=None, start_time=time.time() - DEMO_HISTORY_SECONDS) as emulator:
        _seed_demo_history(emulator, tmp_path)  # no support-bot folder here
        assert not emulator.state.jobs
        assert abs(emulator.clock.now() - time.time()) < 60  # the clock caught up all the same
    assert capfd.readouterr().err == ""


def test_log_records_never_reach_the_terminal_unconfigured() -> None:
    """Python's last-resort handler would print tuner's warnings over the app's screen."""
    import subprocess
    import sys

    code = "import logging, tuner; logging.getLogger('tuner.api.backup.run').error('boom')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr == ""
