"""The Eval screen's Results tab: a run's figures, or its progress while it runs.

At 80 columns a table with a column per grader does not fit, so each model gets a letter (A is
the baseline) named once in full at the top, and the figures come in three narrow tables: the
facts per model (n, failures, cost, latency), each grader's mean with its 95% interval and pass
rate per model, and each later model's paired difference to the baseline per grader (is it
significant? which examples flipped?). Model labels come from services: `outside_line` only.

While a run is going, the same tab shows a progress bar per model with its answered, cached and
failed counts, and what the judge has spent.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from string import ascii_uppercase

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Label, ProgressBar, Static

from tuner.api.eval.run import ModelProgress
from tuner.data.eval.summary import Comparison, EvalSummary, GraderSummary, ModelSummary
from tuner.ui.outside import outside_line


def model_letter(index: int) -> str:
    """A, B, … Z, then A2, B2, …: short names for the models of a run, in its order."""
    letter = ascii_uppercase[index % 26]
    return letter if index < 26 else f"{letter}{index // 26 + 1}"


def shown_folder(folder: Path) -> str:
    """Where a run's files are, in one short line: relative to tuner's data folder when the
    run is kept there (its full path is in the History tab), else the whole path."""
    from tuner.config import data_dir

    try:
        inside = folder.resolve().relative_to(data_dir().resolve())
    except (ValueError, OSError):
        return f"report.md in {folder}"
    return f"report.md in {inside} (tuner's data folder)"


def models_table(labels: Sequence[str]) -> Table:
    """Each model's letter and its whole label; the first is the baseline (when there are more)."""
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold")
    table.add_column()
    for index, label in enumerate(labels):
        name = outside_line(label)
        if index == 0 and len(labels) > 1:
            name.append("  baseline", style="dim")
        table.add_row(model_letter(index), name)
    return table


def _table(*headers: str, right: Sequence[int] = ()) -> Table:
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold dim")
    for index, header in enumerate(headers):
        table.add_column(header, justify="right" if index in right else "left", no_wrap=True)
    return table


def facts_table(models: Sequence[ModelSummary]) -> Table:
    table = _table("", "n", "failed", "cost", "p50", "p95", right=(1, 2, 3, 4, 5))
    for index, model in enumerate(models):
        latency = model.latency
        table.add_row(
            model_letter(index),
            f"{model.n:,}",
            Text(str(model.failures), style="bold red" if model.failures else ""),
            "unknown" if model.cost is None else f"${model.cost:,.4f}",
            "–" if latency is None else f"{latency.p50:.2f} s",
            "–" if latency is None else f"{latency.p95:.2f} s",
        )
    return table


def _mean(grader: GraderSummary | None) -> Text:
    if grader is None or grader.mean is None:
        return Text("not graded", style="dim")
    m = grader.mean
    return Text(f"{m.mean:.3f} [{m.low:.3f}, {m.high:.3f}]")


def _passing(grader: GraderSummary | None) -> Text:
    if grader is None:
        return Text("")
    if grader.outcomes is not None:
        wins, ties, losses = grader.outcomes
        return Text(f"{wins} won, {ties} tied, {losses} lost")
    text = Text("" if grader.passing is None else f"{grader.passing.rate:.0%}")
    if grader.not_graded:
        text.append(f"  {grader.not_graded} not graded", style="dim")
    return text


def graders_table(summary: EvalSummary) -> Table:
    table = _table("grader", "", "mean [95% interval]", "pass")
    for spec in summary.graders:
        name = outside_line(spec.name)
        name.append(f" ≥{spec.threshold:g}", style="dim")
        for index, model in enumerate(summary.models):
            grader = model.grader(spec.name)
            table.add_row(
                name if index == 0 else "", model_letter(index), _mean(grader), _passing(grader)
            )
    return table


def _difference(comparison: Comparison) -> tuple[Text, Text, Text]:
    d = comparison.difference
    if d is None:
        return Text("none graded for both", style="dim"), Text(""), Text("")
    style = ("green" if d.mean > 0 else "red") if d.significant else ""
    difference = Text(f"{d.mean:+.3f} [{d.low:+.3f}, {d.high:+.3f}]", style=style)
    verdict = Text("yes" if d.significant else "no", style=style)
    worse = sum(1 for flip in comparison.flips if flip.first_passed)
    better = len(comparison.flips) - worse
    flips = Text(f"{better} better, {worse} worse" if comparison.flips else "none")
    return difference, verdict, flips


def comparisons_table(summary: EvalSummary) -> Table:
    """Each later model minus A per grader; flips count the examples that now pass (better)
    and now fail (worse) against A."""
    labels = [model.model for model in summary.models]
    table = _table("", "grader", "difference [95% interval]", "significant", "flips")
    table.columns[1].no_wrap = False  # a regex grader's pattern may be long
    for comparison in summary.comparisons:
        index = labels.index(comparison.model) if comparison.model in labels else -1
        letter = model_letter(index) if index >= 0 else "?"
        table.add_row(letter, outside_line(comparison.grader), *_difference(comparison))
    return table


def summary_view(summary: EvalSummary) -> RenderableType:
    """The whole Results tab for `summary`."""
    parts: list[RenderableType] = [
        models_table([model.model for model in summary.models]),
        Text(""),
        facts_table(summary.models),
        Text(""),
        graders_table(summary),
    ]
    if summary.comparisons:
        parts += [
            Text(""),
            Text("Paired difference to A, the baseline (95% interval)", style="bold"),
            comparisons_table(summary),
        ]
    return Group(*parts)


class EvalResults(VerticalScroll, can_focus=True):
    """A run's figures under a heading (what ran, where its files are), or a note."""

    def compose(self) -> ComposeResult:
        yield Static("", id="results-heading", markup=False)
        yield Static("", id="results-body", markup=False)

    def show(self, summary: EvalSummary, heading: Text) -> None:
        self.query_one("#results-heading", Static).update(heading)
        self.query_one("#results-body", Static).update(summary_view(summary))
        self.scroll_home(animate=False)

    def note(self, text: Text | str) -> None:
        """No figures: say why (no run yet, a run that failed)."""
        self.query_one("#results-heading", Static).update(text)
        self.query_one("#results-body", Static).update("")


class EvalProgress(Vertical):
    """A bar per model with its counts, and the judge's spend, while a run goes on."""

    def compose(self) -> ComposeResult:
        yield Static("", id="progress-models", markup=False)
        yield Vertical(id="progress-bars")
        yield Label("", id="progress-judge", markup=False)

    async def start(self, labels: Sequence[str], total: int) -> None:
        """Bars for `labels` (in the run's order), each of `total` examples."""
        self.query_one("#progress-models", Static).update(models_table(labels))
        bars = self.query_one("#progress-bars", Vertical)
        await bars.remove_children()
        rows = []
        for index, _ in enumerate(labels):
            rows.append(
                Horizontal(
                    Label(model_letter(index), classes="progress-letter"),
                    ProgressBar(total=max(total, 1), show_eta=False, classes="progress-bar"),
                    Label(f"0/{total:,}", classes="progress-counts", markup=False),
                    classes="progress-row",
                )
            )
        await bars.mount_all(rows)
        self.query_one("#progress-judge", Label).update("")

    def update_counts(self, models: Sequence[ModelProgress], judge: str) -> None:
        for row, progress in zip(self.query(".progress-row"), models, strict=False):
            row.query_one(ProgressBar).update(total=max(progress.total, 1), progress=progress.done)
            counts = f"{progress.done:,}/{progress.total:,}"
            if progress.cached:
                counts += f" · {progress.cached:,} cached"
            label = Text(counts)
            if progress.failed:
                label.append(f" · {progress.failed:,} failed", style="bold red")
            row.query_one(".progress-counts", Label).update(label)
        self.query_one("#progress-judge", Label).update(judge)
