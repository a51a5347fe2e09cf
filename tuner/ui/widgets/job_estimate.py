"""The new-job form's cost line: the local training file analysed (in a thread) and priced for
the chosen base model and epochs, or why there is no price.

It owns the analysis: one per (file, encoding), reused while only the epochs or a model of the
same encoding change, and kept in `report` for the job-creation flow, which then does not
analyse the same file again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.message import Message
from textual.widgets import Static

from tuner.data.durations import format_count
from tuner.data.fit_text import short_path
from tuner.data.wording import plural
from tuner.ui.failures import WorkFailed, fails_as
from tuner.ui.outside import outside

if TYPE_CHECKING:
    from tuner.data.analysis.report import AnalysisReport
    from tuner.data.catalog.lookup import Catalog

# Analyse `path` for `model` (runs in a thread): the app's `Services.analyse`, bound to the
# profile's catalog and data rules.
Analyse = Callable[[Path, str], "AnalysisReport"]


@dataclass
class EstimateReady(Message):
    """The analysis of the file to price: which (path, encoding) it was made for, and it."""

    key: tuple[Path, str]
    report: AnalysisReport


class EstimateFailed(WorkFailed):
    """The file to price could not be analysed (unreadable, gone): said on the cost line."""


class JobEstimate(Static):
    """`Cost: $0.42  20 examples · 1.2k tokens/epoch · 5 epochs (auto) · 6k trained`."""

    def __init__(self, analyse: Analyse, catalog: Callable[[], Catalog], *, id: str) -> None:
        super().__init__(id=id)
        self.analyse = analyse
        self.catalog = catalog
        self.report: AnalysisReport | None = None
        self.report_key: tuple[Path, str] | None = None  # (path, encoding) analysed
        self.model = ""
        self.epochs: int | None = None  # None: the service's choice

    def price(self, path: Path | None, model: str, epochs: int | None, *, local: bool) -> None:
        """Price `path` (None: no local file; `local` says whether one is still to be typed,
        or the file is only on the service) for `model` and `epochs`."""
        self.model, self.epochs = model, epochs
        if path is None:
            self.update(
                Text("Cost: type the training file's path.", style="dim")
                if local
                else Text(
                    "Cost: the estimate needs the local file; this one is only on the "
                    "service (open it from the dataset screen to price it).",
                    style="dim",
                )
            )
            return
        if not path.is_file():
            self.update(outside(f"Cost: no such file: {short_path(path)}", "yellow"))
            return
        key = (path.resolve(), self.catalog().resolve(model).encoding)
        if self.report is not None and self.report_key == key:
            self._show()
            return
        self.update(outside(f"Cost: analysing {path.name}…", "dim"))
        self._analyse(path, model)

    @work(thread=True, exclusive=True, group="estimate", exit_on_error=False)
    @fails_as(EstimateFailed)
    def _analyse(self, path: Path, model: str) -> None:
        report = self.analyse(path, model)
        self.post_message(EstimateReady((path.resolve(), report.encoding), report))

    @on(EstimateReady)
    def _ready(self, message: EstimateReady) -> None:
        message.stop()
        self.report_key, self.report = message.key, message.report
        self._show()

    @on(EstimateFailed)
    def _failed(self, failed: EstimateFailed) -> None:
        self.update(outside(f"Cost: could not analyse the file: {failed.reason}", "yellow"))

    def _show(self) -> None:
        report = self.report
        if report is None:
            return
        text = Text("Cost: ", style="bold")
        if not report.valid:
            text.append_text(
                outside(
                    f"{report.path.name} has {report.error_count} error(s) "
                    f"({report.errors[0].located()})",
                    "red",
                )
            )
            self.update(text)
            return
        estimate = report.reprice(self.catalog().resolve(self.model).info, self.epochs)
        text.append(estimate.cost_text, style="bold green")
        text.append(
            f"  {plural(report.examples, 'example')}"
            f" · {format_count(estimate.billed_tokens)} tokens/epoch"
            f" · {plural(estimate.epochs, 'epoch')}{' (auto)' if self.epochs is None else ''}"
            f" · {format_count(estimate.trained_tokens)} trained"
        )
        if not report.exact_tokens:
            text.append(f" · {report.token_note or 'approximate'}", style="yellow")
        self.update(text)
