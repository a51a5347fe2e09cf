"""`report.md`: a run as a page that renders on a code host (GitHub, GitLab): the scores table
with intervals, the comparison with the first model, and the worst examples side by side.

Every text from outside (model labels, prompts, references, replies, grader patterns) goes
through `md_cell`, which makes it inert in a Markdown table: `|` cannot end a cell, a newline
cannot end a row (it becomes `<br>`), backticks, `*`, `_`, `~`, `[`, `<` and `&` are escaped
so a reply cannot open code, emphasis, a link, an HTML tag or an entity, and
control characters are shown as visible stand-ins. Long texts are cut, with an ellipsis.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from tuner.data.eval.examples import EvalExample, content_text
from tuner.data.eval.graders import GraderKind
from tuner.data.eval.results import ExampleResult, by_model
from tuner.data.eval.statistics import Flip, PairedDifference
from tuner.data.eval.summary import EvalSummary, GraderSummary, ModelSummary
from tuner.data.visible_text import visible

REPORT_NAME = "report.md"
WORST_EXAMPLES = 5
CELL_CHARS = 300

# The characters that start inline markup in a table cell (code, emphasis, links and images,
# HTML, strikethrough), the cell separator, and the escape itself. Block markup (#, -, 1.)
# does not apply inside a cell.
_MARKDOWN = re.compile(r"([\\`*_\[\]<>|~])")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def md_cell(text: str, limit: int = CELL_CHARS) -> str:
    """`text` as the inert content of one Markdown table cell, cut to `limit` characters."""
    if len(text) > limit:
        text = text[:limit].rstrip() + "…"
    text = visible(text).replace("\t", " ")
    text = text.replace("&", "&amp;")
    text = _MARKDOWN.sub(r"\\\1", text)
    return _LINE_BREAK.sub("<br>", text)


def render_report(
    summary: EvalSummary,
    results: Iterable[ExampleResult],
    examples: Mapping[str, EvalExample] | None = None,
    *,
    title: str = "Evaluation",
    worst: int = WORST_EXAMPLES,
) -> str:
    """The whole report.md. `examples` (by `EvalExample.ident`) gives the prompts and
    references of the worst examples; without it those columns are left out."""
    lines = [f"# {md_cell(title, 200)}", ""]
    lines += _scores_table(summary)
    if summary.comparisons:
        lines += _comparison_table(summary)
    lines += _worst_examples(summary, list(results), examples, worst)
    return "\n".join(lines).rstrip() + "\n"


def _scores_table(summary: EvalSummary) -> list[str]:
    graders = [spec.name for spec in summary.graders]
    head = ["model", "n", "failed", *graders, "tokens in / out", "cost", "latency p50 / p95"]
    rows = [table_row(head), table_row(["---"] * len(head))]
    for model in summary.models:
        cells = [md_cell(model.model), str(model.n), str(model.failures)]
        cells += [_grader_cell(model.grader(name)) for name in graders]
        cells += [f"{model.tokens_in:,} / {model.tokens_out:,}", _cost(model), _latency(model)]
        rows.append(table_row(cells))
    note = (
        f"Means with 95% bootstrap intervals ({summary.resamples:,} resamples, seed "
        f"{summary.seed}); pass rates with Wilson intervals. {summary.examples:,} examples."
    )
    return ["## Scores", "", *rows, "", note, ""]


def _grader_cell(grader: GraderSummary | None) -> str:
    if grader is None or grader.mean is None:
        return "–"
    mean = grader.mean
    cell = f"{mean.mean:.3f} [{mean.low:.3f}, {mean.high:.3f}]"
    if grader.passing is not None:
        passing = grader.passing
        cell += (
            f"<br>pass {passing.rate:.0%} [{passing.low:.0%}, {passing.high:.0%}]"
            f" at ≥ {grader.threshold:g}"
        )
    if grader.outcomes is not None:
        wins, ties, losses = grader.outcomes
        cell += f"<br>{wins} won, {ties} tied, {losses} lost"
    if grader.not_graded:
        cell += f"<br>{grader.not_graded} not graded"
    return cell


def _cost(model: ModelSummary) -> str:
    return "–" if model.cost is None else f"${model.cost:,.4f}"


def _latency(model: ModelSummary) -> str:
    if model.latency is None:
        return "–"
    return f"{model.latency.p50:.2f} s / {model.latency.p95:.2f} s"


def _comparison_table(summary: EvalSummary) -> list[str]:
    baseline = summary.models[0].model if summary.models else ""
    head = ["model", "grader", "difference", "95% interval", "significant", "flips"]
    rows = [table_row(head), table_row(["---"] * len(head))]
    for c in summary.comparisons:
        rows.append(
            table_row(
                [
                    md_cell(c.model),
                    md_cell(c.grader),
                    *_difference_cells(c.difference),
                    _flips_cell(c.flips),
                ]
            )
        )
    lead = (
        f"Paired differences against {md_cell(baseline)} (model minus baseline, on the examples "
        "both were graded on); a flip passes for one and fails for the other."
    )
    return [f"## Compared with {md_cell(baseline)}", "", lead, "", *rows, ""]


def _difference_cells(d: PairedDifference | None) -> list[str]:
    if d is None:
        return ["–", "–", "–"]
    return [f"{d.mean:+.3f}", f"[{d.low:+.3f}, {d.high:+.3f}]", "yes" if d.significant else "no"]


def _flips_cell(flips: Sequence[Flip]) -> str:
    if not flips:
        return "none"
    worse = sum(1 for f in flips if f.first_passed)
    better = len(flips) - worse
    shown = ", ".join(str(f.line) for f in flips[:10]) + (" …" if len(flips) > 10 else "")
    return f"{worse} now fail, {better} now pass (lines {shown})"


def _worst_examples(
    summary: EvalSummary,
    results: list[ExampleResult],
    examples: Mapping[str, EvalExample] | None,
    count: int,
) -> list[str]:
    """The examples with the lowest score any model got on the first grader (failures first),
    each model's reply side by side."""
    grader = next((s.name for s in summary.graders if s.kind is not GraderKind.PAIRWISE), None)
    models = [m.model for m in summary.models]
    groups = by_model(results, models)
    rows_by_example: dict[str, dict[str, ExampleResult]] = {}
    for model, group in groups.items():
        for result in group:
            rows_by_example.setdefault(result.example, {})[model] = result
    if not rows_by_example or count <= 0:
        return []

    def badness(item: tuple[str, dict[str, ExampleResult]]) -> tuple[float, int]:
        per_model = item[1]
        lowest = 2.0
        for result in per_model.values():
            if result.failed:
                lowest = -1.0
                break
            score = result.scores.get(grader) if grader else None
            if score is not None and score.value is not None:
                lowest = min(lowest, score.value)
        line = next(iter(per_model.values())).line
        return lowest, line

    chosen = sorted(rows_by_example.items(), key=badness)[:count]
    head = ["line"]
    if examples is not None:
        head += ["prompt", "reference"]
    head += [md_cell(model) for model in models]
    rows = [table_row(head), table_row(["---"] * len(head))]
    for ident, per_model in chosen:
        line = next(iter(per_model.values())).line
        cells = [str(line)]
        if examples is not None:
            example = examples.get(ident)
            cells += [_prompt_cell(example), _reference_cell(example)]
        cells += [_reply_cell(per_model.get(model), grader) for model in models]
        rows.append(table_row(cells))
    by = f" by {md_cell(grader)}" if grader else ""
    return [f"## Worst examples{by}", "", *rows, ""]


def _prompt_cell(example: EvalExample | None) -> str:
    if example is None:
        return "–"
    for message in reversed(example.prompt):
        if message.get("role") == "user":
            return md_cell(content_text(message.get("content")) or "")
    return "–"


def _reference_cell(example: EvalExample | None) -> str:
    if example is None or example.reference is None:
        return "–"
    return md_cell(example.reference)


def _reply_cell(result: ExampleResult | None, grader: str | None) -> str:
    if result is None:
        return "–"
    if result.failed:
        return f"**failed**: {md_cell(result.error or '')}"
    text = md_cell(result.reply or "")
    score = result.scores.get(grader) if grader else None
    if score is None:
        return text
    if score.value is None:
        return f"{text}<br>*{md_cell(score.why or 'not graded')}*"
    return f"{text}<br>**{score.value:.2f}**"


def table_row(cells: Sequence[str]) -> str:
    """One Markdown table row of cells already made inert (`md_cell`) or tuner's own text."""
    return "| " + " | ".join(cells) + " |"
