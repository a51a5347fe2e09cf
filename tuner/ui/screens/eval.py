"""The Eval screen: is the new model as good as the old one? A held-out file through several
models, graded, with the scores' intervals, the examples behind them, and earlier runs.

A face on the headless evaluation (`tuner.api.eval.session`), the same flow `tuner eval` runs:
the choices (the Setup tab, `EvalSetup`) become `EvalChoices`; `prepare_eval` reads the file (or
fetches a job's validation file) and opens each profile's service; `estimate_eval` prices it;
nothing is asked of any model before the user has read the estimate and said yes (a
`ConfirmModal`; a run the reply cache answers whole costs nothing and is not asked about).
`run_eval` then asks and grades, writing the run folder as it goes; progress per model shows in
the Results tab, then the figures (`EvalResults`), and the Examples tab lists every example
(`EvalExamples`: sortable by disagreement, filterable to flips; enter shows the replies side by
side). History (`EvalHistory`) reopens earlier runs read-only.

The whole flow runs in one exclusive async worker owned by this screen, so it ends with the
screen. Switching to another screen leaves a run going (as a chat replay does); esc stops it
after asking, and quitting while it runs asks first (`work_in_flight`). Every reply is kept in
the reply cache, so a run stopped here continues at no cost when run again. Results come back
as typed messages; the run's end when it did not finish (stopped, failed) is handled once, in
`on_worker_state_changed`.

Opened by `e` anywhere (`app.open_eval` with a file, models or a job to start from: `e` on a
JSONL in the browser, `E` on a job, the new job of a move once it has trained).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Footer, Header, Input, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from tuner.data.visible_text import visible_line
from tuner.data.wording import plural
from tuner.ui.failures import describe_error
from tuner.ui.modals import ConfirmModal
from tuner.ui.outside import outside, outside_line
from tuner.ui.tuner_screen import TunerScreen
from tuner.ui.widgets.eval_examples import EvalExamples
from tuner.ui.widgets.eval_history import EvalHistory, when
from tuner.ui.widgets.eval_results import EvalProgress, EvalResults, model_letter
from tuner.ui.widgets.eval_setup import EvalSetup

if TYPE_CHECKING:
    from tuner.api.eval.plan import EvalEstimate
    from tuner.api.eval.run import ModelProgress, RunTotals
    from tuner.api.eval.session import EvalChoices, EvalOutcome, PreparedEval


class Phase(StrEnum):
    IDLE = "idle"
    PREPARING = "preparing"  # reading the file, pricing, waiting for the yes
    RUNNING = "running"


# -- messages from the worker ----------------------------------------------------------------


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

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RunProgress)  # only the newest counts matter


@dataclass
class RunFinished(Message):
    prepared: PreparedEval
    outcome: EvalOutcome


def _judge_spend(totals: RunTotals) -> str:
    spend = totals.judge
    if not spend.requests:
        return ""
    if spend.unpriced and not spend.dollars:
        money = "price unknown"
    else:
        money = f"${spend.dollars:,.4f}" + (" + unpriced" if spend.unpriced else "")
    return f"judge: {spend.requests:,} requests ({spend.cached:,} cached), {money}"


def confirmation(prepared: PreparedEval, estimate: EvalEstimate) -> Text:
    """What the user reads before saying yes: what will be asked and what it costs."""
    from tuner.api.eval.plan import estimate_lines

    plan = prepared.plan
    models = len(plan.targets)
    text = Text(f"{plural(len(plan.examples), 'example')} of ")
    text.append_text(outside_line(prepared.file.name))
    text.append(
        f" to {plural(models, 'model')} (A, B, … as on the Setup tab). "
        "Nothing has been asked yet.\n\n"
    )
    letters = {target.label: model_letter(index) for index, target in enumerate(plan.targets)}
    text.append_text(outside("\n".join(estimate_lines(estimate, letters))))
    for warning in prepared.warnings:
        text.append("\n")
        text.append_text(outside_line(f"⚠ {warning}", style="yellow"))
    text.append("\n\nRun it?")
    return text


class EvalScreen(TunerScreen[None]):
    """Set up, run and read evaluations; earlier runs from history."""

    CSS_PATH = "eval.tcss"
    TITLE = "Eval"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "stop", "Stop", id="eval.stop"),
        Binding("escape", "back", "Back", id="eval.back", show=False),
        Binding("1", "tab('setup')", "Setup", id="eval.tab_setup", show=False),
        Binding("2", "tab('results')", "Results", id="eval.tab_results", show=False),
        Binding("3", "tab('examples')", "Examples", id="eval.tab_examples", show=False),
        Binding("4", "tab('history')", "History", id="eval.tab_history", show=False),
    ]

    phase: reactive[Phase] = reactive(Phase.IDLE, bindings=True)

    def __init__(self) -> None:
        super().__init__()
        self.progress: tuple[ModelProgress, ...] = ()
        self.finished_runs = 0  # runs finished here (tests wait for the count)
        self.missing: str | None = None  # why the shown run's prompts are not known
        self._worker: Worker[None] | None = None
        self._pending: dict[str, Any] | None = None  # a preset that came before the mount
        self._ready = False

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        with TabbedContent(id="eval-tabs", initial="setup"):
            with TabPane("Setup", id="setup"):
                yield EvalSetup(self.tuner.start_path, id="eval-setup")
            with TabPane("Results", id="results"):
                yield EvalProgress(id="eval-progress")
                yield EvalResults(id="eval-results")
            with TabPane("Examples", id="examples"):
                yield EvalExamples(id="eval-examples")
            with TabPane("History", id="history"):
                yield EvalHistory(id="eval-history")
        yield Static("", id="eval-line", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    @property
    def setup(self) -> EvalSetup:
        return self.query_one("#eval-setup", EvalSetup)

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one("#eval-tabs", TabbedContent)

    @property
    def examples_view(self) -> EvalExamples:
        return self.query_one("#eval-examples", EvalExamples)

    @property
    def results_view(self) -> EvalResults:
        return self.query_one("#eval-results", EvalResults)

    @property
    def history(self) -> EvalHistory:
        return self.query_one("#eval-history", EvalHistory)

    def on_mount(self) -> None:
        self.query_one("#eval-progress").display = False
        self.results_view.note(
            Text(
                "No run yet: set one up in the Setup tab (1), or open an "
                "earlier one from History (4).",
                style="dim",
            )
        )
        self.examples_view.clear("No run yet.")
        self._line()
        self._ready = True
        # The focus starts on the models, where the setup's keys work (p picks the file; tab
        # reaches the field to type a path), and 1-4 switch tabs.
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._apply_preset(**pending)
        else:
            self.setup.model_list.focus()
        self.history.reload()

    def on_screen_resume(self) -> None:
        self.history.reload()

    # -- starting points -----------------------------------------------------------------------

    def preset(
        self,
        *,
        file: Path | None = None,
        models: Sequence[str] = (),
        job: str | None = None,
        profile: str | None = None,
        note: str | None = None,
    ) -> None:
        """Start the setup from a file, models or a job (`app.open_eval`). A run in progress is
        left alone."""
        chosen = {"file": file, "models": models, "job": job, "profile": profile, "note": note}
        if not self._ready:  # shown for the first time: set up once mounted
            self._pending = chosen
            return
        self._apply_preset(**chosen)

    def _apply_preset(self, **chosen: Any) -> None:
        if self.phase is not Phase.IDLE:
            self.notify("An evaluation is running: esc stops it first", severity="warning")
            return
        self.setup.preset(**chosen)
        self.show_tab("setup")

    @on(EvalHistory.SetUpAgain)
    def _set_up_again(self, message: EvalHistory.SetUpAgain) -> None:
        if self.phase is not Phase.IDLE:
            self.notify("An evaluation is running: esc stops it first", severity="warning")
            return
        self.setup.set_up_again(message.info)
        self.show_tab("setup")

    # -- running -------------------------------------------------------------------------------

    def action_run(self) -> None:
        choices = self.setup.choices()
        if isinstance(choices, str):
            self.setup.hint(Text(choices, style="bold yellow"))
            self.notify(choices, severity="warning", markup=False)
            return
        self.setup.hint(Text("Preparing: reading the file and pricing the run…", style="dim"))
        self.phase = Phase.PREPARING
        self._worker = self._evaluate(choices)

    @work(exclusive=True, group="eval", exit_on_error=False)
    async def _evaluate(self, choices: EvalChoices) -> None:
        from tuner.api.eval.plan import estimate_eval
        from tuner.api.eval.reply_cache import ReplyCache
        from tuner.api.eval.session import prepare_eval, run_eval

        services = self.tuner.eval_services()
        cache = ReplyCache()
        try:
            prepared = await prepare_eval(choices, services)
            estimate = await asyncio.to_thread(estimate_eval, prepared.plan, cache)
            self.post_message(Estimated(prepared, estimate))
            if estimate.to_pay:
                question = confirmation(prepared, estimate)
                modal = ConfirmModal(question, title="Run the evaluation", yes="Run", wide=True)
                if not await self.app.push_screen_wait(modal):
                    self.post_message(NotRun())
                    return
            self.post_message(RunStarted(prepared))
            outcome = await run_eval(prepared, cache=cache, on_progress=self._progressed)
            self.post_message(RunFinished(prepared, outcome))
        finally:
            cache.close()
            await services.close()

    def _progressed(self, totals: RunTotals) -> None:
        """Called by the run on this event loop after each example."""
        models = tuple(replace(progress) for progress in totals.models.values())
        self.post_message(RunProgress(models, _judge_spend(totals)))

    @on(Estimated)
    def _estimated(self, message: Estimated) -> None:
        from tuner.api.eval.plan import estimate_lines

        targets = message.prepared.plan.targets
        letters = {target.label: model_letter(index) for index, target in enumerate(targets)}
        text = outside("\n".join(estimate_lines(message.estimate, letters)))
        for warning in message.prepared.warnings:
            text.append("\n")
            text.append_text(outside_line(f"⚠ {warning}", style="yellow"))
        self.setup.hint(text)

    @on(NotRun)
    def _not_run(self) -> None:
        self.notify("Not run: nothing was asked")

    @on(RunStarted)
    async def _started(self, message: RunStarted) -> None:
        self.phase = Phase.RUNNING
        self.history.running = message.prepared.folder
        self.history.reload()
        plan = message.prepared.plan
        labels = [target.label for target in plan.targets]
        progress = self.query_one("#eval-progress", EvalProgress)
        progress.display = True
        self.results_view.display = False
        await progress.start(labels, len(plan.examples))
        self.progress = ()
        self.show_tab("results")
        self._line()

    @on(RunProgress)
    def _run_progress(self, message: RunProgress) -> None:
        self.progress = message.models
        self.query_one("#eval-progress", EvalProgress).update_counts(message.models, message.judge)
        self._line()

    @on(RunFinished)
    def _finished(self, message: RunFinished) -> None:
        prepared, outcome = message.prepared, message.outcome
        self.finished_runs += 1
        self.query_one("#eval-progress").display = False
        self.results_view.display = True
        heading = outside_line(prepared.file.name, style="bold")
        heading.append(f" · {outcome.summary.examples:,} examples\n")
        heading.append_text(outside_line(shown_folder(outcome.folder.path), style="dim"))
        spend = _judge_spend(outcome.totals)
        if spend:
            heading.append("\n" + spend, style="dim")
        self.results_view.show(outcome.summary, heading)
        examples = {example.ident: example for example in prepared.plan.examples}
        self.missing = None
        self.examples_view.load(
            outcome.results,
            [target.label for target in prepared.plan.targets],
            prepared.plan.graders,
            examples,
        )
        self.show_tab("results")
        failed = sum(model.failures for model in outcome.summary.models)
        said = f", {failed} failed" if failed else ""
        self.notify(f"Evaluation finished: {outcome.summary.examples:,} examples{said}")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The run's end when it did not finish (stopped, failed); any other worker's failure."""
        worker = event.worker
        if worker is self._worker:
            if event.state is WorkerState.ERROR:
                self._failed(worker.error)
            elif event.state is WorkerState.CANCELLED:
                self._stopped()
            if worker.is_finished:
                self._worker = None
                self.phase = Phase.IDLE
                self.history.running = None
                self.history.reload()
                self.query_one("#eval-progress").display = False
                self.results_view.display = True
                self._line()
            return
        if event.state is WorkerState.ERROR:
            self.notify(describe_error(worker.error), severity="error", markup=False)

    def _failed(self, error: BaseException | None) -> None:
        from tuner.api.eval.run import EvalAborted

        if isinstance(error, EvalAborted):
            said = f"{error.label} cannot be asked: {error.error.message}"
        else:
            said = describe_error(error)
        if self.phase is Phase.RUNNING:
            said += " · every reply so far is kept: r continues where it stopped"
        self.setup.hint(outside_line(said, style="bold red"))
        if self.phase is Phase.RUNNING:
            self.results_view.note(outside_line(said, style="bold red"))
        self.notify(visible_line(said), severity="error", timeout=10, markup=False)

    def _stopped(self) -> None:
        said = (
            "Stopped. Every reply so far is kept: r runs it again and continues where it "
            "stopped, asking nothing twice."
        )
        if self.phase is Phase.RUNNING:
            self.results_view.note(Text(said, style="yellow"))
        self.setup.hint(Text(said, style="yellow"))

    def action_stop(self) -> None:
        """Esc while a run is going: ask, then stop it (a run still being prepared just stops)."""
        worker = self._worker
        if worker is None:
            return
        if self.phase is not Phase.RUNNING:
            worker.cancel()
            return

        def answered(yes: bool | None) -> None:
            if yes and self._worker is worker:
                worker.cancel()

        self.app.push_screen(
            ConfirmModal(
                "Stop the evaluation? Every reply so far is kept: r runs it again and goes on "
                "where it stopped, asking nothing twice.",
                title="Stop",
                yes="Stop",
            ),
            answered,
        )

    def action_back(self) -> None:
        self.tuner.go_back()

    def work_in_flight(self) -> list[str]:
        """Quitting now would stop the run (its replies are kept in the cache)."""
        if self.phase is Phase.IDLE:
            return []
        done = sum(progress.done for progress in self.progress)
        total = sum(progress.total for progress in self.progress)
        counted = f" ({done:,} of {total:,} replies; those are kept)" if total else ""
        return [f"the evaluation in progress{counted}"]

    # -- history -------------------------------------------------------------------------------

    @on(EvalHistory.Listed)
    def _history_listed(self, message: EvalHistory.Listed) -> None:
        self.tabs.get_tab("history").label = f"History ({len(message.runs)})"

    @on(EvalHistory.Unreadable)
    def _unreadable(self, message: EvalHistory.Unreadable) -> None:
        self.notify(visible_line(message.text), severity="error", timeout=10, markup=False)

    @on(EvalHistory.Opened)
    def _run_opened(self, message: EvalHistory.Opened) -> None:
        run, info = message.run, message.info
        summary = run.summary
        name = Path(info.file).name if info is not None and info.file else "a past run"
        heading = Text("From history (read-only): ", style="bold")
        heading.append_text(outside_line(name))
        if info is not None and info.started:
            heading.append(f" · {when(info.started)}")
        heading.append(f" · {summary.examples:,} examples\n")
        heading.append_text(outside_line(shown_folder(run.folder.path), style="dim"))
        if message.examples.problem:
            heading.append("\n")
            heading.append_text(
                outside_line(f"prompts not shown: {message.examples.problem}", style="yellow")
            )
        if self.phase is not Phase.RUNNING:
            self.results_view.show(summary, heading)
        else:
            self.notify("A run is going: its progress stays on Results", markup=False)
        self.examples_view.load(
            run.results,
            [model.model for model in summary.models],
            summary.graders,
            message.examples.examples,
        )
        self.missing = message.examples.problem
        self.show_tab("results" if self.phase is not Phase.RUNNING else "examples")

    # -- examples ------------------------------------------------------------------------------

    @on(EvalExamples.Chosen)
    def _example_chosen(self, message: EvalExamples.Chosen) -> None:
        from tuner.ui.modals.eval_example import ExampleModal

        view = self.examples_view
        self.app.push_screen(
            ExampleModal(
                message.rows,
                message.index,
                models=view.models,
                graders=view.graders,
                grader=message.grader,
                examples=view.examples,
                missing=self.missing,
            )
        )

    # -- tabs, keys and the status line --------------------------------------------------------

    def action_tab(self, tab: str) -> None:
        self.show_tab(tab)

    def show_tab(self, tab: str) -> None:
        """Show `tab` with the focus on its main widget, where its keys work."""
        self.tabs.active = tab
        focus = {
            "setup": "#eval-models",
            "results": "#eval-results",
            "examples": "#examples-table",
            "history": "#history-table",
        }[tab]
        self.query_one(focus).focus()

    @on(TabbedContent.TabActivated, "#eval-tabs")
    def _tab_changed(self) -> None:
        self.refresh_bindings()
        self._line()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        idle = self.phase is Phase.IDLE
        if action == "stop":
            return not idle
        if action == "back":
            return idle and not isinstance(self.focused, Input)
        if action == "run":  # bound in the setup (r), where the focus is on that tab
            return idle
        return True

    def watch_phase(self) -> None:
        if self.is_mounted:
            self.setup.locked = self.phase is not Phase.IDLE
            self._line()

    def _line(self) -> None:
        if self.phase is Phase.PREPARING:
            text = "Preparing: reading the file and pricing the run · esc stops"
        elif self.phase is Phase.RUNNING:
            done = sum(progress.done for progress in self.progress)
            total = sum(progress.total for progress in self.progress)
            count = f"{done:,}/{total:,} replies · " if total else ""
            text = f"Running: {count}esc stops (replies so far are kept) · 1-4 tabs"
        elif self.tabs.active == "examples":
            text = "enter shows an example's replies side by side · 1-4 tabs"
        elif self.tabs.active == "history":
            text = "enter opens a run read-only · 1-4 tabs"
        elif self.tabs.active == "results":
            text = "3 lists the examples behind these figures · 1-4 tabs"
        else:
            text = "r runs: the cost is shown and asked about first · 1-4 tabs"
        self.query_one("#eval-line", Static).update(text)


def shown_folder(folder: Path) -> str:
    """Where a run's files are, in one short line: relative to tuner's data folder when the
    run is kept there (its full path is in the History tab), else the whole path."""
    from tuner.config import data_dir

    try:
        inside = folder.resolve().relative_to(data_dir().resolve())
    except (ValueError, OSError):
        return f"report.md in {folder}"
    return f"report.md in {inside} (tuner's data folder)"
