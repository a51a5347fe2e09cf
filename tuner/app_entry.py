"""`tuner [PATH] [--demo] [--profile NAME]`: start the terminal app.

Textual and the app are imported inside `run_app`, so `tuner validate` never pays for them,
and nothing on the way to the first frame imports `openai`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any


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
    """A fresh copy of the demo data and a running emulator, both cleaned up on exit."""
    from tuner.demo import copy_demo_data
    from tuner.emulator import Emulator

    folder = copy_demo_data()
    try:
        with Emulator(port=0, speed=1.0, api_key=None) as emulator:
            yield folder, emulator
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)


def run_app(argv: Sequence[str]) -> int:
    """Parse `argv`, run the app until the user quits, and return the exit code."""
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
    return _run(target, profile=args.profile)


def _run(target: Path | None, *, profile: str | None) -> int:
    from tuner.config import ConfigError
    from tuner.ui.app import make_app

    folder, open_file = (target.parent, target) if target and target.is_file() else (target, None)
    try:
        app = make_app(folder, open_file=open_file, profile=profile)
    except ConfigError as exc:
        print(f"tuner: error: {exc}", file=sys.stderr)
        return 2
    if profile is not None and app.connection.connection is None:
        print(f"tuner: error: {app.connection.problem}", file=sys.stderr)
        return 2
    return app.run() or 0


def _run_demo(folder: Path, emulator: Any) -> int:
    from tuner.config import Connection, Secret
    from tuner.ui.app import make_app
    from tuner.ui.services import MemorySettingsStore, Services
    from tuner.ui.session import ActiveConnection

    # A placeholder the emulator accepts; it lives only in this process. Transcripts scrub any
    # registered key from what they save, so it must be a string no conversation contains.
    placeholder = Secret("tuner-demo-placeholder-key")
    connection = Connection(profile_name="demo", base_url=emulator.base_url, api_key=placeholder)
    active = ActiveConnection(label="demo · emulator", connection=connection, demo=True)
    # The demo never reads or writes the user's settings: a fresh in-memory store.
    services = Services(settings_store=MemorySettingsStore())
    app = make_app(folder, services=services, connection=active)
    return app.run() or 0
