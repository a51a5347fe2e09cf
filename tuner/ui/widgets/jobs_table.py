"""The jobs list's table: a row a job, in the columns the terminal's width allows.

Wide terminals (`WIDE` columns and more) get the full ids and a "Stops answering" column; narrow
ones get short names, and a ⚠ beside a fine-tune that stops answering soon. Which jobs to show,
and when, is the jobs screen's business; this table draws them and keeps the cursor on the job
it was on.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widgets import DataTable

from tuner.api.deadlines import Retirement, retirement
from tuner.api.jobs.watch import brief_model, short_fine_tuned
from tuner.data.durations import format_ago, format_count, format_duration
from tuner.data.fit_text import fit_words
from tuner.ui.outside import outside_line
from tuner.ui.widgets.job_header import status_text

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from tuner.api.types import Job
    from tuner.data.catalog.lookup import Catalog

WIDE = 110  # columns from which the full ids fit
URGENCY_STYLES = {"past": "bold red", "near": "bold yellow", "later": "dim"}
# The narrow list's base-model cell, in cells: a longer name ends at a whole part of it
# (`Meta-Llama-3.1…`), never inside one.
BASE_WIDTH = 16

NARROW_COLUMNS = ("Status", "Base", "Model / job", "Created", "Took", "Tokens")
WIDE_COLUMNS = (
    "Status",
    "Job",
    "Base model",
    "Fine-tuned model",
    "Stops answering",
    "Created",
    "Took",
    "Tokens",
)


def serves_until(retirement: Retirement | None) -> Text:
    """The wide list's "Stops answering" cell (`in 38 days`, `2026-10-23` once past), marked
    when near or past."""
    if retirement is None:
        return Text("—", style="dim")
    return Text(retirement.when(), style=URGENCY_STYLES[retirement.urgency])


def row_cells(job: Job, now: float, wide: bool, retirement: Retirement | None = None) -> list[Any]:
    """The cells of one job's row; narrow terminals get short names. `retirement` is the
    base model's, shown for a job that made a model (marked when near or past)."""
    took = job.finished_at - job.created_at if job.finished_at else now - job.created_at
    took_text = format_duration(took) if (job.finished_at or job.active) else "—"
    tokens = format_count(job.trained_tokens) if job.trained_tokens else "—"
    if not job.fine_tuned_model:
        retirement = None
    if wide:
        style = "green" if job.fine_tuned_model else "dim"
        return [
            status_text(job.status),
            outside_line(job.id),
            outside_line(job.model),
            outside_line(job.fine_tuned_model or "—", style),
            serves_until(retirement),
            format_ago(job.created_at, now),
            took_text,
            tokens,
        ]
    short = short_fine_tuned(job.fine_tuned_model, job.model)
    name = outside_line(short, "green") if short else outside_line(f"…{job.id[-10:]}", "dim")
    if retirement is not None and retirement.urgency != "later":
        name.append(" ⚠", style=URGENCY_STYLES[retirement.urgency])
    return [
        status_text(job.status),
        outside_line(fit_words(brief_model(job.model), BASE_WIDTH)),
        name,
        format_ago(job.created_at, now),
        took_text,
        tokens,
    ]


class JobsTable(DataTable[Any]):
    """Jobs as rows keyed by job id; `set_columns` picks the wide or the narrow columns."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.wide: bool | None = None  # which columns are up (None: none yet)

    def set_columns(self, wide: bool) -> None:
        """Put up the wide or the narrow columns (the rows go with the old ones)."""
        self.wide = wide
        self.clear(columns=True)
        for label in WIDE_COLUMNS if wide else NARROW_COLUMNS:
            self.add_column(label, key=label)

    def show(
        self, jobs: Sequence[Job], *, now: float, catalog: Catalog, dates: Mapping[str, date]
    ) -> None:
        """Draw `jobs` as the rows, their ages at `now` and their models' last days from
        `dates` (the service's) or `catalog`; the cursor stays on its job if it is still
        there."""
        selected = self.selected_job_id()
        today = date.fromtimestamp(now)
        self.clear()
        for job in jobs:
            ends = retirement(job.fine_tuned_model or job.model, catalog, today, dates)
            self.add_row(*row_cells(job, now, bool(self.wide), ends), key=job.id)
        if selected is not None and selected in {job.id for job in jobs}:
            self.move_cursor(row=self.get_row_index(selected), animate=False)

    def selected_job_id(self) -> str | None:
        """The id of the job under the cursor (None in an empty table)."""
        if self.row_count == 0 or not self.is_valid_row_index(self.cursor_row):
            return None
        key = self.coordinate_to_cell_key((self.cursor_row, 0)).row_key
        return str(key.value) if key.value is not None else None
