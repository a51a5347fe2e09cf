"""`tuner validate FILE`: the dataset checks, headless, for people and for CI pipelines.

Exit 0 when the service would accept the file (warnings allowed), 1 when it has errors, 2 on
usage errors or an unreadable path.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tuner.commands._args import positive_int

if TYPE_CHECKING:
    from tuner.data.analysis import AnalysisReport
    from tuner.data.catalog import Catalog
    from tuner.data.problems import Problem

# Human output shows this many codes per severity and this many line numbers per code; --json
# always has everything.
MAX_CODES_SHOWN = 12
MAX_LINES_SHOWN = 8


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "validate",
        help="check a training file: errors, warnings, tokens and the cost estimate",
        description="Check a JSONL training file the way the fine-tuning service would, "
        "count its tokens and estimate the cost. Works offline.",
    )
    p.add_argument("file", type=Path, help="the JSONL training file")
    p.add_argument("--model", help="base model for the limit, encoding and price")
    p.add_argument("--epochs", type=positive_int, help="epochs (default: the service's heuristic)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--tiktoken-file", type=Path, help="a .tiktoken vocabulary for a model tuner does not know"
    )
    p.add_argument("--workers", type=positive_int, help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tuner.data.analysis import analyse_file
    from tuner.data.encodings import EncodingUnavailable

    path: Path = args.file
    if not path.exists():
        return _fail(f"tuner validate: {path}: no such file")
    if path.is_dir():
        return _fail(f"tuner validate: {path}: is a directory, not a file")
    try:
        catalog, model = _catalog_and_model(args.model)
    except ValueError as exc:
        return _fail(f"tuner validate: {exc}")
    progress = _StderrProgress(path) if sys.stderr.isatty() and not args.json else None
    try:
        report = analyse_file(
            path,
            model,
            epochs=args.epochs,
            catalog=catalog,
            tiktoken_file=args.tiktoken_file,
            workers=args.workers,
            progress=progress,
        )
    except (OSError, EncodingUnavailable) as exc:
        return _fail(f"tuner validate: {path}: {_describe(exc)}")
    finally:
        if progress:
            progress.clear()
    if args.json:
        json.dump(report.to_json(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print_report(report, sys.stdout)
    return 0 if report.valid else 1


def _catalog_and_model(requested: str | None) -> tuple[Catalog, str]:
    """The catalog with the user's overrides, and the model: --model, else the settings' default."""
    from tuner.config import ConfigError, load_settings
    from tuner.data.catalog import CatalogError, default_catalog

    try:
        settings = load_settings()
        catalog = default_catalog().with_overrides(settings.catalog_overrides())
    except (ConfigError, CatalogError) as exc:
        raise ValueError(str(exc)) from None
    return catalog, requested or settings.default_model


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc)


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


class _StderrProgress:
    """A one-line progress indicator on a terminal's stderr; silent in pipes and CI logs."""

    def __init__(self, path: Path) -> None:
        self.name = path.name

    def __call__(self, done: int, total: int) -> None:
        pct = 100 * done // total if total else 100
        sys.stderr.write(f"\rchecking {self.name}: {pct:3d}% ({done / 1e6:,.0f} MB)")
        sys.stderr.flush()

    def clear(self) -> None:
        sys.stderr.write("\r\x1b[2K")
        sys.stderr.flush()


def print_report(report: AnalysisReport, out: TextIO) -> None:
    """The human report: verdict, problems grouped by code, token distribution, estimate."""
    w = out.write
    errors, warnings = report.errors, report.warnings
    fmt = report.format.value if report.format else "unknown"
    verdict = "OK" if report.valid else "INVALID"
    w(f"{report.path}: {verdict} — {report.examples:,} examples, {fmt} format\n")
    w(f"  {_count(len(errors), 'error')}, {_count(len(warnings), 'warning')}\n")
    for title, problems in (("Errors", errors), ("Warnings", warnings)):
        if problems:
            w(f"\n{title}\n")
            _print_groups(problems, w)
    s = report.stats
    w(f"\nTokens ({report.encoding}, {'exact' if report.exact_tokens else 'approximate'})\n")
    if s.n:
        w(f"  per example: min {s.min:,}  p5 {s.p5:,.0f}  p50 {s.p50:,.0f}  mean {s.mean:,.1f}")
        w(f"  p95 {s.p95:,.0f}  max {s.max:,}\n")
        w(f"  total {s.total:,}   billed {report.billed_tokens:,}")
        w(f"   assistant {report.assistant_tokens:,}\n")
        if report.example_token_limit is not None:
            w(f"  over the {report.example_token_limit:,}-token limit: {report.over_limit:,}\n")
    else:
        w("  no example could be counted\n")
    est = report.estimate
    w(f"\nEstimate for {report.model}\n")
    w(f"  {_count(report.epochs, 'epoch')} x {report.billed_tokens:,} billed tokens")
    w(f" = {est.trained_tokens:,} trained tokens\n")
    if est.cost_usd is not None and est.price_per_1m is not None:
        w(f"  at ${est.price_per_1m:,.2f} per 1M tokens: ${est.cost_usd:,.2f}\n")
    else:
        w("  price unknown for this model: add it to settings.toml [[models]]\n")
    for notice in report.notices:
        w(f"\nnote: {notice}\n")


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _print_groups(problems: list[Problem], write: Callable[[str], object]) -> None:
    groups: dict[str, list[Problem]] = {}
    for p in problems:
        groups.setdefault(p.code, []).append(p)
    ordered = sorted(groups.items(), key=lambda kv: -len(kv[1]))
    for code, items in ordered[:MAX_CODES_SHOWN]:
        lines = [str(p.line) for p in items if p.line is not None][:MAX_LINES_SHOWN]
        where = ""
        if lines:
            more = "…" if sum(p.line is not None for p in items) > len(lines) else ""
            where = f" line{'s' if len(lines) > 1 else ''} {', '.join(lines)}{more}"
        write(f"  {code} ({len(items):,}){where}\n")
        first = items[0]
        mentions_line = first.message.startswith(f"line {first.line} ")
        at = f"line {first.line}: " if first.line is not None and not mentions_line else ""
        write(f"      {at}{first.message}\n")
    if len(ordered) > MAX_CODES_SHOWN:
        rest = sum(len(v) for _, v in ordered[MAX_CODES_SHOWN:])
        write(f"  … {len(ordered) - MAX_CODES_SHOWN} more codes ({rest:,} problems): use --json\n")
