"""The job screen's Checkpoints tab: the checkpoints the service saved, newest highlighted, or
a note saying why there are none (yet, or at all).

A checkpoint is a model one can chat with, so the pane also says which one is highlighted: the
model `o` opens from this tab. The list is sorted by step; a re-read that brings the same
checkpoints leaves the table (and the user's place in it) alone. Model names come from the
service: `outside_line` only.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from tuner.api.jobs.watch import short_fine_tuned
from tuner.api.types import Checkpoint, Job, JobStatus
from tuner.ui.outside import outside, outside_line


def checkpoints_note(job: Job, count: int) -> str | None:
    """What the Checkpoints tab says instead of an empty table: none *yet* while the job can
    still save one, none at all once it cannot (and why, when it stopped early)."""
    if count:
        return None
    status = job.status
    if status in (JobStatus.VALIDATING, JobStatus.QUEUED):
        return "No checkpoints yet: training has not started."
    if job.active:
        return "No checkpoints yet: they appear here as the service saves them during training."
    if status is JobStatus.SUCCEEDED:
        then = " o chats with its fine-tuned model." if job.fine_tuned_model else ""
        return f"No checkpoints: the service kept none for this job.{then}"
    ended = "failed" if status is JobStatus.FAILED else "was cancelled"
    return f"No checkpoints: the job {ended} before the service saved one."


def _fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


class CheckpointsPane(Vertical):
    """A note ("Loading checkpoints…", none yet, none at all) or the table of checkpoints."""

    DEFAULT_CSS: ClassVar[str] = """
    CheckpointsPane {
        height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.checkpoints: list[Checkpoint] = []  # by step, as the table shows them

    def compose(self) -> ComposeResult:
        yield Static("Loading checkpoints…", id="ckpt-note")
        yield DataTable(id="ckpt-table", cursor_type="row")

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#ckpt-table", DataTable)

    def on_mount(self) -> None:
        self.table.add_columns("Step", "Train loss", "Valid loss", "Accuracy", "Model")
        self.table.display = False  # until the list is read: "Loading checkpoints…"

    def problem(self, text: str) -> None:
        """No list can be read (no service set up): say why instead."""
        self.query_one("#ckpt-note", Static).update(outside(text))

    def show(self, job: Job, checkpoints: list[Checkpoint]) -> bool:
        """The checkpoints of `job` as last read, or the note when there are none. True when the
        list changed (its count is then worth showing again)."""
        changed = [c.id for c in checkpoints] != [c.id for c in self.checkpoints]
        if changed:
            self._fill(checkpoints)
        note = checkpoints_note(job, len(self.checkpoints))
        self.query_one("#ckpt-note", Static).update(note or "")
        self.query_one("#ckpt-note").display = note is not None
        self.table.display = note is None
        return changed

    def _fill(self, checkpoints: list[Checkpoint]) -> None:
        self.checkpoints = sorted(checkpoints, key=lambda c: c.step)
        table = self.table
        table.clear()
        for ckpt in self.checkpoints:
            m = ckpt.metrics
            valid = None
            if m is not None:
                valid = m.full_valid_loss if m.full_valid_loss is not None else m.valid_loss
            table.add_row(
                str(ckpt.step),
                _fmt(m.train_loss if m else None),
                _fmt(valid),
                _fmt(m.train_mean_token_accuracy if m else None),
                outside_line(short_fine_tuned(ckpt.model) or ""),
                key=ckpt.id,
            )
        # Start on the newest: the one worth trying first, and what `o` opens from here.
        table.move_cursor(row=len(self.checkpoints) - 1, animate=False)

    @property
    def highlighted_model(self) -> str | None:
        """The model of the highlighted checkpoint (None while there is none)."""
        row = self.table.cursor_row
        if 0 <= row < len(self.checkpoints):
            return self.checkpoints[row].model
        return None
