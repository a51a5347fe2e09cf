"""Entry points: `tuner [PATH]` starts the app, `tuner COMMAND ...` runs a headless command.

Exit codes shared by every command: 0 success, 1 the work found a problem (invalid data, a failed
job), 2 usage errors or unreadable input. Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Sub-command modules under tuner.commands; each registers its own parser.
COMMAND_MODULES: tuple[str, ...] = (
    "validate",
    "convert",
    "upload",
    "jobs",
    "chat",
    "emulator",
)


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on usage errors already; keep its message to one clean line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The full command line, for `main` and for tests that check usage handling."""
    parser = _Parser(
        prog="tuner",
        description="Check, price, upload fine-tuning data; run and watch jobs; chat with models.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"tuner.commands.{name}")
        module.register(subparsers)
    return parser


def _is_command(argv: Sequence[str]) -> bool:
    names = set(COMMAND_MODULES) | {"-h", "--help", "--version"}
    return bool(argv) and argv[0] in names


def main(argv: Sequence[str] | None = None) -> int:
    """Run tuner with `argv` (default: the process arguments) and return the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not _is_command(args_list):
        from tuner.app_entry import run_app

        return run_app(args_list)
    if args_list and args_list[0] == "--version":
        from tuner import __version__

        print(f"tuner {__version__}")
        return 0
    parser = build_parser()
    args = parser.parse_args(args_list)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
