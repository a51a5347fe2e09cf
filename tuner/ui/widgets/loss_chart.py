"""Training curves: train and validation loss against step, or token accuracy on a toggle.

The data lives in a `MetricSeries` (tuner.api.jobs.watch); the widget only draws it. Plotext
rebuilds the whole figure on each render, so `add` marks the widget dirty and Textual folds many
metric events arriving together into one redraw. Braille markers give four dots per cell, which
keeps a 60-step curve legible in the 80x24 terminal's dozen chart rows.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import RenderResult
from textual.reactive import reactive
from textual_plotext import PlotextPlot

from tuner.api.jobs.metrics import MetricPoint
from tuner.api.jobs.watch import MetricSeries

# (MetricPoint field, legend label, colour) per view.
LOSS_LINES = (
    ("train_loss", "train", "cyan"),
    ("valid_loss", "valid", "orange"),
    ("full_valid_loss", "full valid", "magenta"),
)
ACCURACY_LINES = (
    ("train_mean_token_accuracy", "train acc", "cyan"),
    ("valid_mean_token_accuracy", "valid acc", "orange"),
    ("full_valid_mean_token_accuracy", "full valid acc", "magenta"),
)


class LossChart(PlotextPlot):
    """A live chart of one job's metrics. `add(point)` / `replace(points)`; `accuracy` toggles."""

    DEFAULT_CSS: ClassVar[str] = """
    LossChart { height: 1fr; min-height: 8; }
    """

    accuracy: reactive[bool] = reactive(False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.series = MetricSeries()
        self.plotted: dict[str, tuple[list[int], list[float]]] = {}

    def add(self, point: MetricPoint) -> None:
        self.series.add(point)
        self.refresh()

    def replace(self, points: list[MetricPoint]) -> None:
        """Draw the full record (the finished job's result file) instead of the live points."""
        if points:
            self.series.replace(points)
            self.refresh()

    def watch_accuracy(self) -> None:
        self.refresh()

    def render(self) -> RenderResult:
        lines = ACCURACY_LINES if self.accuracy else LOSS_LINES
        self.plotted = {}
        for name, _label, _colour in lines:
            steps, values = self.series.series(name)
            if steps:
                self.plotted[name] = (steps, values)
        if not self.plotted:
            what = "accuracy" if self.accuracy else "loss"
            return Text(f"No {what} metrics yet: they appear as training runs.", style="dim")
        plt = self.plt
        plt.clear_figure()
        for name, label, colour in lines:
            if name in self.plotted:
                steps, values = self.plotted[name]
                plt.plot(steps, values, label=label, color=colour, marker="braille")
        total = self.series.total_steps
        last = max(step for steps, _ in self.plotted.values() for step in steps)
        plt.xlim(0, max(total or last, 1))
        if self.accuracy:
            plt.ylim(0, 1)
        where = "" if self.series.source == "live" else " (result file)"
        plt.title(f"{'token accuracy' if self.accuracy else 'loss'} by step{where}")
        return super().render()
