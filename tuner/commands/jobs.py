"""`tuner jobs`: list, create, follow and cancel fine-tuning jobs, headless.

    tuner jobs [--limit N]                       the newest jobs as a table
    tuner jobs create --model M --training-file F [...]
                                                 start a job; on stderr the cost estimate (for
                                                 a local F) and the command to follow it; a
                                                 local F the service holds from an earlier
                                                 upload is reused (--force-upload: not)
    tuner jobs follow JOB [--resume] [--timeout S]
                                                 events as they happen; exit 0 on success, 1
                                                 when the job fails or is cancelled, 2 when the
                                                 service stays unreachable for S seconds, 130
                                                 on ctrl-c (the job runs on; the line says how
                                                 to follow it again)
    tuner jobs cancel JOB

Every form takes `--json` (`follow` prints one JSON object per event line) and `--profile`.
Service errors are one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tuner.commands._args import positive_int
from tuner.commands._follow import (
    DEFAULT_POLL_INTERVAL,
    DEFAULT_UNREACHABLE_TIMEOUT,
    follow_to_end,
    interrupted_line,
)
from tuner.commands._service import (
    CommandFailure,
    StderrProgress,
    add_force_upload_option,
    add_service_options,
    fail,
    job_line,
    named_profile,
    not_found,
    print_json,
    refused_failure,
    run_service,
)
from tuner.data.visible_text import visible_line
from tuner.data.wording import plural

if TYPE_CHECKING:
    from tuner.api.jobs.creation import CreationStep, FileChoice
    from tuner.api.jobs.spec import JobSpec
    from tuner.api.service import FineTuningService
    from tuner.api.types import Capabilities, Job, PriceEstimate
    from tuner.data.catalog.lookup import Catalog
    from tuner.data.estimate import CostEstimate


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "jobs",
        help="list, create, follow and cancel fine-tuning jobs",
        description="Fine-tuning jobs. Without a sub-command: list the newest jobs.",
    )
    p.add_argument("--limit", type=positive_int, default=20, help="how many jobs to list")
    add_service_options(p)
    p.set_defaults(func=run_list)
    sub = p.add_subparsers(dest="jobs_command", metavar="ACTION", parser_class=type(p))

    create = sub.add_parser("create", help="start a fine-tuning job")
    create.add_argument("--model", required=True, help="the base model to fine-tune")
    create.add_argument(
        "--training-file", required=True, help="a file id (file-...) or a local JSONL path"
    )
    create.add_argument("--validation-file", help="a file id or a local JSONL path")
    create.add_argument(
        "--suffix", help="added to the model name (OpenAI: up to 64 characters, Together: 40)"
    )
    create.add_argument("--epochs", type=positive_int, help="n_epochs (default: auto)")
    create.add_argument("--batch-size", type=positive_int, help="batch_size (default: auto)")
    create.add_argument(
        "--learning-rate-multiplier",
        type=float,
        help="learning_rate_multiplier (OpenAI, Azure; default: auto)",
    )
    create.add_argument(
        "--learning-rate", type=float, help="an absolute learning rate (Together; default: its)"
    )
    adaptation = create.add_mutually_exclusive_group()
    adaptation.add_argument(
        "--lora",
        dest="lora",
        action="store_const",
        const=True,
        help="train a LoRA adapter (Together)",
    )
    adaptation.add_argument(
        "--full", dest="lora", action="store_const", const=False, help="full fine-tuning (Together)"
    )
    create.add_argument("--seed", type=int, help="seed for reproducibility")
    create.add_argument("--method", choices=("supervised", "dpo"), default="supervised")
    create.add_argument("--beta", type=float, help="DPO beta (with --method dpo; default: auto)")
    create.add_argument("--force", action="store_true", help="upload local files despite errors")
    add_force_upload_option(create)
    add_service_options(create, nested=True)
    create.set_defaults(func=run_create)

    follow = sub.add_parser("follow", help="print a job's events as they happen")
    follow.add_argument("job", help="the job id (ftjob-...)")
    follow.add_argument(
        "--resume", action="store_true", help="start after the last event shown before"
    )
    follow.add_argument(
        "--interval",
        type=float,
        default=DEFAULT_POLL_INTERVAL,
        help=f"seconds between polls while events arrive (default {DEFAULT_POLL_INTERVAL})",
    )
    follow.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        default=DEFAULT_UNREACHABLE_TIMEOUT,
        help="give up (exit 2) once the service has been unreachable this long "
        f"(default {DEFAULT_UNREACHABLE_TIMEOUT:g}); rate limits and server errors are retried",
    )
    add_service_options(follow, nested=True)
    follow.set_defaults(func=run_follow)

    cancel = sub.add_parser("cancel", help="cancel a job")
    cancel.add_argument("job", help="the job id (ftjob-...)")
    add_service_options(cancel, nested=True)
    cancel.set_defaults(func=run_cancel)


def _when(timestamp: int | float | None) -> str:
    if not timestamp:
        return "-"
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


# --------------------------------------------------------------------------- list


def job_rows(jobs: list[Job]) -> list[str]:
    """The compact table `tuner jobs` prints: id, status, model, fine-tuned model, created.
    Every cell is the service's text on one line, its control characters shown, never sent."""
    header = ("ID", "STATUS", "MODEL", "FINE-TUNED MODEL", "CREATED")
    rows = [
        tuple(
            visible_line(cell)
            for cell in (
                job.id,
                job.status.value,
                job.model,
                job.fine_tuned_model or "-",
                _when(job.created_at),
            )
        )
        for job in jobs
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]


def run_list(args: argparse.Namespace) -> int:
    async def work(service: FineTuningService) -> int:
        page = await service.list_jobs(limit=args.limit)
        jobs = list(page.jobs)
        if args.json:
            print_json({"data": jobs, "has_more": page.has_more})
        elif not jobs:
            print("no fine-tuning jobs")
        else:
            print("\n".join(job_rows(jobs)))
        return 0

    return run_service("jobs", args, work)


# --------------------------------------------------------------------------- create


def _file_choice(value: str) -> FileChoice:
    """`--training-file` / `--validation-file`: a file id (`file-...` that is not a local
    path) or a local file."""
    if value.startswith("file-") and not Path(value).exists():
        return value
    return Path(value)


class TerminalSteps:
    """How `jobs create` shows the flow's steps on stderr: the closing note, how far a check
    or an upload is (on a terminal only), and what each local file became on the service.
    `quiet` (`--json`): nothing, stderr is for errors."""

    def __init__(self, *, quiet: bool) -> None:
        self.quiet = quiet
        self.bars: dict[tuple[str, Path], StderrProgress] = {}

    def __call__(self, step: CreationStep) -> None:
        if self.quiet:
            return
        if step.stage == "note":
            print(f"note: {step.note}", file=sys.stderr)
        elif step.stage == "uploaded" and step.upload is not None and step.path is not None:
            print(visible_line(step.upload.describe(step.path)), file=sys.stderr)
        elif step.stage in ("analyse", "upload") and step.path is not None:
            if step.done is None or step.total is None or not sys.stderr.isatty():
                return
            key = (step.stage, step.path)
            if key not in self.bars:
                doing = "checking" if step.stage == "analyse" else "uploading"
                self.bars[key] = StderrProgress(f"{doing} {visible_line(step.path.name)}")
            self.bars[key](step.done, step.total)


def _catalog(profile: str | None) -> Catalog:
    """The catalog of `profile`'s service (else the active profile's) with the user's
    `[[models]]` overrides (a bad entry: exit 2)."""
    from tuner.config import ConfigError, load_settings
    from tuner.data.catalog.choice import settings_catalog
    from tuner.data.catalog.overrides import CatalogError

    try:
        return settings_catalog(load_settings(), profile)
    except (ConfigError, CatalogError) as exc:
        raise CommandFailure(str(exc)) from None


def estimate_json(estimate: CostEstimate) -> dict[str, object]:
    """The `estimate` object `jobs create --json` adds to the job (a local training file only)."""
    return {
        "examples": estimate.examples,
        "billed_tokens": estimate.billed_tokens,
        "epochs": estimate.epochs,
        "trained_tokens": estimate.trained_tokens,
        "price_per_1m_usd": None if estimate.price_per_1m is None else float(estimate.price_per_1m),
        "cost_usd": None if estimate.cost_usd is None else float(estimate.cost_usd),
    }


def estimate_line(estimate: CostEstimate, model: str) -> str:
    """`estimate: 1,234 billed tokens x 3 epochs = 3,702 trained tokens, $0.01 at $3.00 per 1M
    tokens (MODEL)`: tuner's own count, the epochs the service will use, the catalog's price."""
    epochs = plural(estimate.epochs, "epoch")
    line = (
        f"estimate: {estimate.billed_tokens:,} billed tokens x {epochs} = "
        f"{estimate.trained_tokens:,} trained tokens"
    )
    if estimate.price_per_1m is None:
        return f"{line}; price unknown for {model} (add it to settings.toml [[models]])"
    return f"{line}, {estimate.cost_text} at ${estimate.price_per_1m:,.2f} per 1M tokens ({model})"


def quote_text(quote: PriceEstimate) -> str:
    """`$1.23 for 456,789 trained tokens`: the service's price for a job before it starts."""
    tokens = f" for {quote.trained_tokens:,} trained tokens" if quote.trained_tokens else ""
    return f"${quote.dollars:,.2f}{tokens}"


def unsupported_options(spec: JobSpec, capabilities: Capabilities) -> str | None:
    """An option the connected service has no field for, said before anything is uploaded."""
    hyper = spec.hyperparameters
    if spec.lora is not None and not capabilities.lora_choice:
        return f"--lora/--full: {capabilities.missing('lora_choice')}"
    if hyper.learning_rate is not None and not capabilities.absolute_learning_rate:
        return f"--learning-rate: {capabilities.missing('absolute_learning_rate')}"
    multiplier = hyper.learning_rate_multiplier not in (None, "auto")
    if multiplier and capabilities.absolute_learning_rate:
        return (
            f"--learning-rate-multiplier: {capabilities.service} takes an absolute learning "
            "rate (--learning-rate)"
        )
    if spec.method == "dpo" and not capabilities.dpo:
        return f"--method dpo: {capabilities.missing('dpo')}"
    if hyper.beta is not None and spec.method != "dpo":
        return "--beta is for preference training (--method dpo)"
    return None


def run_create(args: argparse.Namespace) -> int:
    from tuner.api.files.checked_upload import FileRefused
    from tuner.api.jobs.creation import JobCreation, JobRequest, MissingFile
    from tuner.api.jobs.quote import QuoteRefused
    from tuner.api.jobs.spec import Hyperparameters, JobSpec

    hyper = Hyperparameters(
        n_epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate_multiplier=args.learning_rate_multiplier,
        beta=args.beta,
        learning_rate=args.learning_rate,
    )
    spec = JobSpec(
        model=args.model,
        training_file="pending",
        suffix=args.suffix,
        seed=args.seed,
        method=args.method,
        hyperparameters=hyper,
        lora=args.lora,
    )
    training = _file_choice(args.training_file)

    async def work(service: FineTuningService) -> int:
        refused = unsupported_options(spec, service.capabilities)
        if refused:
            raise CommandFailure(refused)
        request = JobRequest(
            spec,
            training,
            _file_choice(args.validation_file) if args.validation_file else None,
            catalog=_catalog(getattr(args, "profile", None)),
            force=args.force,
            reuse=not args.force_upload,
        )
        creation = JobCreation(service, request, on_step=TerminalSteps(quiet=args.json))
        try:
            created = await creation.run()
        except MissingFile as exc:
            raise CommandFailure(
                f"{exc.path}: no such file (and not a file id like file-...)"
            ) from None
        except FileRefused as exc:
            raise refused_failure(exc) from None
        except QuoteRefused as exc:
            kept = training if isinstance(training, str) else creation.uploads[0][1].id
            raise CommandFailure(
                f"{exc.message}; the training file stays uploaded as {kept}", code=1
            ) from None
        job, report, quote = created.job, created.training_report, created.quote
        if args.json:
            shown = job.to_json()
            if report is not None:
                shown["estimate"] = estimate_json(report.estimate)
            if quote is not None:
                shown["service_estimate"] = quote.to_json()
            print_json(shown)
            return 0
        print(job_line(job), flush=True)
        if report is not None:
            print(visible_line(estimate_line(report.estimate, job.model)), file=sys.stderr)
        if quote is not None:
            name = service.capabilities.service
            print(f"{name}'s own estimate: {quote_text(quote)}", file=sys.stderr)
        print(visible_line(f"follow with: tuner jobs follow {job.id}"), file=sys.stderr)
        return 0

    return run_service("jobs create", args, work)


# --------------------------------------------------------------------------- follow


@contextlib.contextmanager
def _job_not_found(job_id: str, service: FineTuningService) -> Iterator[None]:
    """A job the service does not have, when its id is shaped like another service's: said with
    the profiles to try instead (`--profile together`)."""
    from tuner.api.errors import ErrorKind, ServiceError

    try:
        yield
    except ServiceError as exc:
        if exc.kind is not ErrorKind.NOT_FOUND:
            raise
        raise CommandFailure(not_found(exc, job_id, service.capabilities.kind)) from None


def run_follow(args: argparse.Namespace) -> int:
    if args.interval <= 0:
        return fail("jobs follow", "--interval must be above 0")
    if args.timeout <= 0:
        return fail("jobs follow", "--timeout must be above 0")

    service_name: list[str] = []

    async def work(service: FineTuningService) -> int:
        service_name.append(service.capabilities.service)
        with _job_not_found(args.job, service):
            _, code = await follow_to_end(
                service,
                args.job,
                command="jobs follow",
                interval=args.interval,
                timeout=args.timeout,
                resume=args.resume,
                shown="json" if args.json else "text",
            )
        return code

    try:
        return run_service("jobs follow", args, work)
    except KeyboardInterrupt:
        profile = named_profile(getattr(args, "profile", None))
        where = service_name[0] if service_name else None
        print(interrupted_line(args.job, where, profile), file=sys.stderr)
        return 130


# --------------------------------------------------------------------------- cancel


def run_cancel(args: argparse.Namespace) -> int:
    async def work(service: FineTuningService) -> int:
        with _job_not_found(args.job, service):
            job = await service.cancel_job(args.job)
        if args.json:
            print_json(job)
        else:
            print(visible_line(f"{job.id}  {job.status.value}"))
        return 0

    return run_service("jobs cancel", args, work)
