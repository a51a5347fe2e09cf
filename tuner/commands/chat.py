"""`tuner chat --model M --replay FILE`: send a prompt file line by line, print the chat.

Each non-empty line of FILE is the next user turn of one conversation; the model's reply is
streamed to stdout before the next line goes (the seed script's `metin.txt` habit). User and model
are coloured on a terminal and plain text otherwise (or with NO_COLOR), by
`tuner.commands.chat_transcript`. Lines that hit a rate
limit or a server error are retried with backoff; a line that still fails is reported on stderr
and skipped, keeping the conversation. The transcript is saved as the chat screen saves it, and
its path printed on stderr; when it cannot be saved (a read-only or full data folder) that is
said once on stderr and the replay goes on.

`--compare M2 [--compare-profile P2]` sends the same lines to a second model, on its own
profile's service (P2 defaults to `--profile`), in lockstep: line k goes to both, line k+1 once
both have answered, failed or skipped line k. It is how a fine-tune is heard next to its copy on
another service before the old one goes. On a terminal the two replies are printed side by
side, otherwise as blocks labelled by model (`tuner.commands.chat_columns`); one transcript
holds both; the end says, per model, the lines answered and the tokens and cost by that
service's own prices.

Exit codes: 0 every line answered (by every model); 1 some line failed; 2 usage, unreadable file,
or a service that cannot be used at all (no key, unknown model, never connected to before the
first answer), one line on stderr naming the model and profile when comparing. Rate limits and
replies cut short are retried per line, never fatal.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tuner.commands._service import CommandFailure, fail, run_service
from tuner.data.visible_text import visible_line
from tuner.data.wording import plural

if TYPE_CHECKING:
    from tuner.api.chat.replay import PromptLine, ReplayEvent
    from tuner.api.chat.session import ChatSettings
    from tuner.api.retry import RetryPolicy
    from tuner.api.service import FineTuningService
    from tuner.commands.chat_columns import ComparePrinter, Side
    from tuner.config import Connection, Settings
    from tuner.data.catalog.lookup import Catalog


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "chat",
        help="replay a prompt file into a model and print the conversation",
        description=(
            "Send each non-empty line of a text file as the next user turn of one "
            "conversation, streaming the model's replies. The transcript is saved."
        ),
    )
    p.add_argument("--model", required=True, help="model id (base, fine-tuned or checkpoint)")
    p.add_argument("--replay", required=True, metavar="FILE", help="prompt file, one turn a line")
    p.add_argument("--system", metavar="TEXT", help="system prompt")
    p.add_argument("--temperature", metavar="T", help="0 to 2")
    p.add_argument("--frequency-penalty", metavar="F", help="-2 to 2")
    p.add_argument("--presence-penalty", metavar="P", help="-2 to 2")
    p.add_argument("--max-tokens", metavar="N", help="at most N tokens per reply")
    p.add_argument(
        "--profile",
        metavar="NAME",
        help="settings profile to use (default: the active one, or OPENAI_* variables)",
    )
    p.add_argument(
        "--compare",
        metavar="MODEL",
        help="also send every line to MODEL, in lockstep, and print both replies",
    )
    p.add_argument(
        "--compare-profile",
        metavar="NAME",
        help="the profile MODEL of --compare is reached through (default: --profile)",
    )
    p.set_defaults(func=run)


def _retry_policy() -> RetryPolicy:
    """Backoff for failed lines (a function, so `tuner --help` never imports tuner.api)."""
    from tuner.api.retry import RetryPolicy

    return RetryPolicy(attempts=4, base=1.0, cap=20.0)


def run(args: argparse.Namespace) -> int:
    from tuner.api.chat.replay import PromptFileError, read_prompt_file
    from tuner.api.chat.session import ChatSettings, SettingsError

    try:
        settings = ChatSettings.parse(
            args.system or "",
            args.temperature or "",
            args.frequency_penalty or "",
            args.presence_penalty or "",
            args.max_tokens or "",
        )
    except SettingsError as exc:
        return fail("chat", str(exc))
    path = Path(args.replay).expanduser()
    try:
        lines = read_prompt_file(path)
    except PromptFileError as exc:
        return fail("chat", str(exc))
    if not lines:
        return fail("chat", f"{path}: no prompts (every line is empty)")
    if args.compare_profile is not None and args.compare is None:
        return fail("chat", "--compare-profile names the profile of --compare MODEL: give both")
    if args.compare is not None:
        return run_compare(args, settings, lines, path)

    out = sys.stdout
    colour = out.isatty() and not os.environ.get("NO_COLOR")
    from tuner.commands.chat_transcript import TranscriptPrinter

    printer = TranscriptPrinter(out, sys.stderr, colour=colour, total=len(lines))

    async def work(service: FineTuningService) -> int:
        from tuner.api.chat.compare import ReplayGroup
        from tuner.api.chat.session import ChatThread
        from tuner.api.model_checks import check_chat_model

        catalog = _profile_catalog(args.profile, service.capabilities.kind)
        await check_chat_model(service, args.model, catalog)  # a bad key or model: one line
        printer.catalog, printer.model = catalog, args.model
        thread = ChatThread(args.model, title=f"replay {path.name}")
        player = thread.replay(
            service, lines, settings, on_event=printer.on_event, retry=_retry_policy()
        )
        group = ReplayGroup([player])
        printer.player, printer.group = player, group
        try:
            await group.run()
        finally:
            if thread.transcript is not None:
                state = "incomplete" if thread.unsaved is not None else "saved"
                shown = visible_line(str(thread.transcript.path))
                print(f"transcript {state}: {shown}", file=sys.stderr)
        if printer.fatal is not None:
            raise CommandFailure(printer.fatal)
        from tuner.data.chat_cost import describe_usage

        failed = group.failed_lines()
        answered = group.total - len(failed)
        print(
            f"{answered:,} of {plural(group.total, 'line')} answered · "
            f"{describe_usage(printer.totals)}",
            file=sys.stderr,
        )
        return 1 if failed else 0

    return run_service("chat", args, work)


# ------------------------------------------------------------------------------ --compare


def run_compare(
    args: argparse.Namespace, settings: ChatSettings, lines: list[PromptLine], path: Path
) -> int:
    """Replay `lines` into `--model` and `--compare` in lockstep, each on its own profile."""
    import asyncio

    from tuner.api.errors import ServiceError
    from tuner.commands.chat_columns import Side
    from tuner.config import ConfigError, load_settings, resolve_connection

    profiles = (args.profile, args.compare_profile or args.profile)
    try:
        config = load_settings()
        connections = [resolve_connection(config, name) for name in profiles]
    except ConfigError as exc:
        return fail("chat", str(exc))
    models = (args.model, args.compare)
    names = [connection.profile_name for connection in connections]
    labels = _labels(models, names)
    sides = [
        Side(model, label, _catalog(config, profile, connection))
        for model, label, profile, connection in zip(
            models, labels, profiles, connections, strict=True
        )
    ]
    out = sys.stdout
    colour = out.isatty() and not os.environ.get("NO_COLOR")
    printer = _compare_printer(out, sys.stderr, sides, lines, colour=colour)

    async def main() -> int:
        opened: dict[str | None, FineTuningService] = {}
        try:
            services = [
                _open(opened, connection, model)
                for connection, model in zip(connections, models, strict=True)
            ]
            return await _compare(args, settings, lines, path, services, names, printer)
        finally:
            for service in opened.values():
                await service.close()

    try:
        return asyncio.run(main())
    except ServiceError as exc:
        return fail("chat", exc.message)
    except CommandFailure as exc:
        return fail("chat", exc.message, exc.code)


def _labels(models: tuple[str, str], profiles: list[str | None]) -> list[str]:
    """How each model is named: `model`, or `model · profile` when the profiles differ; two
    names alike (a model compared with itself) get their place added."""
    if profiles[0] != profiles[1]:
        labels = [f"{model} · {profile}" for model, profile in zip(models, profiles, strict=True)]
    else:
        labels = list(models)
    if labels[0] == labels[1]:
        labels = [f"{label} (#{number})" for number, label in enumerate(labels, start=1)]
    return [visible_line(label) for label in labels]


def _profile_catalog(profile: str | None, kind: str) -> Catalog:
    """The prices of `profile` (None: the active one), whose service is of `kind`; the built-in
    table of that kind when the settings cannot be read or priced with."""
    from tuner.config import ConfigError, load_settings
    from tuner.data.catalog.choice import default_catalog, settings_catalog
    from tuner.data.catalog.overrides import CatalogError

    try:
        return settings_catalog(load_settings(), profile)
    except (ConfigError, CatalogError):
        return default_catalog(kind)


def _catalog(config: Settings, profile: str | None, connection: Connection) -> Catalog:
    """The prices of the profile's own service, the user's overrides applied; the built-in
    table of its kind when the overrides are broken (`tuner validate` names the bad entry)."""
    from tuner.data.catalog.choice import default_catalog, settings_catalog
    from tuner.data.catalog.overrides import CatalogError

    try:
        return settings_catalog(config, profile)
    except CatalogError:
        return default_catalog(connection.kind)


def _compare_printer(
    out: TextIO, err: TextIO, sides: list[Side], lines: list[PromptLine], *, colour: bool
) -> ComparePrinter:
    """Side by side on a terminal wide enough for two readable columns, blocks otherwise."""
    import shutil

    from tuner.commands.chat_columns import MIN_COLUMN, SEPARATOR, BlockPrinter, ColumnPrinter

    width = shutil.get_terminal_size().columns
    if out.isatty() and width >= 2 * MIN_COLUMN + len(SEPARATOR):
        status = err.isatty()
        return ColumnPrinter(out, err, sides, lines, colour=colour, width=width, status=status)
    return BlockPrinter(out, err, sides, lines, colour=colour)


def _open(
    opened: dict[str | None, FineTuningService], connection: Connection, model: str
) -> FineTuningService:
    """The service of `connection`'s profile, opened once however many models use it; one
    that cannot be opened (no key) is named with the model that needed it."""
    from tuner.api.errors import ServiceError
    from tuner.api.open import open_service

    key = connection.profile_name
    if key not in opened:
        try:
            opened[key] = open_service(connection)
        except ServiceError as exc:
            raise CommandFailure(f"{_blame(model, key)}: {exc.message}") from None
    return opened[key]


def _blame(model: str, profile: str | None) -> str:
    """`M2 (profile together)`: which model and profile a fatal error is about."""
    return f"{model} (profile {profile})"


async def _compare(
    args: argparse.Namespace,
    settings: ChatSettings,
    lines: list[PromptLine],
    path: Path,
    services: list[FineTuningService],
    profiles: list[str | None],
    printer: ComparePrinter,
) -> int:
    """Run the comparison; a failure that would fail every line of a model ends it (exit 2)."""
    from tuner.api.chat.replay import LineFailed, ends_the_run
    from tuner.api.chat.session import compare_threads, replay_together
    from tuner.api.chat.transcripts import CompareSide
    from tuner.api.errors import ServiceError
    from tuner.api.model_checks import check_chat_model

    models = (args.model, args.compare)
    for model, service, profile, catalog in zip(
        models, services, profiles, printer.catalogs, strict=True
    ):
        try:  # a bad key or a misspelt model: one line naming it, before any turn
            await check_chat_model(service, model, catalog)
        except ServiceError as exc:
            raise CommandFailure(f"{_blame(model, profile)}: {exc.message}") from None
    sides = [CompareSide(model, profile) for model, profile in zip(models, profiles, strict=True)]
    threads = compare_threads(sides, title=f"replay {path.name}")
    fatal: list[str] = []

    def hear(side: int) -> Callable[[ReplayEvent], None]:
        printed = printer.hear(side)

        def on_event(event: ReplayEvent) -> None:
            printed(event)
            if not isinstance(event, LineFailed) or fatal:
                return
            if ends_the_run(event.error, printer.answered[side]):
                blame = _blame(printer.models[side], profiles[side])
                fatal.append(f"{blame}: {event.error.message}")
                group.stop()

        return on_event

    group = replay_together(threads, services, lines, settings, hear=hear, retry=_retry_policy())
    printer.begin()
    try:
        await group.run()
    finally:
        printer.finish()
        transcript = threads[0].transcript
        if transcript is not None:
            state = "incomplete" if threads[0].unsaved is not None else "saved"
            print(f"transcript {state}: {visible_line(str(transcript.path))}", file=sys.stderr)
    if fatal:
        raise CommandFailure(fatal[0])
    for line in printer.summary():
        print(line, file=sys.stderr)
    return 1 if group.failed_lines() else 0
