"""Entry points: `tuner [PATH]` starts the app, `tuner COMMAND ...` runs a headless command.

Exit codes shared by every command: 0 success, 1 the work found a problem (invalid data, a failed
job), 2 usage errors or unreadable input. Errors are one line on stderr, never a traceback.

`tuner --help` shows the app first (most people want the app, and nothing else would tell them
`tuner PATH` and `--demo` exist), then the commands. `tuner settings` is a command that opens the
app on its settings screen.
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
    "split",
    "upload",
    "jobs",
    "chat",
    "backup",
    "migrate",
    "eval",
    "emulator",
)
# Commands that open the app rather than run headless; registered here, above the app.
APP_COMMANDS: tuple[str, ...] = ("settings",)

USAGE = "tuner [PATH] [--demo] [--profile NAME]\n       tuner COMMAND [options]"
DESCRIPTION = """\
Without a command, tuner opens the terminal app: a file browser on PATH (a folder, default the
current one), or the dataset screen when PATH is a file. Check, price and upload fine-tuning
data, start and watch jobs, chat with the models they make.

  --demo          try every screen with sample data and a built-in emulated service (no key)
  --profile NAME  connect with that settings profile

With a command, tuner runs headless (scripts, CI); `tuner COMMAND --help` for its options."""


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on usage errors already; keep its message to one clean line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The full command line, for `main` and for tests that check usage handling."""
    parser = _Parser(
        prog="tuner",
        usage=USAGE,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(
        dest="command",
        metavar="COMMAND",
        title="commands",
        parser_class=_Parser,
        prog="tuner",  # "usage: tuner upload ...", not the app's two-line usage first
    )
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"tuner.commands.{name}")
        module.register(subparsers)
    _register_settings(subparsers)
    return parser


def _register_settings(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "settings",
        help="open the app on its settings screen (profiles, keys, the default model)",
        description="Open the tuner app on the settings screen, as `tuner` then `s` does.",
    )
    p.add_argument("--profile", metavar="NAME", help="open that profile's form")
    p.set_defaults(func=_run_settings)


def _run_settings(args: argparse.Namespace) -> int:
    from tuner import app_entry

    argv = ["--profile", args.profile] if args.profile else []
    return app_entry.run_app(argv, start_mode="settings")


def _is_command(argv: Sequence[str]) -> bool:
    names = set(COMMAND_MODULES) | set(APP_COMMANDS) | {"-h", "--help", "--version"}
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
    try:
        if args_list[0] == "eval" and args_list[1:2]:
            # `tuner eval FILE` and `tuner eval record FILE`: argparse cannot have an optional
            # positional beside sub-commands, so the sub-commands parse on their own.
            from tuner.commands.eval import SUBCOMMANDS, main_subcommand

            if args_list[1] in SUBCOMMANDS:
                return main_subcommand(args_list[1:])
        parser = build_parser()
        args = parser.parse_args(args_list)
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
