"""What every command that talks to the service shares: the connection, the event loop, errors.

`run_service` resolves the profile, builds the client, runs the command's coroutine and turns a
`ServiceError` or `ConfigError` into one line on stderr and exit 2. `upload_checked` validates a
local file (refusing one with errors unless forced) and uploads it with a progress line, for
`tuner upload` and `tuner jobs create --training-file PATH`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from tuner.data.durations import format_size

if TYPE_CHECKING:
    from openai import AsyncOpenAI
    from openai.types import FileObject

# How many validation problems `tuner upload` names before "... and N more".
PROBLEMS_SHOWN = 5


class CommandFailure(Exception):
    """Ends a command with one line on stderr and an exit code (1: the work failed, 2: usage)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


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


def fail(command: str, message: str, code: int = 2) -> int:
    print(f"tuner {command}: {message}", file=sys.stderr)
    return code


def run_service(
    command: str,
    args: argparse.Namespace,
    work: Callable[[AsyncOpenAI], Awaitable[int]],
) -> int:
    """Connect with the chosen profile and run `work(client)`; errors become one stderr line."""
    from tuner.api.client import make_client
    from tuner.api.errors import ServiceError
    from tuner.config import ConfigError, load_settings, resolve_connection

    try:
        connection = resolve_connection(load_settings(), getattr(args, "profile", None))
        client = make_client(connection)
    except (ConfigError, ServiceError) as exc:
        return fail(command, str(exc))

    async def main() -> int:
        async with client:
            return await work(client)

    try:
        return asyncio.run(main())
    except ServiceError as exc:
        return fail(command, exc.message)
    except CommandFailure as exc:
        return fail(command, exc.message, exc.code)


def to_json(item: Any) -> Any:
    """SDK objects (pydantic), possibly inside dicts and lists, as plain JSON data."""
    if isinstance(item, dict):
        return {key: to_json(value) for key, value in item.items()}
    if isinstance(item, list | tuple):
        return [to_json(x) for x in item]
    if hasattr(item, "model_dump"):
        return item.model_dump(mode="json")
    return item


def print_json(item: Any, *, compact: bool = False) -> None:
    text = json.dumps(to_json(item), ensure_ascii=False, indent=None if compact else 2)
    print(text, flush=True)


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


def check_training_file(path: Path) -> list[str]:
    """`file:line: message` for each error tuner's checks find (empty when the file is valid).

    Raises `CommandFailure(2)` when the file cannot be read.
    """
    from tuner.data.analysis import analyse_file

    if not path.is_file():
        raise CommandFailure(f"{path}: no such file")
    try:
        report = analyse_file(path, model=None)
    except OSError as exc:
        raise CommandFailure(f"{path}: cannot read: {exc.strerror or exc}") from None
    if report.valid:
        return []
    return [
        f"{path}:{p.line}: {p.code}: {p.message}" if p.line else f"{path}: {p.code}: {p.message}"
        for p in report.errors
    ]


async def upload_checked(
    client: AsyncOpenAI, path: Path, *, force: bool, show_progress: bool
) -> FileObject:
    """Validate `path` (refusing errors unless `force`), then upload it for fine-tuning."""
    from tuner.api.files import upload_file

    problems = await asyncio.to_thread(check_training_file, path)
    if problems and not force:
        shown = problems[:PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        lines = [f"{path} has {len(problems)} error(s); not uploaded (--force to upload anyway)"]
        lines += [f"  {p}" for p in shown]
        if more:
            lines.append(f"  ... and {more} more (tuner validate {path})")
        raise CommandFailure("\n".join(lines), code=1)
    progress = StderrProgress(f"uploading {path.name}") if show_progress else None
    try:
        return await upload_file(client, path, progress=progress)
    except OSError as exc:
        raise CommandFailure(f"{path}: cannot read: {exc.strerror or exc}") from None
