"""The Eval screen's Examples tab: every example with each model's score on one grader.

A line above the table says which grader is shown (g: the next one), the order (o: the file's,
or the most disputed first) and whether only the flips are listed (F); enter on a row opens the
example with the prompt, the reference and every reply (the screen shows it: `Chosen`). The rows
come from `tuner.data.eval.example_rows`; prompts from the eval file, as `outside_line` text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import DataTable, Static

from tuner.data.eval.example_rows import (
    ExampleRow,
    RowOrder,
    arrange_rows,
    example_rows,
    prompt_preview,
)
from tuner.data.eval.examples import EvalExample
from tuner.data.eval.graders import GraderSpec
from tuner.data.eval.results import ExampleResult
from tuner.ui.outside import outside_line
from tuner.ui.widgets.eval_results import model_letter

# Columns of the table other than the prompt: its width is what they leave.
_LINE_WIDTH, _SCORE_WIDTH, _SPREAD_WIDTH, _FLIP_WIDTH = 5, 5, 6, 4
_MIN_PROMPT = 12


def score_cell(row: ExampleRow, index: int) -> Text:
    """A model's score on the row's grader: green when it passes, red when it fails; `error`
    for a failed request, `–` when it was not graded."""
    record = row.results[index]
    if record is None:
        return Text("")
    if record.failed:
        return Text("error", style="bold red")
    score = row.scores[index]
    if score is None:
        return Text("–", style="dim")
    return Text(f"{score:.2f}", style="green" if row.passed[index] else "red")


def shortened(text: str, width: int) -> str:
    """`text` in at most `width` columns, cut at a word with `…` (a word longer than the room is
    cut where the room ends)."""
    if len(text) <= width:
        return text
    room = text[: max(width - 1, 0)]
    cut = room.rsplit(" ", 1)[0] if " " in room.strip() else room
    return cut.rstrip() + "…"


class EvalExamples(Vertical):
    """The examples of one run (fresh or from history)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("g", "next_grader", "Grader", id="eval.examples.grader"),
        Binding("o", "toggle_order", "Sort", id="eval.examples.order"),
        Binding("F", "toggle_flips", "Flips only", id="eval.examples.flips"),
    ]

    order: reactive[RowOrder] = reactive(RowOrder.LINE, init=False)
    flips_only: reactive[bool] = reactive(False, init=False)
    grader_index: reactive[int] = reactive(0, init=False)

    @dataclass
    class Chosen(Message):
        """Enter on a row: show `rows[index]` (the rows as listed, to move through them)."""

        rows: list[ExampleRow]
        index: int
        grader: GraderSpec

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.results: tuple[ExampleResult, ...] = ()
        self.models: tuple[str, ...] = ()
        self.graders: tuple[GraderSpec, ...] = ()
        self.examples: Mapping[str, EvalExample] = {}
        self.rows: list[ExampleRow] = []  # as listed now

    def compose(self) -> ComposeResult:
        yield Static("", id="examples-line", markup=False)
        yield DataTable(id="examples-table", cursor_type="row", zebra_stripes=True)

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#examples-table", DataTable)

    @property
    def grader(self) -> GraderSpec | None:
        if not self.graders:
            return None
        return self.graders[self.grader_index % len(self.graders)]

    def load(
        self,
        results: Sequence[ExampleResult],
        models: Sequence[str],
        graders: Sequence[GraderSpec],
        examples: Mapping[str, EvalExample],
    ) -> None:
        """Show a run: its records, models (the baseline first), graders and examples."""
        self.results, self.models, self.graders = tuple(results), tuple(models), tuple(graders)
        self.examples = examples
        self.set_reactive(EvalExamples.grader_index, 0)
        self.fill()

    def clear(self, note: str) -> None:
        self.results, self.models, self.graders, self.examples = (), (), (), {}
        self.rows = []
        self.table.clear(columns=True)
        self.query_one("#examples-line", Static).update(note)

    def watch_order(self) -> None:
        self.fill()

    def watch_flips_only(self) -> None:
        self.fill()

    def watch_grader_index(self) -> None:
        self.fill()

    def on_resize(self) -> None:
        if self.results:
            self.fill()

    def action_next_grader(self) -> None:
        if self.graders:
            self.grader_index = (self.grader_index + 1) % len(self.graders)

    def action_toggle_order(self) -> None:
        self.order = RowOrder.LINE if self.order is RowOrder.DISAGREEMENT else RowOrder.DISAGREEMENT

    def action_toggle_flips(self) -> None:
        self.flips_only = not self.flips_only

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("next_grader", "toggle_order", "toggle_flips"):
            return bool(self.results)
        return True

    def fill(self) -> None:
        """Draw the rows for the grader, order and filter chosen, keeping the cursor's example."""
        grader = self.grader
        if grader is None or not self.is_mounted:
            return
        table = self.table
        selected = self.rows[table.cursor_row].example if self._cursor_valid() else None
        every = example_rows(self.results, self.models, grader)
        self.rows = arrange_rows(every, self.order, flips_only=self.flips_only)
        table.clear(columns=True)
        table.add_column("Line", key="line", width=_LINE_WIDTH)
        for index, _ in enumerate(self.models):
            table.add_column(model_letter(index), key=f"m{index}", width=_SCORE_WIDTH)
        table.add_column("Spread", key="spread", width=_SPREAD_WIDTH)
        table.add_column("Flip", key="flip", width=_FLIP_WIDTH)
        prompt_width = self._prompt_width()
        table.add_column("Prompt", key="prompt", width=prompt_width)
        for row in self.rows:
            example = self.examples.get(row.example)
            preview = prompt_preview(example) if example is not None else ""
            spread = "–" if row.spread is None else f"{row.spread:.2f}"
            table.add_row(
                str(row.line),
                *(score_cell(row, index) for index in range(len(self.models))),
                spread,
                Text("flip", style="bold yellow") if row.flipped else "",
                outside_line(shortened(preview, prompt_width)),
                key=row.example,
            )
        if selected is not None and any(row.example == selected for row in self.rows):
            table.move_cursor(row=table.get_row_index(selected), animate=False)
        self._line(len(every))

    def _prompt_width(self) -> int:
        padding = 2 * (4 + len(self.models))  # each column's cell padding
        fixed = _LINE_WIDTH + _SCORE_WIDTH * len(self.models) + _SPREAD_WIDTH + _FLIP_WIDTH
        room = (self.size.width or 80) - fixed - padding - 2  # the scroll bar
        return max(room, _MIN_PROMPT)

    def _cursor_valid(self) -> bool:
        table = self.table
        return bool(self.rows) and 0 <= table.cursor_row < len(self.rows)

    def _line(self, total: int) -> None:
        grader = self.grader
        assert grader is not None
        order = "most disputed first" if self.order is RowOrder.DISAGREEMENT else "file order"
        shown = f"{len(self.rows)} of {total} flipped" if self.flips_only else f"{total} examples"
        line = outside_line(grader.name)
        line.append(f" ≥{grader.threshold:g} (g)  ·  {order} (o)  ·  {shown} (F)")
        self.query_one("#examples-line", Static).update(line)

    @on(DataTable.RowSelected, "#examples-table")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        grader = self.grader
        if grader is not None and 0 <= event.cursor_row < len(self.rows):
            self.post_message(self.Chosen(list(self.rows), event.cursor_row, grader))
