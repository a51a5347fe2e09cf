"""What a move will do, for people and for `--json`: the files and their changes, both costs,
the settings that carry over; and what it did.

Kept apart from the planning and running steps in `tuner.api.migrate.move`, so those read as
steps and this as the record they fill in; with the work folder the plan names
(`default_work_dir`, `make_work_dir`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuner.api.backup.folder import safe_id
from tuner.api.migrate.costs import CostFigure
from tuner.api.migrate.errors import MigrationError
from tuner.api.migrate.settings import CarriedSettings
from tuner.api.migrate.sources import (
    SourceCopy,
    shown_path,
)
from tuner.data.analysis.report import AnalysisReport
from tuner.data.jsonl.atomic_file import remove_stale_temporaries
from tuner.data.migrate.convert import Change, ConversionResult
from tuner.data.wording import plural

if TYPE_CHECKING:
    from tuner.api.migrate.record import MoveKey
    from tuner.api.types import Job, ModelLimits, PriceEstimate


# How many changes and warnings `summary_lines` shows per file before "... and N more".
CHANGES_SHOWN = 8


@dataclass(frozen=True, slots=True)
class MigrationProgress:
    """Where a plan or a run is: `step` ("job", "download", "convert", "check", "estimate",
    "upload", "price", "create"), a line for people, and bytes done of total where a step has
    them (a conversion, an upload). Reports supersede each other."""

    step: str
    message: str
    done: int | None = None
    total: int | None = None

    @property
    def fraction(self) -> float | None:
        if self.done is None or not self.total:
            return None
        return min(1.0, self.done / self.total)


ProgressCallback = Callable[[MigrationProgress], None]


class PriceRefused(MigrationError):
    """The target priced the job above what the account may spend: nothing was started. The
    files stay uploaded (`file_ids`), so a later run can use them."""

    def __init__(self, message: str, quote: PriceEstimate, file_ids: tuple[str, ...]) -> None:
        super().__init__(message)
        self.quote = quote
        self.file_ids = file_ids


@dataclass(frozen=True)
class PlannedFile:
    """One of the job's files: the original copy, its conversion, and the target's check of the
    converted file (`report`: what `upload_checked` trusts, and tuner's estimate)."""

    role: str
    original: SourceCopy
    conversion: ConversionResult
    report: AnalysisReport

    @property
    def path(self) -> Path:
        """The converted file: what is uploaded."""
        return self.conversion.output

    @property
    def changes(self) -> list[Change]:
        return self.conversion.changes

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "source_file_id": self.original.file_id,
            "original": {**self.original.to_json(), "examples": self.conversion.examples_in},
            "converted": {
                "path": str(self.path),
                "sha256": self.conversion.sha256,
                "examples": self.conversion.examples_out,
                "dropped": self.conversion.dropped,
                "valid": self.report.valid,
                "warnings": [p.as_dict() for p in self.report.warnings],
            },
            "changes": [c.to_json() for c in self.changes],
        }


@dataclass(frozen=True)
class MigrationPlan:
    """Everything known before anything is sent to the target (see the module docstring)."""

    job: Job
    source_service: str
    source_kind: str
    target_service: str
    target_kind: str
    model: str
    work_dir: Path
    files: tuple[PlannedFile, ...]
    source_cost: CostFigure
    target_cost: CostFigure
    settings: CarriedSettings
    limits: ModelLimits | None
    service_prices: bool
    notes: tuple[str, ...] = ()

    @property
    def training(self) -> PlannedFile:
        return self.files[0]

    @property
    def validation(self) -> PlannedFile | None:
        return self.files[1] if len(self.files) > 1 else None

    def changes(self) -> list[tuple[str, Change]]:
        """Every change, with the role of the file it was made to."""
        return [(f.role, change) for f in self.files for change in f.changes]

    def move_key(self, source_profile: str | None, target_profile: str | None) -> MoveKey:
        """What identifies this move in tuner's record of moves: the profiles, the job, the
        base model, and the checksums of the files it uploads."""
        from tuner.api.migrate.record import MoveKey

        checksums = tuple(f.conversion.sha256 for f in self.files)
        return MoveKey(source_profile, self.job.id, target_profile, self.model, checksums)

    def to_json(self) -> dict[str, Any]:
        return {
            "source_job": self.job.to_json(),
            "source": {"service": self.source_service, "kind": self.source_kind},
            "target": {
                "service": self.target_service,
                "kind": self.target_kind,
                "model": self.model,
                "limits": self.limits.to_json() if self.limits is not None else None,
            },
            "work_dir": str(self.work_dir),
            "files": [f.to_json() for f in self.files],
            "changes": [{"file": role, **c.to_json()} for role, c in self.changes()],
            "estimates": {
                "source": self.source_cost.to_json(),
                "target": self.target_cost.to_json(),
                "target_service": None,
                "target_service_after_upload": self.service_prices,
            },
            "hyperparameters": self.settings.to_json(),
            "notes": list(self.notes),
        }

    def cost_lines(self, *, short: bool = False) -> list[str]:
        """Both sides' cost, a line each, and when the target's own price will be known.
        `short`: the figures only, a line per service, for a dialog's few columns."""
        if short:
            after = " (its own price once uploaded)" if self.service_prices else ""
            return [
                f"{self.source_service}: {self.source_cost.short()}",
                f"{self.target_service}: {self.target_cost.short()}{after}",
            ]
        source = "the job, as billed" if self.source_cost.basis == "billed" else "tuner's estimate"
        lines = [
            f"{self.source_service} ({source}): {self.source_cost.describe()}",
            f"{self.target_service} (tuner's estimate): {self.target_cost.describe()}",
        ]
        if self.service_prices:
            lines.append(
                f"{self.target_service}'s own price: asked once the files are uploaded "
                "(it needs their ids), before the job is created"
            )
        return lines

    def summary_lines(self, *, costs: bool = True) -> list[str]:
        """The plan for people, a line each: the move, the files and their changes, both costs
        (unless `costs` is False: a screen showing `cost_lines` apart), the settings that carry
        over and those that do not, then notes."""
        job = self.job
        lines = [
            f"Move {job.id} ({self.source_service}, {job.model}, {job.status.words}) to "
            f"{self.target_service}, {self.model}",
            f"Work folder: {self.work_dir}",
        ]
        for planned in self.files:
            lines += _file_lines(planned, self.target_service, self.work_dir)
        if costs:
            lines.append("Cost:")
            lines += [f"  {line}" for line in self.cost_lines()]
        settings = self.settings
        if settings.carried:
            lines.append("Carried over: " + "; ".join(s.describe() for s in settings.carried))
        if settings.not_carried:
            lines.append("Not carried: " + "; ".join(s.describe() for s in settings.not_carried))
        lines += [f"Note: {note}" for note in self.notes]
        return lines


def _file_lines(planned: PlannedFile, target: str, work_dir: Path) -> list[str]:
    original, conversion = planned.original, planned.conversion
    name = f" ({original.filename})" if original.filename else ""
    lines = [
        f"{planned.role.capitalize()} file {original.file_id}{name}: {original.describe(work_dir)}",
        f"  {plural(conversion.examples_in, 'example')} in, {conversion.examples_out:,} out: "
        f"{shown_path(planned.path, work_dir)} (passes {target}'s rules)",
    ]
    changes = planned.changes
    if not changes:
        lines.append("  no changes: every line is as it was")
    for change in changes[:CHANGES_SHOWN]:
        lines.append(f"  - {change.code}, {change.describe()}")
    if len(changes) > CHANGES_SHOWN:
        lines.append(f"  ... and {len(changes) - CHANGES_SHOWN} more kinds of change")
    warnings = planned.report.warnings
    if warnings:
        lines.append(
            f"  {plural(len(warnings), 'warning')} by {target}'s rules "
            f"(first: {warnings[0].located()})"
        )
    return lines


@dataclass(frozen=True)
class MigrationResult:
    """What `run_migration` did: the uploaded files, the target's own price (None where it has
    none, or none was asked), and the new job as the target created it.

    `found` is True when the job was not made now: an earlier run of the same move made it
    (`made_at`, when it did, if known) and it is still on the target. `replaced` names the job
    an earlier move made that the target no longer has (so this one was made instead)."""

    plan: MigrationPlan
    training_file: str
    validation_file: str | None
    service_estimate: PriceEstimate | None
    job: Job
    found: bool = False
    made_at: float | None = None
    replaced: str | None = None

    def to_json(self) -> dict[str, Any]:
        shown = self.plan.to_json()
        shown["estimates"]["target_service"] = (
            self.service_estimate.to_json() if self.service_estimate is not None else None
        )
        shown["target_files"] = {
            "training": self.training_file,
            "validation": self.validation_file,
        }
        shown["job"] = self.job.to_json()
        shown["found"] = self.found
        shown["replaced"] = self.replaced
        return shown

    def found_line(self, target_profile: str | None) -> str | None:
        """`found ft-abc, made by an earlier move on 2026-11-29 19:30: not made again`, or
        None for a job made now."""
        if not self.found:
            return None
        when = ""
        if self.made_at:
            when = datetime.fromtimestamp(self.made_at).strftime(" on %Y-%m-%d %H:%M")
        where = f" to {target_profile}" if target_profile else ""
        return (
            f"found {self.job.id}, made by an earlier move of {self.plan.job.id}{where}{when}: "
            "not made again"
        )


def default_work_dir(job_id: str, base: Path | None = None) -> Path:
    """`migrate-JOB` (in `base`, else relative to the current folder): where the downloads and
    the converted files are kept, for the user to see and keep."""
    name = f"migrate-{safe_id(job_id)}"
    return base / name if base is not None else Path(name)


def make_work_dir(folder: Path) -> None:
    """Create the work folder, and remove the temporary files a killed run left in it (a
    download or conversion cut off by SIGKILL or a power cut: never used, only in the way)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(folder)
    except FileExistsError:
        raise MigrationError(f"{folder} is a file, not a folder") from None
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise MigrationError(f"cannot create {folder}: {reason}") from None
