"""`tuner migrate JOB --to PROFILE --model BASE`: train a job again on another service.

    tuner migrate ftjob-abc --to together --model meta-llama/Meta-Llama-3.1-8B-Instruct-Reference

Reads the job on the source profile (`--profile`, default the active one), takes its training
and validation files (from `--from-backup DIR`, from `--training-file PATH`, or downloaded into
the work folder, `./migrate-JOB/` unless `--work-dir` says otherwise), converts them for the
target's rules and the model's limits, checks them again, and prints the plan: the files, every
change, tuner's estimate of both sides' cost, the settings that carry over and those that do
not. `--dry-run` stops there, having sent nothing to the target. Otherwise the converted files
are uploaded, the target's own price is asked for where it has one (it needs the uploaded
files), and the job is created; `--follow` then follows it like `tuner jobs follow`.

Running the same move again (the same job, profiles, base model and data) does not pay twice:
the job the first run made is found on the target and reported (and followed with `--follow`)
instead of another being made; a run stopped after its upload goes on from the uploaded files.
`--again` makes a new job on purpose. `--to` the job's own account is refused unless `--again`.

Exit codes: 0 done (with `--follow`: the new job succeeded); 1 the data still breaks the
target's rules, the target will not start the job at its price, or the followed job failed or
was cancelled; 2 usage, an unknown profile, a file that cannot be had, a service error or an
unreachable service; 130 ctrl-c (while the new job is followed: it runs on, and the line says
how to follow it again); 143 and 129 SIGTERM and SIGHUP. The plan goes to stdout, progress to
stderr; `--json` prints one object.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from tuner.commands._follow import (
    DEFAULT_POLL_INTERVAL,
    DEFAULT_UNREACHABLE_TIMEOUT,
    follow_to_end,
    interrupted_line,
)
from tuner.commands._service import (
    PROBLEMS_SHOWN,
    add_service_options,
    fail,
    job_line,
    not_found,
    print_json,
)
from tuner.data.stop_signals import Stopped, stop_signals_raise
from tuner.data.visible_text import visible_line

if TYPE_CHECKING:
    from tuner.api.migrate.plan import MigrationPlan, MigrationProgress, MigrationResult
    from tuner.api.service import FineTuningService
    from tuner.api.types import Job
    from tuner.data.catalog.lookup import Catalog

COMMAND = "migrate"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        COMMAND,
        help="train a fine-tuning job again on another service (data converted and checked)",
        description="Move JOB to the service of profile --to, as a job on --model: its files "
        "are converted for that service's rules and checked, both services' costs are shown, "
        "then the files are uploaded and the job created. Every change to the data is listed.",
    )
    p.add_argument("job", metavar="JOB", help="the job to move (on --profile's service)")
    p.add_argument("--to", required=True, metavar="PROFILE", help="the profile to move it to")
    p.add_argument("--model", required=True, metavar="BASE", help="the base model to train there")
    p.add_argument(
        "--suffix", help="the new model's suffix (default: the job's, cut to the target's limit)"
    )
    p.add_argument(
        "--from-backup",
        type=Path,
        metavar="DIR",
        help="take the job's files from a `tuner backup` folder instead of downloading them",
    )
    p.add_argument(
        "--training-file",
        type=Path,
        metavar="PATH",
        help="your own copy of the job's training file (when the service will not send it)",
    )
    p.add_argument(
        "--validation-file", type=Path, metavar="PATH", help="your own copy of its validation file"
    )
    p.add_argument(
        "--work-dir",
        type=Path,
        metavar="DIR",
        help="where downloads and converted files are kept (default: ./migrate-JOB)",
    )
    p.add_argument("--dry-run", action="store_true", help="show the plan and stop: nothing is sent")
    p.add_argument(
        "--again",
        action="store_true",
        help="make a new job even though this move was made before (by default the job it made "
        "is found and reported); also allows --to the job's own account",
    )
    p.add_argument(
        "--follow", action="store_true", help="follow the new job to its end (as jobs follow)"
    )
    p.add_argument(
        "--interval",
        type=float,
        default=DEFAULT_POLL_INTERVAL,
        help=f"with --follow: seconds between polls (default {DEFAULT_POLL_INTERVAL})",
    )
    p.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        default=DEFAULT_UNREACHABLE_TIMEOUT,
        help="with --follow: give up (exit 2) once the target has been unreachable this long",
    )
    add_service_options(p)
    p.set_defaults(func=run)


class ProgressLines:
    """Each step's line on stderr as it starts; on a terminal, a percentage for uploads and
    conversions as they go."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.last = ""
        self.percent: int | None = None

    def __call__(self, progress: MigrationProgress) -> None:
        if progress.message != self.last:
            self._end_percent()
            self.last = progress.message
            self.stream.write(visible_line(progress.message) + "\n")
        elif self.tty and progress.fraction is not None:
            percent = int(progress.fraction * 100)
            if percent != self.percent:
                self.percent = percent
                self.stream.write(f"\r  {percent:3d}%")
        self.stream.flush()

    def _end_percent(self) -> None:
        if self.percent is not None:
            self.stream.write("\n")
            self.percent = None


def run(args: argparse.Namespace) -> int:
    from tuner.api.errors import ServiceError
    from tuner.api.open import open_service
    from tuner.config import ConfigError, load_settings, resolve_connection
    from tuner.config.connections import connection_label, same_account
    from tuner.data.catalog.choice import settings_catalog
    from tuner.data.catalog.overrides import CatalogError

    if args.interval <= 0:
        return fail(COMMAND, "--interval must be above 0")
    if args.timeout <= 0:
        return fail(COMMAND, "--timeout must be above 0")
    try:
        settings = load_settings()
        source_connection = resolve_connection(settings, args.profile)
        target_connection = resolve_connection(settings, args.to)
        source_catalog = settings_catalog(settings, args.profile)
        target_catalog = settings_catalog(settings, args.to)
        if same_account(source_connection, target_connection) and not args.again:
            own = source_connection.profile_name or args.to
            return fail(
                COMMAND,
                f"--to {args.to} is the job's own account (profile {own}): a move there would "
                "train a second copy of the job beside it; add --again to do that on purpose",
            )
        source = open_service(source_connection)
    except (ConfigError, CatalogError, ServiceError) as exc:
        return fail(COMMAND, str(exc))
    try:
        target = open_service(target_connection)
    except ServiceError as exc:
        asyncio.run(source.close())
        return fail(COMMAND, f"{args.to}: {exc.message}")

    profiles = (source_connection.profile_name, args.to)
    # The source as the user knows it (`work · OpenAI`, `gateway · llm.example.com`).
    named = source_connection.profile_name
    source_name = connection_label(named, source_connection, key=False) if named else None

    following: list[tuple[str, str]] = []  # (the new job, its service) once it is followed

    async def main() -> int:
        try:
            return await _migrate(
                args,
                source,
                target,
                source_catalog,
                target_catalog,
                profiles,
                source_name,
                following,
            )
        finally:
            await source.close()
            await target.close()

    return _outcome(lambda: asyncio.run(main()), args, following, source_connection.kind)


def _outcome(
    call: Any, args: argparse.Namespace, following: list[tuple[str, str]], source_kind: str
) -> int:
    """Run the migration; its failures become one line (or the problems found) on stderr; a job
    the source does not have, shaped like another service's id, names the profiles to try.
    SIGTERM and SIGHUP stop it as ctrl-c does: what was half made is removed on the way out.
    Ctrl-C while the new job is followed says that it runs on, and how to follow it again."""
    from tuner.api.errors import ServiceError
    from tuner.api.migrate.errors import DataRefused, MigrationError
    from tuner.api.migrate.plan import PriceRefused
    from tuner.api.migrate.sources import DownloadRefused

    try:
        with stop_signals_raise():
            return int(call())
    except KeyboardInterrupt:
        if not following:
            return fail(COMMAND, "interrupted; run the same command again to continue", 130)
        job_id, service = following[0]
        print(interrupted_line(job_id, service, args.to), file=sys.stderr)
        return 130
    except Stopped as stop:
        return fail(
            COMMAND,
            f"stopped by {stop.name}; nothing half made was left (run the same command again "
            "to continue)",
            stop.exit_code,
        )
    except DataRefused as exc:
        return fail(COMMAND, _refusal_lines(exc), 1)
    except DownloadRefused as exc:
        option = "--training-file" if exc.role == "training" else "--validation-file"
        return fail(
            COMMAND,
            f"{exc.what}; use --from-backup DIR (a `tuner backup` folder) or {option} PATH "
            "(your own copy)",
        )
    except PriceRefused as exc:
        return fail(COMMAND, exc.message, 1)
    except MigrationError as exc:
        return fail(COMMAND, exc.message)
    except ServiceError as exc:
        return fail(COMMAND, not_found(exc, args.job, source_kind))


def _refusal_lines(exc: Any) -> str:
    """The converted file's problems, a few with their lines, then what was changed before:
    one line each, whatever the file's names and values hold."""
    lines = [exc.message]
    shown = exc.problems[:PROBLEMS_SHOWN]
    lines += [f"  {exc.path}: {p.located()}" for p in shown]
    more = exc.count - len(shown)
    if more:
        lines.append(f"  ... and {more} more (tuner validate {exc.path})")
    if exc.changes:
        lines.append("  changes made before the check:")
        lines += [f"    {c.code}, {c.describe()}" for c in exc.changes]
    return "\n".join(visible_line(line) for line in lines)


async def _migrate(
    args: argparse.Namespace,
    source: FineTuningService,
    target: FineTuningService,
    source_catalog: Catalog,
    target_catalog: Catalog,
    profiles: tuple[str | None, str],
    source_name: str | None,
    following: list[tuple[str, str]],
) -> int:
    from tuner.api.migrate.move import plan_migration, run_migration
    from tuner.api.migrate.plan import default_work_dir

    def shown(item: MigrationPlan | MigrationResult, **extra: Any) -> dict[str, Any]:
        """The `--json` object: the plan or result, with the profiles used."""
        body = item.to_json()
        body["source"]["profile"], body["target"]["profile"] = profiles
        return {**body, **extra}

    human = not args.json
    progress = ProgressLines() if human else None
    plan = await plan_migration(
        source,
        target,
        args.job,
        args.model,
        work_dir=args.work_dir or default_work_dir(args.job),
        from_backup=args.from_backup,
        training_path=args.training_file,
        validation_path=args.validation_file,
        suffix=args.suffix,
        source_catalog=source_catalog,
        target_catalog=target_catalog,
        on_progress=progress,
        source_name=source_name,
    )
    if human:
        print("\n".join(visible_line(line) for line in plan.summary_lines()), flush=True)
    if args.dry_run:
        if args.json:
            print_json(shown(plan, dry_run=True, target_files=None, job=None))
        else:
            print(f"dry run: nothing was sent to {plan.target_service}", file=sys.stderr)
        return 0
    result = await run_migration(
        plan,
        target,
        on_progress=progress,
        source_profile=profiles[0],
        target_profile=profiles[1],
        again=args.again,
    )
    job = result.job
    name = target.capabilities.service
    if human:
        quote = result.service_estimate
        if quote is not None:
            tokens = f" for {quote.trained_tokens:,} trained tokens" if quote.trained_tokens else ""
            dollars = "< $0.01" if 0 < quote.dollars < 0.005 else f"${quote.dollars:,.2f}"
            print(f"{name}'s own price: {dollars}{tokens}", file=sys.stderr)
        found = result.found_line(args.to)
        if found is not None:
            print(visible_line(f"{found} (--again makes another)"), file=sys.stderr)
        elif result.replaced is not None:
            print(
                visible_line(
                    f"{result.replaced}, made by an earlier move, is gone from {name}: made "
                    f"{job.id} instead"
                ),
                file=sys.stderr,
            )
        print(job_line(job), flush=True)
    if not args.follow:
        if human:
            follow = f"follow with: tuner jobs follow {job.id} --profile {args.to}"
            print(visible_line(follow), file=sys.stderr)
        else:
            print_json(shown(result, dry_run=False))
        return 0
    following.append((job.id, name))
    final, code = await _follow(target, job.id, args, human)
    if not human:
        print_json(shown(result, dry_run=False, job=final.to_json()))
    return code


# --------------------------------------------------------------------------- following


async def _follow(
    service: FineTuningService, job_id: str, args: argparse.Namespace, human: bool
) -> tuple[Job, int]:
    """Follow the new job to its end as `tuner jobs follow` does: (the final job, the exit
    code: 0 succeeded, 1 failed or cancelled). An unreachable service raises `ServiceError`."""
    job, code = await follow_to_end(
        service,
        job_id,
        command=COMMAND,
        interval=args.interval,
        timeout=args.timeout,
        shown="text" if human else "none",
    )
    if job is None:  # pragma: no cover - the follower always retrieves the job
        job = await service.retrieve_job(job_id)
    return job, code
