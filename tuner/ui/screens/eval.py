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

The whole flow (`eval_run.run_evaluation`) runs in one exclusive async worker owned by this
screen, so it ends with the screen. What the screen shows follows its state: `phase` (idle,
preparing, running) locks the setup and picks the status line and the footer's keys;
`current_run` puts its progress on the Results tab and marks it running in History.

Switching to another screen leaves a run going (as a chat replay does); esc stops it after
asking, and quitting while it runs asks first (`work_in_flight`). Every reply is kept in the
reply cache, so a run stopped here continues at no cost when run again. Results come back as
typed messages, and so does its end, whichever way: `RunEnded`, `RunStopped` or `EvalFailed`.

Opened by `e` anywhere (`app.open_eval` with a file, models or a job to start from: `e` on a
JSONL in the browser, `E` on a job, the new job of a move once it has trained).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.reactive import reactive, var
from textual.widgets import Footer, Header, Input, Static, TabbedContent, TabPane
from textual.worker import Worker

from tuner.data.visible_text import visible_line
from tuner.ui.failures import fails_as
from tuner.ui.modals import ConfirmModal
from tuner.ui.outside import outside_line
from tuner.ui.screens.eval_run import (
    Estimated,
    EvalFailed,
    NotRun,
    RunEnded,
    RunFinished,
    RunProgress,
    RunStarted,
    RunStopped,
    estimate_text,
    finished_heading,
    run_evaluation,
)
from tuner.ui.tuner_screen import TunerScreen
from tuner.ui.widgets.eval_examples import EvalExamples
from tuner.ui.widgets.eval_history import EvalHistory
from tuner.ui.widgets.eval_results import EvalProgress, EvalResults
from tuner.ui.widgets.eval_setup import EvalSetup

if TYPE_CHECKING:
    from tuner.api.eval.run import ModelProgress
    from tuner.api.eval.session import EvalChoices, PreparedEval


class Phase(StrEnum):
    IDLE = "idle"
    PREPARING = "preparing"  # reading the file, pricing, waiting for the yes
    RUNNING = "running"


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

    # Where the screen is: idle, preparing (reading, pricing, asking) or running. It locks the
    # setup and picks the status line and the footer's keys (esc stops or goes back).
    phase: reactive[Phase] = reactive(Phase.IDLE, bindings=True)
    # The run being asked and graded now: while there is one, the Results tab shows its
    # progress instead of figures, and History lists its folder as running.
    current_run: var[PreparedEval | None] = var(None, init=False)
    # How far each model of the current run is: counted in the status line.
    progress: var[tuple[ModelProgress, ...]] = var((), init=False)

    def __init__(self) -> None:
        super().__init__()
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
    def progress_view(self) -> EvalProgress:
        return self.query_one("#eval-progress", EvalProgress)

    @property
    def history(self) -> EvalHistory:
        return self.query_one("#eval-history", EvalHistory)

    def on_mount(self) -> None:
        self.progress_view.display = False
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
    @fails_as(EvalFailed)
    async def _evaluate(self, choices: EvalChoices) -> None:
        """The whole run; its last message, once its services are closed, says how it ended."""
        try:
            await run_evaluation(choices, self.tuner.eval_services(), self.app, self.post_message)
        except asyncio.CancelledError:
            self.post_message(RunStopped())
            raise
        self.post_message(RunEnded())

    @on(Estimated)
    def _estimated(self, message: Estimated) -> None:
        self.setup.hint(estimate_text(message.prepared, message.estimate))

    @on(NotRun)
    def _not_run(self) -> None:
        self.notify("Not run: nothing was asked")

    @on(RunStarted)
    async def _started(self, message: RunStarted) -> None:
        self.progress = ()
        self.phase = Phase.RUNNING
        self.current_run = message.prepared
        plan = message.prepared.plan
        labels = [target.label for target in plan.targets]
        await self.progress_view.start(labels, len(plan.examples))
        self.show_tab("results")

    @on(RunProgress)
    def _run_progress(self, message: RunProgress) -> None:
        self.progress = message.models
        self.progress_view.update_counts(message.models, message.judge)

    @on(RunFinished)
    def _finished(self, message: RunFinished) -> None:
        prepared, outcome = message.prepared, message.outcome
        self.finished_runs += 1
        self.current_run = None
        self.results_view.show(outcome.summary, finished_heading(prepared, outcome))
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

    @on(RunEnded)
    def _ended(self) -> None:
        """The setup is free again (after the failure or the stop is said, if any)."""
        self._worker = None
        self.current_run = None
        self.phase = Phase.IDLE

    @on(EvalFailed)
    def _failed(self, failed: EvalFailed) -> None:
        from tuner.api.eval.run import EvalAborted

        error = failed.error
        if isinstance(error, EvalAborted):
            said = f"{error.label} cannot be asked: {error.error.message}"
        else:
            said = failed.reason
        if self.phase is Phase.RUNNING:
            said += " · every reply so far is kept: r continues where it stopped"
        self.setup.hint(outside_line(said, style="bold red"))
        if self.phase is Phase.RUNNING:
            self.results_view.note(outside_line(said, style="bold red"))
        self.notify(visible_line(said), severity="error", timeout=10, markup=False)
        self._ended()

    @on(RunStopped)
    def _stopped(self) -> None:
        said = (
            "Stopped. Every reply so far is kept: r runs it again and continues where it "
            "stopped, asking nothing twice."
        )
        if self.phase is Phase.RUNNING:
            self.results_view.note(Text(said, style="yellow"))
        self.setup.hint(Text(said, style="yellow"))
        self._ended()

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
        run = message.run
        summary = run.summary
        if self.phase is not Phase.RUNNING:
            self.results_view.show(summary, message.heading)
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

    def watch_current_run(self, run: PreparedEval | None) -> None:
        self.progress_view.display = run is not None
        self.results_view.display = run is None
        self.history.running = run.folder if run is not None else None
        self.history.reload()

    def watch_progress(self) -> None:
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
