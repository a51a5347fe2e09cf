"""One example of an eval run, read whole: the prompt, the reference, and each model's reply with
its scores, side by side on a wide terminal and one under the other at 80 columns.

Opened from the Eval screen's Examples tab on the rows as they were listed (sorted, filtered),
so n and p walk through the same list: the most disputed examples one after another. Every
prompt, reference, reply and model name comes from outside and is drawn as `Text` only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from tuner.data.eval.example_rows import ExampleRow, prompt_turns
from tuner.data.eval.examples import EvalExample
from tuner.data.eval.graders import GraderSpec
from tuner.data.eval.results import ExampleResult
from tuner.ui.outside import outside, outside_line
from tuner.ui.widgets.eval_results import model_letter

# From this width the replies stand side by side (the chat's compare uses the same).
SIDE_BY_SIDE_MIN_WIDTH = 110


def scores_text(record: ExampleResult, graders: Sequence[GraderSpec], shown: GraderSpec) -> Text:
    """`chrf 0.91 pass · fuzzy 0.62 fail · judge – (judge failed)`, the grader listed bold."""
    text = Text()
    if record.failed:
        text.append("failed: ", style="bold red")
        text.append_text(outside_line(record.error or ""))
        return text
    for index, spec in enumerate(graders):
        if index:
            text.append(" · ", style="dim")
        score = record.scores.get(spec.name)
        name = outside_line(spec.name, style="bold" if spec.name == shown.name else "")
        text.append_text(name)
        if score is None or score.value is None:
            why = score.why if score is not None else "not graded"
            text.append(" – ", style="dim")
            text.append_text(outside_line(f"({why})", style="dim"))
            continue
        passed = spec.passed(score.value)
        text.append(f" {score.value:.2f} ")
        text.append("pass" if passed else "fail", style="green" if passed else "red")
    return text


class ExampleModal(ModalScreen[None]):
    """Shows `rows[index]`; n and p move to the next and previous row."""

    CSS_PATH = "modals.tcss"
    CSS = """
    ExampleModal { align: center middle; }
    ExampleModal #example { width: 100%; height: 100%; background: $surface; }
    ExampleModal #example-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    ExampleModal #example-body { height: 1fr; padding: 0 1; }
    ExampleModal .section { margin-top: 1; }
    ExampleModal #example-replies { height: auto; layout: vertical; }
    ExampleModal #example-replies.-side { layout: horizontal; }
    ExampleModal .reply { height: auto; width: 1fr; margin-top: 1; }
    ExampleModal #example-replies.-side .reply { padding-right: 2; }
    ExampleModal .reply-title { background: $panel; text-style: bold; }
    ExampleModal .reply-scores { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="eval_example.close"),
        Binding("n", "move(1)", "Next", id="eval_example.next"),
        Binding("p", "move(-1)", "Previous", id="eval_example.previous"),
    ]

    def __init__(
        self,
        rows: Sequence[ExampleRow],
        index: int,
        *,
        models: Sequence[str],
        graders: Sequence[GraderSpec],
        grader: GraderSpec,
        examples: Mapping[str, EvalExample],
        missing: str | None = None,
    ) -> None:
        """`missing` says why prompts and references are not known (the file is gone)."""
        super().__init__()
        self.rows = list(rows)
        self.index = index
        self.models = tuple(models)
        self.graders = tuple(graders)
        self.grader = grader
        self.examples = examples
        self.missing = missing

    @property
    def row(self) -> ExampleRow:
        return self.rows[self.index]

    def compose(self) -> ComposeResult:
        with Vertical(id="example"):
            yield Static("", id="example-title", markup=False)
            with VerticalScroll(id="example-body"):
                yield Static("", id="example-prompt", markup=False)
                yield Static("", id="example-reference", markup=False, classes="section")
                yield Container(id="example-replies")
            yield Footer(compact=True, show_command_palette=False)

    async def on_mount(self) -> None:
        await self.show_row()
        self.query_one("#example-body").focus()

    def on_resize(self) -> None:
        self._arrange()

    def _arrange(self) -> None:
        wide = self.size.width >= SIDE_BY_SIDE_MIN_WIDTH
        self.query_one("#example-replies").set_class(wide, "-side")

    async def show_row(self) -> None:
        row = self.row
        title = Text(f"Line {row.line} · ")
        title.append_text(outside_line(self.grader.name))
        if row.spread is not None:
            title.append(f" · spread {row.spread:.2f}")
        if row.flipped:
            title.append(" · flipped", style="bold yellow")
        title.append(f" · {self.index + 1} of {len(self.rows)}", style="dim")
        self.query_one("#example-title", Static).update(title)
        example = self.examples.get(row.example)
        self.query_one("#example-prompt", Static).update(self._prompt(example))
        self.query_one("#example-reference", Static).update(self._reference(example))
        replies = self.query_one("#example-replies", Container)
        await replies.remove_children()
        await replies.mount_all(self._reply(index) for index in range(len(self.models)))
        self._arrange()
        self.query_one("#example-body", VerticalScroll).scroll_home(animate=False)

    def _prompt(self, example: EvalExample | None) -> Text | Group:
        if example is None:
            return Text(f"Prompt not known: {self.missing or 'not in the file'}", style="dim")
        parts = [Text("Prompt", style="bold underline")]
        for role, text in prompt_turns(example):
            line = outside_line(role, style="bold")
            line.append(": ")
            line.append_text(outside(text))
            parts.append(line)
        return Group(*parts)

    def _reference(self, example: EvalExample | None) -> Group:
        reference = example.reference if example is not None else None
        body = outside(reference) if reference is not None else Text("(none)", style="dim")
        return Group(Text("Reference", style="bold underline"), body)

    def _reply(self, index: int) -> Vertical:
        record = self.row.results[index]
        title = Text(f"{model_letter(index)} ")
        title.append_text(outside_line(self.models[index]))
        if record is None:
            scores, body = Text("no record for this example", style="dim"), Text("")
        else:
            scores = scores_text(record, self.graders, self.grader)
            body = outside(record.reply) if record.reply is not None else Text("")
        return Vertical(
            Static(title, classes="reply-title", markup=False),
            Static(scores, classes="reply-scores", markup=False),
            Static(body, classes="reply-text", markup=False),
            classes="reply",
        )

    async def action_move(self, step: int) -> None:
        target = self.index + step
        if 0 <= target < len(self.rows):
            self.index = target
            await self.show_row()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "move" and parameters:
            target = self.index + int(str(parameters[0]))
            return 0 <= target < len(self.rows)
        return True

    def action_close(self) -> None:
        self.dismiss(None)
