"""The files' work in a move's plan: each copy converted for the target and checked again by its
rules, and the original counted for the source's cost when the job reports none.

Kept apart from the plan's orchestration (`tuner.api.migrate.move`) because this is the slow,
local part: whole files read and written in a thread, stopped at the next line when the task is
cancelled (`threaded`), with the rules of `tuner.data.migrate.convert` and `tuner.data.analysis`.
A converted file that still fails the target's checks raises `DataRefused`, listing the problems.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuner.api.jobs.creation import on_the_loop
from tuner.api.migrate.costs import CostFigure, billed_cost, estimated_cost
from tuner.api.migrate.errors import DataRefused, MigrationError
from tuner.api.migrate.plan import PlannedFile
from tuner.data.analysis.analyse import analyse_file
from tuner.data.jsonl.atomic_file import OutputError
from tuner.data.migrate.convert import ConversionTarget, convert_file
from tuner.data.service_kinds import SERVICE_KINDS

if TYPE_CHECKING:
    from tuner.api.migrate.settings import CarriedSettings
    from tuner.api.migrate.sources import SourceCopy
    from tuner.api.types import Job, ModelLimits
    from tuner.data.catalog.lookup import Catalog


def conversion_target_for(
    kind: str, model: str, catalog: Catalog, limits: ModelLimits | None, source: str
) -> ConversionTarget:
    """What the files are converted for: the target's kind, the model and its limits."""
    return ConversionTarget(
        kind,
        model,
        catalog,
        token_limit=limits.max_tokens if limits is not None else None,
        preference_token_limit=limits.max_tokens_dpo if limits is not None else None,
        # Read when the seam's `ModelLimits` says it (Together's limits do, as supports_vision
        # and supports_tools); unknown until then, and such examples are kept.
        images=getattr(limits, "vision", None),
        tools=getattr(limits, "tools", None),
        source=source,
    )


def converted_name(copy: SourceCopy, kind: str) -> str:
    """`ID__train.together.jsonl`: the copy's name with the target's kind before `.jsonl`, in
    place of any kind it had already (a file moved there and back is `ID__train.openai.jsonl`,
    never `...together.openai.jsonl`)."""
    from tuner.api.backup.folder import file_name

    stem = file_name(copy.file_id, copy.filename or copy.path.name)
    stem = _KIND_TAGS.sub("", stem.removesuffix(".jsonl"))
    return f"{stem}.{kind}.jsonl"


# The kinds `converted_name` puts before `.jsonl`, however many a name has gathered.
_KIND_TAGS = re.compile(r"(?:\.(?:" + "|".join(SERVICE_KINDS) + r"))+$")


async def plan_file(
    copy: SourceCopy,
    work_dir: Path,
    conversion_target: ConversionTarget,
    catalog: Catalog,
    limits: ModelLimits | None,
    epochs: Any,
    settings: CarriedSettings,
    report: Callable[..., None],
) -> PlannedFile:
    """Convert `copy` into `work_dir` for the target and check the result by its rules."""
    output = work_dir / converted_name(copy, conversion_target.service)
    if output.resolve() == copy.path.resolve():
        output = output.with_name(f"converted-{output.name}")
    message = f"converting {copy.path.name} for {conversion_target.name}"
    report("convert", message)
    progress = on_the_loop(partial(report, "convert", message))
    try:
        conversion = await threaded(
            convert_file, copy.path, output, conversion_target, progress=progress
        )
    except OutputError as exc:
        raise MigrationError(str(exc)) from None
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise MigrationError(f"cannot read {copy.path}: {reason}") from None
    report("check", f"checking {output.name} by {conversion_target.name}'s rules")
    checked = await threaded(
        analyse_file,
        output,
        conversion_target.model,
        catalog=catalog,
        service=conversion_target.service,
        epochs=epochs if isinstance(epochs, int) else None,
        example_token_limit=limits.max_tokens if limits is not None else None,
        preference_token_limit=limits.max_tokens_dpo if limits is not None else None,
        full=settings.spec.lora is False,
    )
    if not checked.valid:
        raise DataRefused(
            output,
            conversion_target.name,
            checked.errors,
            conversion.changes,
            checked.error_count,
        )
    return PlannedFile(copy.role, copy, conversion, checked)


async def source_job_cost(
    job: Job, training: SourceCopy, catalog: Catalog, service: str, kind: str
) -> CostFigure:
    """What the job was billed, else tuner's estimate of its original training file."""
    billed = billed_cost(job, catalog, service)
    if billed is not None:
        return billed
    epochs = job.hyperparameters.get("n_epochs")
    try:
        original = await threaded(
            analyse_file,
            training.path,
            job.model,
            catalog=catalog,
            service=kind,
            epochs=epochs if isinstance(epochs, int) and not isinstance(epochs, bool) else None,
            full=job.hyperparameters.get("lora") is False,
        )
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise MigrationError(f"cannot read {training.path}: {reason}") from None
    note = "the job reports no trained tokens: tuner's count of the original file"
    if original.token_note:
        note += f", {original.token_note}"
    return estimated_cost(original.estimate, service, job.model, note)


async def threaded(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`function(*args, cancel=event, **kwargs)` in a thread; cancelling the awaiting task sets
    the event, so the work stops at its next line instead of running on unseen."""
    cancel = threading.Event()
    try:
        return await asyncio.to_thread(function, *args, cancel=cancel, **kwargs)
    except asyncio.CancelledError:
        cancel.set()
        raise
