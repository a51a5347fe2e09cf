"""Token statistics, a histogram of tokens per example, and the cost for a chosen model and epochs.

The histogram is drawn by hand as horizontal bars, one bin per row: at 80x24 the pane has
about eight rows, and a plot with axes would spend most of them on its frame. The bins follow
the widget's height, so a taller terminal shows a finer histogram.

The model `Select` and the epochs `Input` post `StatsPane.PricingChanged`; the screen reprices
(same encoding) or re-analyses (another encoding) and calls `show_priced` again, which prices the
report for the model and epochs chosen here.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult, RenderResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from tuner.data.wording import plural
from tuner.ui.outside import outside, outside_line

if TYPE_CHECKING:
    from tuner.data.analysis.report import AnalysisReport
    from tuner.data.catalog.lookup import Catalog
    from tuner.data.estimate import CostEstimate
    from tuner.data.stats import TokenStats

BAR = "█"
MAX_BINS = 24
PARTIAL = " ▏▎▍▌▋▊▉"


def bar(fraction: float, width: int) -> str:
    """A bar of `fraction` (0..1) of `width` cells, in eighths of a cell."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, rest = divmod(eighths, 8)
    return BAR * full + (PARTIAL[rest] if rest else "")


def compact_number(n: float) -> str:
    """`950`, `12.3k`, `1.2M`: axis labels that fit in six cells."""
    if n >= 1_000_000:
        return f"{n / 1e6:.1f}M"
    if n >= 10_000:
        return f"{n / 1e3:.0f}k"
    if n >= 1000:
        return f"{n / 1e3:.1f}k"
    return f"{n:.0f}"


class TokenHistogram(Widget):
    """Examples per token-count bin, one bin per row, bars scaled to the widest bin."""

    DEFAULT_CSS = """
    TokenHistogram { height: 1fr; width: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.stats: TokenStats | None = None
        self.limit: int | None = None

    def set_stats(self, stats: TokenStats | None, limit: int | None = None) -> None:
        self.stats = stats
        self.limit = limit
        self.refresh()

    def render(self) -> RenderResult:
        stats = self.stats
        if stats is None or stats.n == 0:
            return Text("no token counts yet", style="dim")
        # One bin per row, but not so many that a small file is mostly empty bins.
        rows = max(1, self.content_size.height - 1)
        bins = stats.histogram(min(rows, MAX_BINS, max(4, round(math.sqrt(stats.n) * 2))))
        peak = max(count for _, _, count in bins) or 1
        label_width = 13
        count_width = len(f"{peak:,}")
        bar_width = max(1, self.content_size.width - label_width - count_width - 2)
        text = Text(no_wrap=True, overflow="crop")
        text.append("tokens/example   examples\n", style="dim")
        for i, (lo, hi, count) in enumerate(bins):
            if i:
                text.append("\n")
            label = f"{compact_number(lo):>6}–{compact_number(hi - 1):<6}"
            over = self.limit is not None and hi - 1 > self.limit
            text.append(label, style="dim")
            text.append(" ")
            text.append(f"{bar(count / peak, bar_width):<{bar_width}}", style="red" if over else "")
            text.append(f" {count:>{count_width},}", style="bold" if count else "dim")
        return text


class StatsPane(Vertical):
    """Model and epochs controls, the figures, and the histogram."""

    DEFAULT_CSS = """
    StatsPane { height: 1fr; }
    StatsPane > #pricing { height: 1; }
    StatsPane > #pricing > Label { padding: 0 1 0 0; }
    StatsPane > #pricing > #model { width: 1fr; max-width: 36; }
    StatsPane > #pricing > #epochs { width: 8; }
    StatsPane > #stats-body { height: 1fr; }
    StatsPane #figures { width: 38; height: auto; padding: 0 1 0 0; }
    StatsPane TokenHistogram { width: 1fr; }
    """

    class PricingChanged(Message):
        """The user picked another model or epoch count (`None`: the service's default)."""

        def __init__(self, model: str, epochs: int | None) -> None:
            super().__init__()
            self.model = model
            self.epochs = epochs

    def __init__(self, models: list[str], model: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._models = models if model in models else [model, *models]
        self._model = model

    def compose(self) -> ComposeResult:
        with Horizontal(id="pricing"):
            yield Label("Model")
            yield Select(
                [(outside_line(m), m) for m in self._models],
                value=self._model,
                allow_blank=False,
                compact=True,
                id="model",
            )
            yield Label(" Epochs")
            yield Input(placeholder="auto", type="integer", compact=True, id="epochs", max_length=2)
        with Horizontal(id="stats-body"):
            yield Static("Counting tokens…", id="figures")
            yield TokenHistogram(id="histogram")

    @property
    def model(self) -> str:
        value = self.query_one("#model", Select).value
        return value if isinstance(value, str) else self._model

    @property
    def epochs(self) -> int | None:
        raw = self.query_one("#epochs", Input).value.strip()
        try:
            value = int(raw)
        except ValueError:
            return None
        return value if value > 0 else None

    def set_epochs(self, epochs: int | None) -> None:
        self.query_one("#epochs", Input).value = "" if epochs is None else str(epochs)

    def step_epochs(self, delta: int, auto: int) -> None:
        """`delta` epochs from the figure in the field, or from `auto` (the service's choice)
        while it says auto; below 1 is auto again, so a user who tried a figure can always go
        back."""
        current = self.epochs
        if current is None:
            current = auto
        elif current + delta < 1:
            self.set_epochs(None)
            return
        self.set_epochs(max(1, min(50, current + delta)))

    def set_model(self, model: str) -> None:
        self.query_one("#model", Select).value = model

    def set_models(self, models: list[str], model: str) -> None:
        """Another service's models (a profile switch); `model` chosen, without a
        `PricingChanged` (the caller analyses again anyway)."""
        self._models = models if model in models else [model, *models]
        self._model = model
        select = self.query_one("#model", Select)
        with select.prevent(Select.Changed):
            select.set_options([(outside_line(m), m) for m in self._models])
            select.value = model

    @on(Select.Changed, "#model")
    @on(Input.Changed, "#epochs")
    def _changed(self, event: Message) -> None:
        event.stop()
        self.post_message(self.PricingChanged(self.model, self.epochs))

    def show_message(self, text: str) -> None:
        self.query_one("#figures", Static).update(outside(text))
        self.query_one(TokenHistogram).set_stats(None)

    def show_priced(self, report: AnalysisReport, catalog: Catalog) -> CostEstimate:
        """`report` priced for the model and epochs chosen here (its own estimate when they are
        the ones it was made for) and shown; the estimate is returned for the caller to say."""
        model, epochs = self.model, self.epochs
        info = catalog.resolve(model).info
        if model == report.model and epochs == report.epochs:
            estimate = report.estimate
        else:
            estimate = report.reprice(info, epochs)
        limit = info.example_token_limit if info is not None else None
        self.show(report, estimate, limit)
        return estimate

    def show(self, report: AnalysisReport, estimate: CostEstimate, limit: int | None) -> None:
        """The figures of `report` priced by `estimate` (for the model and epochs chosen)."""
        stats = report.stats
        table = Table.grid(padding=(0, 1))
        table.add_column(style="dim", no_wrap=True)
        table.add_column(justify="right", no_wrap=True)
        # The cost first: it is the number the user came for, and a short terminal cuts the end.
        # Its epochs beside it; whether they are the service's choice, the Epochs field above
        # says ("auto"), so the row stays within the column at 80 cells.
        price = f"${estimate.price_per_1m:,.2f}" if estimate.price_per_1m is not None else "unknown"
        table.add_row(
            "cost",
            Text.assemble(
                (estimate.cost_text, "bold"),
                (f" · {plural(estimate.epochs, 'epoch')}", "dim"),
            ),
        )
        table.add_row("examples", f"{report.examples:,}")
        table.add_row("tokens", f"{stats.total:,}")
        table.add_row("billed / epoch", f"{estimate.billed_tokens:,}")
        table.add_row("trained tokens", f"{estimate.trained_tokens:,}")
        table.add_row("price per 1M", price)
        table.add_row("min · mean", f"{stats.min:,} · {stats.mean:,.0f}")
        table.add_row("p50 · p95", f"{stats.p50:,.0f} · {stats.p95:,.0f}")
        table.add_row("max", f"{stats.max:,}")
        if limit is not None:
            over = stats.over_limit(limit)
            table.add_row(
                f"over {limit:,}",
                Text(f"{over:,}", style="bold red" if over else ""),
            )
        else:
            table.add_row("over limit", Text("no published limit", style="dim"))
        if not report.exact_tokens:
            note = report.token_note or "token counts are estimates"
            table.add_row(Text(note, style="italic yellow"), "")
        self.query_one("#figures", Static).update(table)
        self.query_one(TokenHistogram).set_stats(stats, limit)
