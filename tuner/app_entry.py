"""`tuner [PATH] [--demo] [--profile NAME]`: start the terminal app (and `tuner settings`).

Textual and the app are imported inside `run_app`, so `tuner validate` never pays for them,
and nothing on the way to the first frame imports `openai`.

The exit code is the app's: 0 after a normal quit, non-zero when it crashed (Textual sets
`return_code` to 1 and `run()` returns None). `tuner --demo` keeps everything it writes
(transcripts, follow cursors) in its own temporary folder, removed on exit: trying tuner leaves
nothing in the user's data folder.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tuner.ui.services import MemorySettingsStore

DATA_DIR_VARIABLE = "TUNER_DATA_DIR"
# The demo's history: a job on this base, finished this long before the app opened.
DEMO_HISTORY_MODEL = "gpt-4o-mini-2024-07-18"
DEMO_HISTORY_SECONDS = 2 * 3600.0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tuner",
        description="Open the tuner app on a folder (file browser) or a file (dataset screen).",
    )
    parser.add_argument("path", nargs="?", help="folder to browse or file to open (default: .)")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="try every screen with sample data and a built-in emulated service (no key)",
    )
    parser.add_argument("--profile", metavar="NAME", help="connection profile to use")
    return parser


@contextmanager
def demo_session() -> Iterator[tuple[Path, Any]]:
    """A fresh copy of the demo data and a running emulator, both cleaned up on exit.

    While it lasts, tuner's data folder (`TUNER_DATA_DIR`) is a folder beside the demo data, in
    the same temporary folder, so the demo's transcripts and cursors never mix with the user's;
    the variable is put back as it was afterwards.
    """
    from tuner.demo import copy_demo_data
    from tuner.emulator import Emulator

    folder = copy_demo_data()
    # The emulator's clock starts in the past so the demo can hold a job finished earlier.
    start = time.time() - DEMO_HISTORY_SECONDS
    try:
        with (
            _data_dir(folder.parent / "data"),
            Emulator(port=0, speed=1.0, api_key=None, start_time=start) as emu,
        ):
            seeding = threading.Thread(
                target=_seed_demo_history, args=(emu, folder), name="tuner-demo-seed", daemon=True
            )
            seeding.start()
            try:
                yield folder, emu
            finally:
                seeding.join()  # before the emulator and the folder go away
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)


def _seed_demo_history(emulator: Any, folder: Path) -> None:
    """A fine-tune finished on the OpenAI side, made from the support-bot files before the app
    opened: something to chat with, back up, or move to the Together profile (`m` on its
    screen) and compare with what comes back, without waiting for a first job to train.

    Runs beside the app's start-up (counting the files takes a moment); the emulator's clock
    catches up to the real time once the job exists.
    """
    support = folder / "support-bot"
    try:
        emulator.add_job(
            DEMO_HISTORY_MODEL,
            support / "train.jsonl",
            support / "valid.jsonl",
            suffix="support-v1",
        )
    except Exception:  # the demo goes on without its history; nothing may print over it
        logging.getLogger(__name__).exception("could not make the demo's finished job")
    emulator.advance(DEMO_HISTORY_SECONDS)


@contextmanager
def _data_dir(folder: Path) -> Iterator[None]:
    """`TUNER_DATA_DIR` set to `folder` (created) inside the block, restored after it."""
    folder.mkdir(parents=True, exist_ok=True)
    before = os.environ.get(DATA_DIR_VARIABLE)
    os.environ[DATA_DIR_VARIABLE] = str(folder)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(DATA_DIR_VARIABLE, None)
        else:
            os.environ[DATA_DIR_VARIABLE] = before


def run_app(argv: Sequence[str], *, start_mode: str | None = None) -> int:
    """Parse `argv`, run the app until the user quits, and return the exit code.

    `start_mode` opens the app on that mode ("settings" for `tuner settings`) instead of the
    file browser.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:  # argparse already printed usage
        return int(exc.code or 0)
    target: Path | None = None
    if args.path is not None:
        target = Path(args.path).expanduser()
        if not target.exists():
            print(f"tuner: error: no such file or folder: {args.path}", file=sys.stderr)
            return 2
    if args.demo:
        if target is not None:
            print("tuner: error: --demo opens its own folder; leave out PATH", file=sys.stderr)
            return 2
        with demo_session() as (folder, emulator):
            return _run_demo(folder, emulator)
    return _run(target, profile=args.profile, start_mode=start_mode)


def _exit_code(app: Any, result: int | None) -> int:
    """A failing return code of the app (1 after a crash, when `run()` gives None), else the
    result the app exited with, else 0."""
    code = getattr(app, "return_code", None)
    return code if code else (result or 0)


def _run(target: Path | None, *, profile: str | None, start_mode: str | None = None) -> int:
    from tuner.config import ConfigError
    from tuner.ui.app import make_app

    folder, open_file = (target.parent, target) if target and target.is_file() else (target, None)
    mode: dict[str, Any] = {"start_mode": start_mode} if start_mode is not None else {}
    try:
        app = make_app(folder, open_file=open_file, profile=profile, **mode)
    except ConfigError as exc:
        print(f"tuner: error: {exc}", file=sys.stderr)
        return 2
    # A profile that cannot connect (no key yet) is refused, except by the settings screen,
    # which is where a key is given.
    if profile is not None and start_mode != "settings" and app.connection.connection is None:
        print(f"tuner: error: {app.connection.problem}", file=sys.stderr)
        return 2
    return _exit_code(app, app.run())


def _run_demo(folder: Path, emulator: Any) -> int:
    from tuner.ui.app import make_app
    from tuner.ui.services import Services

    services = Services(settings_store=demo_settings_store(emulator), demo=True)
    app = make_app(folder, services=services)
    return _exit_code(app, app.run())


DEMO_OPENAI = "demo-openai"
DEMO_TOGETHER = "demo-together"
# A placeholder the emulator accepts; it lives only in this process. Transcripts scrub any
# registered key from what they save, so it must be a string no conversation contains.
DEMO_KEY = "tuner-demo-placeholder-key"


def demo_settings_store(emulator: Any) -> MemorySettingsStore:
    """The demo's settings, in memory: an OpenAI profile and a Together profile, both served by
    the one emulator (its OpenAI dialect under /v1, Together's under /together/v1). Nothing
    from the user's settings or environment (a real key, OPENAI_BASE_URL) reaches it."""
    from tuner.config import Profile, Settings
    from tuner.ui.services import MemorySettingsStore

    profiles = {
        DEMO_OPENAI: Profile(name=DEMO_OPENAI, kind="openai", base_url=emulator.base_url),
        DEMO_TOGETHER: Profile(
            name=DEMO_TOGETHER, kind="together", base_url=emulator.together_base_url
        ),
    }
    settings = Settings(active_profile=DEMO_OPENAI, profiles=profiles)
    keys = dict.fromkeys(profiles, DEMO_KEY)
    return MemorySettingsStore(settings, keys=keys, env={})
