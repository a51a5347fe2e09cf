"""What every command that talks to the service shares: the connection, the event loop, errors.

`run_service` resolves the profile, opens the service (`tuner.api.open.open_service`), runs
the command's coroutine and closes the service; a `ServiceError` or `ConfigError` becomes one
line on stderr and exit 2. `upload_local_file` checks a local file (refusing one with errors
unless forced) and uploads it with a progress line (or reuses the identical file an earlier
upload left there), for `tuner upload`; `refused_failure` words a file the checks refused, for
it and `tuner jobs create` (which runs `tuner.api.jobs.creation`, the app's flow too).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from tuner.commands._json import json_text
from tuner.data.durations import format_size
from tuner.data.visible_text import visible, visible_line
from tuner.data.wording import plural

if TYPE_CHECKING:
    from tuner.api.files.checked_upload import CheckedUpload, FileRefused
    from tuner.api.service import FineTuningService
    from tuner.api.types import Job
    from tuner.data.analysis.report import AnalysisReport

# How many validation problems `tuner upload` names before "... and N more".
PROBLEMS_SHOWN = 5


class CommandFailure(Exception):
    """Ends a command with one line on stderr and an exit code (1: the work failed, 2: usage)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def add_force_upload_option(parser: argparse.ArgumentParser) -> None:
    """`--force-upload`: upload a local file even when the service holds the same bytes."""
    parser.add_argument(
        "--force-upload",
        action="store_true",
        help="upload a local file again even when the service already holds an identical one "
        "from an earlier upload (by default that one is reused)",
    )


def add_service_options(parser: argparse.ArgumentParser, *, nested: bool = False) -> None:
    """`--profile` (and `--json`). `nested` parsers must not overwrite a parent's value."""
    default: Any = argparse.SUPPRESS if nested else None
    parser.add_argument(
        "--profile",
        metavar="NAME",
        default=default,
        help="settings profile to use (default: the active one, or OPENAI_* variables)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS if nested else False,
        help="print JSON instead of text",
    )


def named_profile(profile: str | None) -> str | None:
    """The settings profile a command runs with, by name: `profile` when one was given, else
    the active one; None when it runs on the environment's variables alone (nothing to name)."""
    if profile:
        return profile
    from tuner.config import ConfigError, load_settings

    try:
        active = load_settings().profile()
    except ConfigError:
        return None
    return active.name if active is not None else None


def fail(command: str, message: str, code: int = 2) -> int:
    """`tuner COMMAND: message` on stderr, and `code`. The message may quote a service or a
    file (an error's text, a name, an id): its control characters are shown, never sent."""
    print(f"tuner {command}: {visible(message)}", file=sys.stderr)
    return code


def run_service(
    command: str,
    args: argparse.Namespace,
    work: Callable[[FineTuningService], Awaitable[int]],
) -> int:
    """Connect with the chosen profile and run `work(service)`; errors become one stderr line."""
    from tuner.api.errors import ServiceError
    from tuner.api.open import open_service
    from tuner.config import ConfigError, load_settings, resolve_connection

    try:
        connection = resolve_connection(load_settings(), getattr(args, "profile", None))
        service = open_service(connection)
    except (ConfigError, ServiceError) as exc:
        return fail(command, str(exc))

    async def main() -> int:
        try:
            return await work(service)
        finally:
            await service.close()

    try:
        return asyncio.run(main())
    except ServiceError as exc:
        return fail(command, exc.message)
    except CommandFailure as exc:
        return fail(command, exc.message, exc.code)


def to_json(item: Any) -> Any:
    """tuner's types (their `to_json`), possibly inside dicts and lists, as plain JSON data."""
    if isinstance(item, dict):
        return {key: to_json(value) for key, value in item.items()}
    if isinstance(item, list | tuple):
        return [to_json(x) for x in item]
    if hasattr(item, "to_json"):
        return item.to_json()
    return item


def print_json(item: Any, *, compact: bool = False) -> None:
    """`item` as JSON on stdout: the exact text of every string, no raw control character."""
    print(json_text(to_json(item), indent=None if compact else 2), flush=True)


def job_line(job: Job) -> str:
    """`ftjob-abc  validating_files  gpt-4o-mini-2024-07-18`: a job just created (or moved)."""
    return visible_line(f"{job.id}  {job.status.value}  {job.model}")


class StderrProgress:
    """A one-line progress readout on stderr; only used when stderr is a terminal."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self._last = -1

    def __call__(self, done: int, total: int) -> None:
        percent = 100 if total == 0 else done * 100 // total
        if percent == self._last:
            return
        self._last = percent
        self.stream.write(f"\r{self.label}: {percent:3d}% of {format_size(total)}")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def _reason(exc: OSError) -> str:
    return exc.strerror.lower() if exc.strerror else str(exc)


async def upload_local_file(
    service: FineTuningService,
    path: Path,
    *,
    force: bool,
    show_progress: bool,
    report: AnalysisReport | None = None,
    reuse: bool = True,
) -> CheckedUpload:
    """Check `path` (refusing errors unless `force`), then upload it for fine-tuning, or reuse
    the identical file an earlier upload left on the service (unless `reuse` is False).

    `report` is an analysis of `path` already made: not made again."""
    from tuner.api.files.checked_upload import FileRefused, upload_checked

    if not path.exists() and not path.is_symlink():
        raise CommandFailure(f"{path}: no such file")
    label = f"uploading {visible_line(path.name)}"
    progress = StderrProgress(label) if show_progress else None
    checking = StderrProgress(f"checking {visible_line(path.name)}") if show_progress else None
    try:
        return await upload_checked(
            service,
            path,
            force=force,
            progress=progress,
            report=report,
            reuse=reuse,
            check_progress=checking,
        )
    except FileRefused as refused:
        raise refused_failure(refused) from None
    except OSError as exc:  # a folder, a link loop, a FIFO, no permission: analysis says which
        raise CommandFailure(f"{path}: cannot read: {_reason(exc)}") from None


def refused_failure(refused: FileRefused) -> CommandFailure:
    """A file tuner's checks refused, as the lines a command ends with (exit 1): how many
    errors, the first few by line, and how to upload anyway."""
    path = refused.path
    problems = [
        visible_line(
            f"{path}:{p.line}: {p.code}: {p.message}"
            if p.line
            else f"{path}: {p.code}: {p.message}"
        )
        for p in refused.problems
    ]
    shown = problems[:PROBLEMS_SHOWN]
    more = len(problems) - len(shown)
    lines = [
        visible_line(
            f"{path} has {plural(refused.count, 'error')}; not uploaded (--force to upload anyway)"
        )
    ]
    lines += [f"  {p}" for p in shown]
    if more:
        lines.append(visible_line(f"  ... and {more} more (tuner validate {path})"))
    return CommandFailure("\n".join(lines), code=1)


def other_service_hint(job_id: str, kind: str) -> str | None:
    """What to say after "Not found" when `job_id` has the shape of another service's ids than
    the profile's (`kind`): which service it looks like, and the profiles of that kind to try
    (`--profile together`), or how to add one. None when the id could be the profile's own."""
    from tuner.config import ConfigError, load_settings
    from tuner.data.job_ids import job_id_family
    from tuner.data.service_kinds import RulesFamily, UnknownService, facts_for, service_name

    family = job_id_family(job_id)
    try:
        if family is None or family is facts_for(kind).rules:
            return None
    except UnknownService:
        return None
    try:
        profiles = load_settings().profiles.values()
    except ConfigError:
        profiles = []
    names = sorted(p.name for p in profiles if p.facts.rules is family)
    theirs = "an OpenAI" if family is RulesFamily.OPENAI else f"a {service_name(family)}"
    said = f"{job_id} looks like {theirs} job id and this profile is for {service_name(kind)}"
    if names:
        return f"{said}: try " + " or ".join(f"--profile {name}" for name in names)
    return f"{said}: add {theirs} profile (tuner settings) and use --profile NAME"


def not_found(exc: Exception, job_id: str, kind: str) -> str:
    """The one line for a `ServiceError`, with `other_service_hint` after a "Not found"."""
    from tuner.api.errors import ErrorKind, ServiceError

    message = exc.message if isinstance(exc, ServiceError) else str(exc)
    if isinstance(exc, ServiceError) and exc.kind is ErrorKind.NOT_FOUND:
        hint = other_service_hint(job_id, kind)
        if hint:
            return f"{message}; {hint}"
    return message
