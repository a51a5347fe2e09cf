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
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import fcntl
import os
import re
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO

from tuner.commands._args import positive_int
from tuner.commands._json import write_json
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


# -- what FILE names ------------------------------------------------------------------------

STDIN_NAME = "stdin"
_OWN_FD = re.compile(r"/dev/(?:stdin|fd/(\d+))|/proc/self/fd/(\d+)")
_SPOOL_CHUNK = 1 << 20


class InputError(Exception):
    """FILE cannot be checked; the message is one line that names it and says why."""


@contextlib.contextmanager
def readable_input(given: str) -> Iterator[tuple[Path, str | None]]:
    """A regular file holding what `given` names, and the name to show for it.

    A regular file is used in place (the name is None: its path is its name). Standard input
    (`-`), a pipe or a FIFO is copied to a temporary file first, removed on exit; a FIFO with no
    writer, a directory, a device, a dangling or looping link raise `InputError`.
    """
    if given == "-":
        fd, head, shown = _stdin_fd(), b"", STDIN_NAME
    else:
        try:
            info = os.stat(given)
        except OSError as exc:
            raise InputError(f"{given}: {_missing(given, exc)}") from None
        if stat.S_ISREG(info.st_mode):
            yield Path(given), None
            return
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"{given}: is a directory, not a file")
        if not stat.S_ISFIFO(info.st_mode):
            raise InputError(f"{given}: is {_kind(info.st_mode)}, not a file")
        own = _own_pipe_fd(given, info)
        fd, head = (os.dup(own), b"") if own is not None else _open_fifo(given)
        shown = given
    try:
        with _spooled(fd, head, shown) as path:
            yield path, shown
    finally:
        os.close(fd)


def _missing(given: str, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop (the link points back to itself)"
    if exc.errno == errno.ENOENT and os.path.islink(given):
        return f"a symbolic link to {os.readlink(given)}, which does not exist"
    if exc.errno == errno.ENOENT:
        return "no such file"
    if exc.errno == errno.ENOTDIR:
        return "no such file (a part of the path is a file, not a folder)"
    return (exc.strerror or str(exc)).lower()


def _kind(mode: int) -> str:
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _stdin_fd() -> int:
    stream = sys.stdin
    if stream is None:
        raise InputError("-: there is no standard input")
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        raise InputError("-: standard input cannot be read as a stream") from None
    if os.isatty(fd):
        raise InputError(
            "-: standard input is a terminal; pipe the file in (tuner validate - < train.jsonl)"
        )
    return os.dup(fd)


def _own_pipe_fd(given: str, info: os.stat_result) -> int | None:
    """The descriptor of ours that `given` names (/dev/stdin, /dev/fd/N), if it is that pipe.

    Reading our own end never waits for a writer that will not come: a pipe whose writers are
    gone reads as its end. Opening it anew could.
    """
    match = _OWN_FD.fullmatch(given)
    if match is None:
        return None
    fd = int(match.group(1) or match.group(2) or 0)
    try:
        mine = os.fstat(fd)
    except OSError:
        return None
    return fd if (mine.st_dev, mine.st_ino) == (info.st_dev, info.st_ino) else None


def _open_fifo(given: str) -> tuple[int, bytes]:
    """Open a named FIFO for reading without waiting; refuse it when no writer has it open.

    Opened with O_NONBLOCK, a FIFO with no writer reads as empty at once, while one whose
    writer has not written yet says "try again": that tells the two apart without waiting.
    Returns the descriptor (blocking again) and the byte the test read, to copy first.
    """
    try:
        fd = os.open(given, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise InputError(f"{given}: {_missing(given, exc)}") from None
    try:
        first = os.read(fd, 1)
    except BlockingIOError:
        first = None  # a writer is there, with nothing written yet
    except OSError as exc:
        os.close(fd)
        raise InputError(f"{given}: {(exc.strerror or str(exc)).lower()}") from None
    if first == b"":
        os.close(fd)
        raise InputError(
            f"{given}: a FIFO with no writer, so there is nothing to read; start the program "
            "that writes to it first"
        )
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    return fd, first or b""


@contextlib.contextmanager
def _spooled(fd: int, head: bytes, shown: str) -> Iterator[Path]:
    """Copy `head` then the stream on `fd` to a temporary file; remove it on exit."""
    folder = _spool_folder()
    try:
        out_fd, name = tempfile.mkstemp(dir=folder, prefix="validate-", suffix=".jsonl")
    except OSError as exc:
        raise InputError(f"{shown}: cannot make a temporary copy in {folder}: {exc}") from None
    path = Path(name)
    try:
        with open(out_fd, "wb") as out:
            _copy_stream(fd, head, out, shown, folder)
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


def _copy_stream(fd: int, head: bytes, out: BinaryIO, shown: str, folder: Path) -> None:
    """Copy in 1 MB reads: memory stays flat however long the stream."""
    try:
        out.write(head)
        while chunk := os.read(fd, _SPOOL_CHUNK):
            out.write(chunk)
        out.flush()
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            raise InputError(
                f"{shown}: cannot keep a copy of it in {folder}: the disk is full"
            ) from None
        raise InputError(f"{shown}: cannot read it: {(exc.strerror or str(exc)).lower()}") from None


def _spool_folder() -> Path:
    """tuner's cache folder (created if need be), else the system's temporary folder."""
    from tuner.config import cache_dir

    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return Path(tempfile.gettempdir())
    return folder


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
