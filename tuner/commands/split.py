"""`tuner split FILE [--holdout 10%|N] [--seed N] [--out-dir DIR] [--force] [--json]`: hold out
part of a training file for evaluation.

Writes `NAME.train.jsonl` and `NAME.holdout.jsonl` beside FILE (or in DIR), the same split for
the same file and seed; examples with the same prompt stay on one side (`tuner.data.eval.split`).

Exit codes: 0 written; 2 usage errors, an unreadable FILE, a file too small to split, an existing
output without --force, or an output that cannot be written; 128 + the signal's number when
stopped by SIGTERM or SIGHUP. A stopped or failed split leaves no output and no temporary file.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tuner.commands._json import json_text
from tuner.data.stop_signals import Stopped, stop_signals_raise
from tuner.data.visible_text import visible_line


def register(subparsers: Any) -> None:
    """Add the `split` sub-command to the `tuner` parser."""
    p = subparsers.add_parser(
        "split",
        help="hold out part of a JSONL file for evaluation (NAME.train.jsonl, NAME.holdout.jsonl)",
        description=(
            "Split FILE into NAME.train.jsonl and NAME.holdout.jsonl. The same file and seed "
            "always give the same split; examples with the same prompt (whitespace aside) stay "
            "on one side, so the held-out prompts are new to a model trained on the rest. Lines "
            "are copied as they are; blank lines are dropped."
        ),
    )
    p.add_argument("file", metavar="FILE", help="the JSONL file to split")
    p.add_argument(
        "--holdout",
        metavar="SIZE",
        default="10%",
        help="how much to hold out: a percentage (10%%, the default) or a number of examples",
    )
    p.add_argument(
        "--seed",
        type=_seed,
        default=0,
        metavar="N",
        help="another seed gives another split (default 0)",
    )
    p.add_argument(
        "--out-dir", metavar="DIR", help="write the two files there (default: beside FILE)"
    )
    p.add_argument("--force", action="store_true", help="overwrite the two files if they exist")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=run)


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("a seed is 0 or more")
    return value


def run(args: argparse.Namespace) -> int:
    """Split args.file; print what was written; return the exit code."""
    from tuner.data.eval.split import SplitError, parse_holdout, split_file
    from tuner.data.jsonl.atomic_file import OutputError, describe_os_error

    name = visible_line(args.file)
    try:
        holdout = parse_holdout(args.holdout)
        with stop_signals_raise():
            result = split_file(
                args.file, holdout, seed=args.seed, out_dir=args.out_dir, force=args.force
            )
    except Stopped as stop:
        print(f"tuner split: stopped by {stop.name}; nothing was written", file=sys.stderr)
        return stop.exit_code
    except (SplitError, OutputError) as exc:
        print(f"tuner split: {visible_line(str(exc))}", file=sys.stderr)
        return 2
    except FileExistsError as exc:
        shown = visible_line(str(exc.filename or exc))
        print(f"tuner split: {shown}", file=sys.stderr)
        return 2
    except OSError as exc:
        target = visible_line(str(exc.filename)) if exc.filename else name
        print(f"tuner split: {target}: {describe_os_error(exc)}", file=sys.stderr)
        return 2

    paths = result.paths
    if args.json:
        payload = {
            "file": args.file,
            "train": str(paths.train),
            "holdout": str(paths.holdout),
            "train_examples": result.train_examples,
            "holdout_examples": result.holdout_examples,
            "asked": result.asked,
            "seed": args.seed,
            "blank_lines": result.blank_lines,
            "shared_prompt": result.shared_prompt,
        }
        print(json_text(payload))
        return 0
    print(
        f"wrote {result.train_examples:,} examples to {visible_line(str(paths.train))} and "
        f"{result.holdout_examples:,} to {visible_line(str(paths.holdout))} (seed {args.seed})"
    )
    if result.holdout_examples != result.asked:
        print(
            f"the holdout has {result.holdout_examples:,} examples, not {result.asked:,}: "
            "examples with the same prompt stay together"
        )
    if result.shared_prompt:
        print(
            f"{result.shared_prompt:,} examples repeat another's prompt; each group is on one side"
        )
    if result.blank_lines:
        print(f"{result.blank_lines:,} blank lines dropped")
    return 0
