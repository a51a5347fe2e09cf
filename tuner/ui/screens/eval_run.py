"""One evaluation run as the Eval screen drives it: the steps its worker goes through and the
typed messages that report each one.

`run_evaluation` is the headless flow (`tuner.api.eval.session`) with the user in it: prepare
(read the file or fetch the job's, open each profile's service), price (`estimate_eval`
against the reply cache), ask before anything costs money (a `ConfirmModal` showing
`confirmation`), then run, reporting progress after each example. The screen runs it in a worker
it owns and handles `Estimated`, `NotRun`, `RunStarted`, `RunProgress` and `RunFinished`; the
worker's end comes last, as one message: `RunEnded`, `RunStopped` (cancelled) or `EvalFailed`.
Kept apart from the screen so the screen reads as what it shows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import App
from textual.message import Message

from tuner.data.wording import plural
from tuner.ui.failures import WorkFailed
from tuner.ui.modals import ConfirmModal
from tuner.ui.outside import outside, outside_line
from tuner.ui.widgets.eval_results import model_letter, shown_folder

if TYPE_CHECKING:
    from tuner.api.eval.plan import EvalEstimate
    from tuner.api.eval.run import ModelProgress, RunTotals
    from tuner.api.eval.session import EvalChoices, EvalOutcome, PreparedEval
    from tuner.api.eval.targets import EvalServices


@dataclass
class Estimated(Message):
    """The run is planned and priced; nothing has been asked yet."""

    prepared: PreparedEval
    estimate: EvalEstimate


@dataclass
class NotRun(Message):
    """The user said no to the estimate: nothing was asked."""


@dataclass
class RunStarted(Message):
    prepared: PreparedEval


@dataclass
class RunProgress(Message):
    """How far each model is (a copy: the run's own counts go on changing)."""

    models: tuple[ModelProgress, ...]
    judge: str

    @classmethod
    def of(cls, totals: RunTotals) -> RunProgress:
        models = tuple(replace(progress) for progress in totals.models.values())
        return cls(models, judge_spend(totals))

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RunProgress)  # only the newest counts matter


@dataclass
class RunFinished(Message):
    prepared: PreparedEval
    outcome: EvalOutcome


class RunEnded(Message):
    """The worker is done (finished, or not run), its services closed: the setup is free."""


class RunStopped(Message):
    """The worker was cancelled (esc), its services closed; what was answered is kept."""


class EvalFailed(WorkFailed):
    """The run could not go on (a model that cannot be asked, an unreadable file); its
    services are closed."""

    DOING = "evaluate"


def judge_spend(totals: RunTotals) -> str:
    """What the judge model has cost so far, in one line ("" when no judge was asked)."""
    spend = totals.judge
    if not spend.requests:
        return ""
    if spend.unpriced and not spend.dollars:
        money = "price unknown"
    else:
        money = f"${spend.dollars:,.4f}" + (" + unpriced" if spend.unpriced else "")
    return f"judge: {spend.requests:,} requests ({spend.cached:,} cached), {money}"


def finished_heading(prepared: PreparedEval, outcome: EvalOutcome) -> Text:
    """What the Results tab says above a finished run's figures: its file, how many examples,
    where its files are, and what the judge spent."""
    heading = outside_line(prepared.file.name, style="bold")
    heading.append(f" · {outcome.summary.examples:,} examples\n")
    heading.append_text(outside_line(shown_folder(outcome.folder.path), style="dim"))
    spend = judge_spend(outcome.totals)
    if spend:
        heading.append("\n" + spend, style="dim")
    return heading


def estimate_text(prepared: PreparedEval, estimate: EvalEstimate) -> Text:
    """The estimate per model (by letter, as on the Setup tab), then any warning."""
    from tuner.api.eval.plan import estimate_lines

    targets = prepared.plan.targets
    letters = {target.label: model_letter(index) for index, target in enumerate(targets)}
    text = outside("\n".join(estimate_lines(estimate, letters)))
    for warning in prepared.warnings:
        text.append("\n")
        text.append_text(outside_line(f"⚠ {warning}", style="yellow"))
    return text


def confirmation(prepared: PreparedEval, estimate: EvalEstimate) -> Text:
    """What the user reads before saying yes: what will be asked and what it costs."""
    plan = prepared.plan
    models = len(plan.targets)
    text = Text(f"{plural(len(plan.examples), 'example')} of ")
    text.append_text(outside_line(prepared.file.name))
    text.append(
        f" to {plural(models, 'model')} (A, B, … as on the Setup tab). "
        "Nothing has been asked yet.\n\n"
    )
    text.append_text(estimate_text(prepared, estimate))
    text.append("\n\nRun it?")
    return text


async def run_evaluation(
    choices: EvalChoices,
    services: EvalServices,
    app: App[object],
    post: Callable[[Message], object],
) -> None:
    """Prepare, price, ask (unless the reply cache answers it whole), run: each step `post`ed.
    The services and the cache are closed however it ends."""
    from tuner.api.eval.plan import estimate_eval
    from tuner.api.eval.reply_cache import ReplyCache
    from tuner.api.eval.session import prepare_eval, run_eval

    def progressed(totals: RunTotals) -> None:
        """Called by the run on this event loop after each example."""
        post(RunProgress.of(totals))

    cache = ReplyCache()
    try:
        prepared = await prepare_eval(choices, services)
        estimate = await asyncio.to_thread(estimate_eval, prepared.plan, cache)
        post(Estimated(prepared, estimate))
        if estimate.to_pay:
            question = confirmation(prepared, estimate)
            modal = ConfirmModal(question, title="Run the evaluation", yes="Run", wide=True)
            if not await app.push_screen_wait(modal):
                post(NotRun())
                return
        post(RunStarted(prepared))
        outcome = await run_eval(prepared, cache=cache, on_progress=progressed)
        post(RunFinished(prepared, outcome))
    finally:
        cache.close()
        await services.close()
