"""The one-line verdict on a training file: valid or not, its cost, its size, its upload.

The dataset screen's status line says this whenever nothing is running; it is worked out here,
without a screen, from what the screen knows so far (the analysis may not be done, the file may
not be uploaded), so its wording and order are tested as plain text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tuner.data.wording import plural

if TYPE_CHECKING:
    from tuner.data.analysis.report import AnalysisReport


def dataset_status(
    name: str,
    *,
    lines: int | None = None,
    report: AnalysisReport | None = None,
    estimate: str = "",
    uploaded_file_id: str | None = None,
    file_problem: str | None = None,
) -> str:
    """`✓ valid · $1.23 (model, 3 epochs) · train.jsonl · 120 lines · 45,000 tokens · uploaded:
    file-…`, or the reason the file cannot be read (`file_problem`).

    What matters first, so a narrow terminal cuts the least useful end: the verdict, the cost
    (`estimate`, once the analysis counted examples), then the file's figures. `lines` is None
    until the file's lines are counted."""
    if file_problem is not None:
        return file_problem
    parts: list[str] = []
    if report is not None:
        if report.errors:
            parts.append(f"✗ {plural(report.error_count, 'error')}")
        elif report.warnings:
            parts.append(f"! {plural(report.warning_count, 'warning')}")
        else:
            parts.append("✓ valid")
        if report.examples and estimate:
            parts.append(estimate)
    parts.append(name)
    if lines is not None:
        parts.append(plural(lines, "line"))
    if report is not None and report.examples:
        parts.append(f"{report.stats.total:,} tokens")
    if uploaded_file_id:
        parts.append(f"uploaded: {uploaded_file_id}")
    return " · ".join(parts)
