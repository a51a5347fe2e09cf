"""`tuner validate FILE`: the dataset checks, headless, for people and for CI pipelines.

Exit 0 when the service would accept the file (warnings allowed), 1 when it has errors, 2 on
usage errors or an unreadable path.

The file is checked against the rules and model table of one service: the one of `--profile`'s
kind, else of the active profile, else OpenAI's (Azure OpenAI profiles use OpenAI's rules;
Together AI profiles Together's). Only the settings file is read: no network, no key.

FILE may also be `-` (standard input) or a pipe (`<(gunzip -c train.jsonl.gz)`, `/dev/stdin`):
the stream is copied to a temporary file in tuner's cache folder (bounded by the disk, not by
memory) and checked like any file, under the name the user gave. A named FIFO is opened without
waiting; one with no writer is refused instead of blocking forever.
That reading of FILE is `tuner.commands.input_file`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tuner.commands._args import positive_int
from tuner.commands._json import write_json
from tuner.commands.input_file import InputError, readable_input
from tuner.config.service_facts import RulesFamily, facts_for
from tuner.data.rules.problems import Severity
from tuner.data.visible_text import visible, visible_line
from tuner.data.wording import plural

if TYPE_CHECKING:
    from tuner.data.analysis.report import AnalysisReport
    from tuner.data.catalog.lookup import Catalog
    from tuner.data.rules.problems import Problem

# Human output shows this many codes per severity and this many line numbers per code; --json
# lists the first PROBLEMS_KEPT_PER_CODE of each code and, under `left_out`, how many more.
MAX_CODES_SHOWN = 12
MAX_LINES_SHOWN = 8

JSON_HELP = (
    "print one JSON object: errors and warnings list the first 1,000 problems of each code, "
    '"left_out" says how many more of each code there are ({"errors": {code: n}, '
    '"warnings": {code: n}})'
)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "validate",
        help="check a training file: errors, warnings, tokens and the cost estimate",
        description="Check a JSONL training file the way the fine-tuning service would, "
        "count its tokens and estimate the cost. Works offline. The rules and models are those "
        "of the --profile's service (OpenAI, Azure OpenAI or Together AI); without --profile, "
        "of the active profile's service, and OpenAI's when there is no profile.",
    )
    p.add_argument("file", help="the JSONL training file (- for standard input)")
    p.add_argument(
        "--profile",
        metavar="NAME",
        help="check against the rules and models of this settings profile's service "
        "(default: the active profile's; OpenAI's rules when there is no profile)",
    )
    p.add_argument(
        "--model",
        help="base model for the limit, encoding and price (default: the service's default)",
    )
    p.add_argument(
        "--epochs",
        type=positive_int,
        help="epochs (default: the service's: OpenAI's heuristic, Together's 1)",
    )
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p.add_argument(
        "--tiktoken-file", type=Path, help="a .tiktoken vocabulary for a model tuner does not know"
    )
    p.add_argument("--workers", type=positive_int, help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tuner.data.analysis.analyse import analyse_file
    from tuner.data.tokens.encodings import EncodingUnavailable

    given: str = str(args.file)
    try:
        catalog, model, profile = _catalog_and_model(args.model, args.profile)
    except ValueError as exc:
        return _fail(f"tuner validate: {exc}")
    try:
        with readable_input(given) as (path, shown_as):
            shown = Path(shown_as) if shown_as is not None else path
            progress = _StderrProgress(shown) if sys.stderr.isatty() and not args.json else None
            try:
                report = analyse_file(
                    path,
                    model,
                    epochs=args.epochs,
                    catalog=catalog,
                    tiktoken_file=args.tiktoken_file,
                    workers=args.workers,
                    progress=progress,
                    shown_as=shown_as,
                    service=catalog.service,
                )
            finally:
                if progress:
                    progress.clear()
    except InputError as exc:
        return _fail(f"tuner validate: {exc}")
    except (OSError, EncodingUnavailable) as exc:
        return _fail(f"tuner validate: {given}: {_describe(exc)}")
    retired = catalog.refusal(model, date.today())  # the data may be fine; no job can start
    if retired is not None:
        report.notices.insert(0, retired)
    if args.json:
        data = report.to_json()
        data["profile"] = profile
        write_json(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print_report(report, sys.stdout)
    return 0 if report.valid else 1


def _catalog_and_model(
    requested: str | None, profile: str | None = None
) -> tuple[Catalog, str, str | None]:
    """The catalog of the profile's service with the user's overrides, the model (--model, else
    the settings' default model when that service knows it, else the service's default) and
    the profile's name (None: no profile, OpenAI's table).

    `profile=None` means the active profile. An unknown profile is a `ValueError` naming the
    profiles there are.
    """
    from tuner.config import ConfigError, load_settings
    from tuner.config.service_facts import DefaultModels
    from tuner.data.catalog.choice import settings_catalog
    from tuner.data.catalog.overrides import CatalogError

    try:
        settings = load_settings()
        if profile is not None and profile not in settings.profiles:
            known = ", ".join(sorted(settings.profiles)) or "none (add one with tuner settings)"
            raise ValueError(f"no profile named {profile!r}; profiles: {known}")
        catalog = settings_catalog(settings, profile)
    except (ConfigError, CatalogError) as exc:
        raise ValueError(str(exc)) from None
    chosen = settings.profile(profile)
    name = chosen.name if chosen is not None else None
    if requested:
        return catalog, requested, name
    global_default = catalog.facts.default_models is DefaultModels.SETTINGS
    if global_default or catalog.resolve(settings.default_model).info:
        return catalog, settings.default_model, name
    return catalog, catalog.default_model, name


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc)


def _fail(message: str) -> int:
    """The message (which names the user's file) on stderr, its control characters shown."""
    print(visible(message), file=sys.stderr)
    return 2


class _StderrProgress:
    """A one-line progress indicator on a terminal's stderr; silent in pipes and CI logs."""

    def __init__(self, path: Path) -> None:
        self.name = visible_line(path.name)

    def __call__(self, done: int, total: int) -> None:
        pct = 100 * done // total if total else 100
        sys.stderr.write(f"\rchecking {self.name}: {pct:3d}% ({done / 1e6:,.0f} MB)")
        sys.stderr.flush()

    def clear(self) -> None:
        sys.stderr.write("\r\x1b[2K")
        sys.stderr.flush()


def print_report(report: AnalysisReport, out: TextIO) -> None:
    """The human report: verdict, problems grouped by code, token distribution, estimate.

    It quotes the user's file (its name, values in problem messages): every piece written goes
    through `visible`, so a control character in them is shown, never sent to the terminal."""

    def w(text: str) -> None:
        out.write(visible(text))

    errors, warnings = report.errors, report.warnings
    fmt = report.format.value if report.format else "unknown"
    verdict = "OK" if report.valid else "INVALID"
    examples = plural(report.examples, "example")
    w(f"{visible_line(str(report.path))}: {verdict} — {examples}, {fmt} format\n")
    w(f"  checked against {report.rules}\n")
    w(f"  {plural(report.error_count, 'error')}, {plural(report.warning_count, 'warning')}\n")
    for title, problems, severity in (
        ("Errors", errors, Severity.ERROR),
        ("Warnings", warnings, Severity.WARNING),
    ):
        if problems:
            w(f"\n{title}\n")
            _print_groups(problems, report.problems_left_out(severity), w)
    s = report.stats
    w(f"\nTokens ({report.tokens_label})\n")
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
    info = report.resolution.info
    w(f"\nEstimate for {report.model}\n")
    w(f"  {plural(report.epochs, 'epoch')} x {report.billed_tokens:,} billed tokens")
    w(f" = {est.trained_tokens:,} trained tokens\n")
    if est.cost_usd is not None and est.price_per_1m is not None:
        how = " (LoRA)" if info is not None and info.training_types and not report.full else ""
        w(f"  at ${est.price_per_1m:,.2f} per 1M tokens{how}: ${est.cost_usd:,.2f}\n")
        _print_full_price(report, w)
    else:
        openai_table = facts_for(report.service).rules is RulesFamily.OPENAI
        where = "[[models]]" if openai_table else "[[profiles.NAME.models]]"
        w(f"  price unknown for this model: add it to settings.toml {where}\n")
    for notice in report.notices:
        w(f"\nnote: {notice}\n")


def _print_full_price(report: AnalysisReport, write: Callable[[str], object]) -> None:
    """Where the service lets the user choose LoRA or full fine-tuning (Together), the other."""
    info = report.resolution.info
    if info is None or not info.training_types or report.full:
        return
    if info.lora_only:
        write("  LoRA only: the service offers no full fine-tuning of this model\n")
        return
    full = report.reprice(info, report.epochs, full=True)
    if full.cost_usd is not None and full.price_per_1m is not None:
        price, cost = full.price_per_1m, full.cost_usd
        write(f"  full fine-tuning at ${price:,.2f} per 1M tokens: ${cost:,.2f}\n")


def _print_groups(
    problems: list[Problem], left_out: dict[str, int], write: Callable[[str], object]
) -> None:
    """One entry per code, most frequent first: its count (listed and left out), its first
    lines, its first message, and how many more there are."""
    groups: dict[str, list[Problem]] = {}
    for p in problems:
        groups.setdefault(p.code, []).append(p)
    totals = {code: len(items) + left_out.get(code, 0) for code, items in groups.items()}
    ordered = sorted(groups.items(), key=lambda kv: -totals[kv[0]])
    for code, items in ordered[:MAX_CODES_SHOWN]:
        total = totals[code]
        lines = [f"{p.line:,}" for p in items if p.line is not None][:MAX_LINES_SHOWN]
        where = f" line{'s' if len(lines) > 1 else ''} {', '.join(lines)}" if lines else ""
        write(f"  {code} ({total:,}){where}\n")
        first = items[0]
        mentions_line = first.message.startswith(f"line {first.line} ")
        write(f"      {visible_line(first.message if mentions_line else first.located())}\n")
        more = total - max(len(lines), 1)
        if more > 0:
            write(f"      … and {more:,} more {code}\n")
    if len(ordered) > MAX_CODES_SHOWN:
        rest = sum(totals[code] for code, _ in ordered[MAX_CODES_SHOWN:])
        codes = plural(len(ordered) - MAX_CODES_SHOWN, "more code")
        write(f"  … {codes} ({plural(rest, 'problem')}): use --json\n")
