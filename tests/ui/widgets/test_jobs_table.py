"""The jobs list's table: the columns the width allows, a fine-tune's last day marked, and the
cursor kept on its job when the rows are drawn again."""

from __future__ import annotations

from datetime import date

from tests.helpers import host_app
from tuner.api.types import Job, JobStatus
from tuner.data.catalog.choice import default_catalog
from tuner.ui.widgets.jobs_table import NARROW_COLUMNS, WIDE_COLUMNS, JobsTable

NOW = 1_800_000_000
BASE = "gpt-4o-mini-2024-07-18"
TUNED = f"ft:{BASE}:acme:shop:abc123"


def job(job_id: str, **extra: object) -> Job:
    fields: dict[str, object] = {
        "id": job_id,
        "status": JobStatus.SUCCEEDED,
        "model": BASE,
        "created_at": NOW - 3600,
        "finished_at": NOW - 3000,
        "training_file": "file-t",
        "fine_tuned_model": TUNED,
        "trained_tokens": 2000,
    }
    fields.update(extra)
    return Job(**fields)  # type: ignore[arg-type]


def labels(table: JobsTable) -> tuple[str, ...]:
    return tuple(str(column.label) for column in table.ordered_columns)


async def test_columns_and_a_fine_tune_that_stops_answering_soon() -> None:
    table = JobsTable()
    app = host_app(table)
    soon = {BASE: date.fromtimestamp(NOW + 10 * 86400)}  # the service says: in ten days
    jobs = [job("ftjob-a"), job("ftjob-b", status=JobStatus.FAILED, fine_tuned_model=None)]
    async with app.run_test():
        table.set_columns(wide=False)
        table.show(jobs, now=NOW, catalog=default_catalog(), dates=soon)
        assert labels(table) == NARROW_COLUMNS
        cells = [str(cell) for cell in table.get_row("ftjob-a")]
        assert cells[2] == "shop:abc123 ⚠" and cells[3] == "1h ago" and cells[5] == "2.00k"
        assert "⚠" not in str(table.get_row("ftjob-b")[2])  # no model, nothing stops
        table.set_columns(wide=True)
        table.show(jobs, now=NOW, catalog=default_catalog(), dates=soon)
        assert labels(table) == WIDE_COLUMNS
        assert str(table.get_row("ftjob-a")[4]) == "in 10 days"
        assert str(table.get_row("ftjob-b")[4]) == "—"


async def test_the_cursor_stays_on_its_job_when_the_rows_are_drawn_again() -> None:
    table = JobsTable()
    app = host_app(table)
    first = [job("ftjob-a"), job("ftjob-b"), job("ftjob-c")]
    async with app.run_test():
        table.set_columns(wide=False)
        table.show(first, now=NOW, catalog=default_catalog(), dates={})
        table.move_cursor(row=1)
        assert table.selected_job_id() == "ftjob-b"
        newer = [job("ftjob-d"), *first]  # a new job on top moves the rows down
        table.show(newer, now=NOW, catalog=default_catalog(), dates={})
        assert table.selected_job_id() == "ftjob-b" and table.cursor_row == 2
        table.show([job("ftjob-d")], now=NOW, catalog=default_catalog(), dates={})
        assert table.selected_job_id() == "ftjob-d"  # gone from the rows: the first row
        table.show([], now=NOW, catalog=default_catalog(), dates={})
        assert table.selected_job_id() is None
