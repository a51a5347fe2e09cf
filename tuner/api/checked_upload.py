"""Check a training file, then upload it: the one path every upload in tuner takes.

`tuner upload`, `tuner jobs create --training-file PATH` and the new-job form all upload local
files the same way: tuner's own checks first (a file with errors is refused unless forced, so a
typo does not cost an upload and a failed job), then the service's upload with progress.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from tuner.api.errors import ErrorKind, ServiceError
from tuner.data.wording import plural

if TYPE_CHECKING:
    from tuner.api.service import FineTuningService, Progress
    from tuner.api.types import RemoteFile
    from tuner.data.analysis import AnalysisReport
    from tuner.data.problems import Problem


class FileRefused(ServiceError):
    """tuner's checks found errors in a file it was asked to upload. `problems` lists them."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        count = len(problems)
        first = problems[0].located() if problems else "no detail"
        super().__init__(
            ErrorKind.INVALID_REQUEST,
            f"{path.name} has {plural(count, 'error')} ({first}); not uploaded",
        )
        self.path = path
        self.problems = problems


def check_file(
    path: Path,
    model: str | None = None,
    rules: str = "openai",
    progress: Progress | None = None,
) -> AnalysisReport:
    """tuner's checks on `path` by the `rules` of the service it goes to (and that service's
    catalog); `progress(bytes read, total)` as the check goes (a big file takes seconds).
    Raises `OSError` when the file cannot be read."""
    from tuner.data.analysis import analyse_file
    from tuner.data.catalog import default_catalog

    catalog = default_catalog(rules)
    model = model or catalog.default_model
    return analyse_file(path, model, catalog=catalog, service=rules, progress=progress)


async def upload_checked(
    service: FineTuningService,
    path: Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
    report: AnalysisReport | None = None,
    check_progress: Progress | None = None,
) -> RemoteFile:
    """Check `path` (or trust `report`, an analysis of it already made), then upload it;
    `check_progress` hears how far the check is, `progress` how far the upload.

    Raises `FileRefused` for a file with errors unless `force`, `OSError` for an unreadable
    file, and `ServiceError` for what the service refuses.
    """
    if report is None or report.path.resolve() != path.resolve():
        rules = service.capabilities.rules
        report = await asyncio.to_thread(check_file, path, None, rules, check_progress)
    if not report.valid and not force:
        raise FileRefused(path, report.errors)
    return await service.upload_file(path, progress)
