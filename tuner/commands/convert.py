"""`tuner convert IN OUT [--force] [--json]`: rewrite a JSON array or pretty-printed JSON as JSONL.

Exit codes: 0 everything converted; 1 some objects were skipped (the rest was written);
2 usage errors, an unreadable input, an unwritable OUT, or an existing OUT without --force;
128 + the signal's number when stopped by SIGTERM or SIGHUP (as a shell reports it).

A conversion stopped by ctrl-c, SIGTERM or SIGHUP leaves OUT as it was and no temporary file
behind: those signals are turned into an exception while the conversion runs, so the same
clean-up runs for all three.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

from tuner.data.wording import plural

# The signals that end a conversion cleanly (SIGINT already raises KeyboardInterrupt).
_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class _Stopped(BaseException):
    """A stop signal arrived; a BaseException so no `except Exception` swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    raise _Stopped(signum)


@contextlib.contextmanager
def _stop_signals_raise() -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP raise `_Stopped`; the previous handlers come back after.

    Only the main thread may set handlers; elsewhere (a test's thread) nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _raise_stopped) for signum in _STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


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


def run(args: argparse.Namespace) -> int:
    """Convert args.input into args.output; print a summary; return the exit code."""
    from tuner.data.convert import ConversionError, convert_file

    try:
        with _stop_signals_raise():
            result = convert_file(args.input, args.output, force=args.force)
    except _Stopped as stop:
        name = signal.Signals(stop.signum).name
        print(f"tuner convert: stopped by {name}; {args.output} was not written", file=sys.stderr)
        return 128 + stop.signum
    except FileExistsError:
        print(f"tuner convert: {args.output} exists; use --force to overwrite it", file=sys.stderr)
        return 2
    except ConversionError as exc:
        print(f"tuner convert: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        target = exc.filename or args.input
        print(f"tuner convert: {target}: {exc.strerror or exc}", file=sys.stderr)
        return 2

    if args.json:
        payload = {
            "input": args.input,
            "output": args.output if result.written else None,
            "examples": result.examples_written,
            "skipped": [issue.as_dict() for issue in result.skipped],
        }
        print(json.dumps(payload, ensure_ascii=False))
    else:
        for issue in result.skipped:
            print(f"{args.input}:{issue.line}:{issue.column}: {issue.message}", file=sys.stderr)
        if result.written:
            skipped = f", skipped {len(result.skipped):,}" if result.skipped else ""
            written = plural(result.examples_written, "example")
            print(f"wrote {written} to {args.output}{skipped}")
        else:
            print(f"tuner convert: no example could be read from {args.input}", file=sys.stderr)
    return 1 if result.skipped or not result.written else 0
