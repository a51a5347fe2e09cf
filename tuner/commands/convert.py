"""`tuner convert IN OUT [--force] [--json]`: rewrite a JSON array or pretty-printed JSON as JSONL.

Exit codes: 0 everything converted (what was put right on the way, such as a byte-order mark
left inside the file by joining files, is said on stderr, or under `warnings` with --json);
1 some objects were skipped (the rest was written);
2 usage errors, an unreadable input, an unwritable OUT, or an existing OUT without --force;
128 + the signal's number when stopped by SIGTERM or SIGHUP (as a shell reports it).

A conversion stopped by ctrl-c, SIGTERM or SIGHUP leaves OUT as it was and no temporary file
behind: those signals are turned into an exception while the conversion runs
(`tuner.data.stop_signals`), so the same clean-up runs for all three.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tuner.commands._json import json_text
from tuner.data.stop_signals import Stopped, stop_signals_raise
from tuner.data.visible_text import visible_line
from tuner.data.wording import plural


def register(subparsers: Any) -> None:
    """Add the `convert` sub-command to the `tuner` parser."""
    p = subparsers.add_parser(
        "convert",
        help="turn a JSON array or pretty-printed JSON into clean JSONL (one example per line)",
        description=(
            "Convert a JSON array, a stream of pretty-printed objects (trailing commas "
            "tolerated) or JSONL with blank lines into clean JSONL. Objects that cannot be read "
            "are reported with their line:column and skipped."
        ),
    )
    p.add_argument("input", metavar="IN", help="the file to convert")
    p.add_argument("output", metavar="OUT", help="the JSONL file to write")
    p.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=run)


def _say(message: str) -> None:
    """One line on stderr; the file names and messages in it (the user's, and text quoted
    from the file) have their control characters shown, never sent to the terminal."""
    print(visible_line(message), file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """Convert args.input into args.output; print a summary; return the exit code."""
    from tuner.data.jsonl.convert import ConversionError, convert_file

    try:
        with stop_signals_raise():
            result = convert_file(args.input, args.output, force=args.force)
    except Stopped as stop:
        _say(f"tuner convert: stopped by {stop.name}; {args.output} was not written")
        return stop.exit_code
    except FileExistsError:
        _say(f"tuner convert: {args.output} exists; use --force to overwrite it")
        return 2
    except ConversionError as exc:
        _say(f"tuner convert: {exc}")
        return 2
    except OSError as exc:
        target = exc.filename or args.input
        _say(f"tuner convert: {target}: {exc.strerror or exc}")
        return 2

    if args.json:
        payload = {
            "input": args.input,
            "output": args.output if result.written else None,
            "examples": result.examples_written,
            "skipped": [issue.as_dict() for issue in result.skipped],
            "warnings": [issue.as_dict() for issue in result.warnings],
        }
        print(json_text(payload))
    else:
        for issue in sorted([*result.skipped, *result.warnings], key=lambda i: i.line):
            _say(f"{args.input}:{issue.line}:{issue.column}: {issue.message}")
        if result.written:
            skipped = f", skipped {len(result.skipped):,}" if result.skipped else ""
            written = plural(result.examples_written, "example")
            print(visible_line(f"wrote {written} to {args.output}{skipped}"))
        else:
            _say(f"tuner convert: no example could be read from {args.input}")
    return 1 if result.skipped or not result.written else 0
