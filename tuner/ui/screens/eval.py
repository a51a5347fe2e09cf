"""The Eval screen: is the new model as good as the old one? A held-out file through several
models, graded, with the scores' intervals, the examples behind them, and earlier runs.

A face on the headless evaluation (`tuner.api.eval.session`), the same flow `tuner eval` runs:
the choices (Setup tab) become `EvalChoices`; `prepare_eval` reads the file (or fetches a job's
validation file) and opens each profile's service; `estimate_eval` prices it; nothing is asked
of any model before the user has read the estimate and said yes (a `ConfirmModal`; a run the
reply cache answers whole costs nothing and is not asked about). `run_eval` then asks and grades,
writing the run folder as it goes; progress per model shows in the Results tab, then the figures,
and the Examples tab lists every example (sortable by disagreement, filterable to flips; enter
shows the replies side by side). History reopens earlier runs read-only.

The whole flow runs in one exclusive async worker owned by this screen, so it ends with the
screen. Switching to another screen leaves a run going (as a chat replay does); esc stops it
after asking, and quitting while it runs asks first (`work_in_flight`). Every reply is kept in
the reply cache, so a run stopped here continues at no cost when run again. Results come back
as typed messages; failures are handled once, in `on_worker_state_changed`.

Opened by `e` anywhere (`app.open_eval` with a file, models or a job to start from: `e` on a
JSONL in the browser, `E` on a job, the new job of a move once it has trained).
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import (
    DataTable,
    Footer,
    Header,
    Input,
    Label,
    OptionList,
    SelectionList,
    Static,
    TabbedContent,
    TabPane,
)
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection
from textual.worker import Worker, WorkerState

from tuner.data.visible_text import visible_line
from tuner.ui.failures import describe_error
from tuner.ui.modals import ConfirmModal, PromptModal
from tuner.ui.outside import outside, outside_line
from tuner.ui.widgets.eval_examples import EvalExamples
from tuner.ui.widgets.eval_results import EvalProgress, EvalResults, model_letter
from tuner.ui.widgets.path_suggester import PathSuggester

if TYPE_CHECKING:
    from tuner.api.eval.plan import EvalEstimate
    from tuner.api.eval.run import ModelProgress, RunTotals
    from tuner.api.eval.session import EvalChoices, EvalOutcome, PreparedEval
    from tuner.data.eval.example_rows import RunExamples
    from tuner.data.eval.history import PastRun, RunInfo
    from tuner.data.eval.runs import Run
    from tuner.ui.app import TunerApp
    from tuner.ui.modals.pick_model import ModelChoice

# The graders offered, in this order (as `tuner eval --grader` names them); chrf and fuzzy
# (offline, free) are ticked at first.
GRADERS: tuple[str, ...] = (
    "chrf",
    "fuzzy",
    "exact",
    "contains",
    "json",
    "bleu",
    "rouge_l",
    "regex",
    "cosine",
    "judge",
    "pairwise",
)
DEFAULT_GRADERS = ("chrf", "fuzzy")
NEEDS_JUDGE = ("judge", "pairwise")
EVAL_SUFFIXES = frozenset({".jsonl"})


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


@dataclass
class HistoryListed(Message):
    runs: list[PastRun]


@dataclass
class RunOpened(Message):
    """A past run read back (read-only), with its file's examples when they can be had."""

    run: Run
    info: RunInfo | None
    examples: RunExamples


@dataclass
class RunUnreadable(Message):
    text: str


def _judge_spend(totals: RunTotals) -> str:
    spend = totals.judge
    if not spend.requests:
        return ""
    money = f"${spend.dollars:,.4f}" + (" + unpriced" if spend.unpriced else "")
    return f"judge: {spend.requests:,} requests ({spend.cached:,} cached), {money}"


def confirmation(prepared: PreparedEval, estimate: EvalEstimate) -> Text:
    """What the user reads before saying yes: what will be asked and what it costs."""
    from tuner.api.eval.plan import estimate_lines

    plan = prepared.plan
    models = len(plan.targets)
    text = Text(f"{len(plan.examples):,} examples of ")
    text.append_text(outside_line(prepared.file.name))
    text.append(
        f" to {models} model{'' if models == 1 else 's'} (A, B, … as on the Setup tab). "
        "Nothing has been asked yet.\n\n"
    )
    letters = {target.label: model_letter(index) for index, target in enumerate(plan.targets)}
    text.append_text(outside("\n".join(estimate_lines(estimate, letters))))
    for warning in prepared.warnings:
        text.append("\n")
        text.append_text(outside_line(f"⚠ {warning}", style="yellow"))
    text.append("\n\nRun it?")
    return text


class EvalScreen(Screen[None]):
    """Set up, run and read evaluations; earlier runs from history."""

    CSS_PATH = "eval.tcss"
    TITLE = "Eval"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "stop", "Stop", id="eval.stop"),
        Binding("escape", "back", "Back", id="eval.back", show=False),
        Binding("r", "run", "Run", id="eval.run"),
        Binding("p", "pick_file", "File", id="eval.file"),
        Binding("a", "add_model", "Add model", id="eval.add_model"),
        Binding("x", "remove_model", "Remove", id="eval.remove_model", show=False),
        Binding("b", "baseline", "Baseline", id="eval.baseline", show=False),
        Binding("J", "pick_judge", "Judge", id="eval.judge"),
        Binding("X", "no_judge", "No judge", id="eval.no_judge", show=False),
        Binding("1", "tab('setup')", "Setup", id="eval.tab_setup", show=False),
        Binding("2", "tab('results')", "Results", id="eval.tab_results", show=False),
        Binding("3", "tab('examples')", "Examples", id="eval.tab_examples", show=False),
        Binding("4", "tab('history')", "History", id="eval.tab_history", show=False),
    ]

    phase: reactive[str] = reactive("idle", bindings=True)  # idle, preparing, running

    def __init__(self) -> None:
        super().__init__()
        self.models: list[str] = []
        self.judge: str | None = None
        self.job: str | None = None
        self.job_profile: str | None = None
        self.regex_pattern: str | None = None
        self.note: str | None = None
        self.progress: tuple[ModelProgress, ...] = ()
        self.runs: list[PastRun] = []
        self.finished_runs = 0  # runs finished here (shown in the Results tab when done)
        self.running_folder: Path | None = None  # the folder of the run going on
        self.missing: str | None = None  # why the shown run's prompts are not known
        self._worker: Worker[None] | None = None
        self._pending: dict[str, Any] | None = None  # a preset that came before the mount
        self._ready = False

    @property
    def tuner(self) -> TunerApp:
        return cast("TunerApp", self.app)

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        with TabbedContent(id="eval-tabs", initial="setup"):
            with TabPane("Setup", id="setup"), VerticalScroll(id="setup-form"):
                with Horizontal(classes="row"):
                    yield Label("File", classes="field-label")
                    yield Input(
                        placeholder="a chat JSONL: its last assistant turns are the references",
                        id="eval-file",
                        compact=True,
                        suggester=PathSuggester(self.tuner.start_path, EVAL_SUFFIXES),
                    )
                yield Label(
                    "Models · A is the baseline · a adds, x removes, b moves one to A",
                    id="models-label",
                )
                yield OptionList(id="eval-models")
                yield Static("", id="eval-judge", markup=False)
                with Horizontal(id="setup-lower"):
                    yield SelectionList[str](*self._grader_options(), id="eval-graders")
                    yield Static("", id="eval-estimate", markup=False)
            with TabPane("Results", id="results"):
                yield EvalProgress(id="eval-progress")
                yield EvalResults(id="eval-results")
            with TabPane("Examples", id="examples"):
                yield EvalExamples(id="eval-examples")
            with TabPane("History", id="history"):
                yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
                yield Static("", id="history-detail", markup=False)
        yield Static("", id="eval-line", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def _grader_options(self) -> list[Selection[str]]:
        return [Selection(name, name, name in DEFAULT_GRADERS, id=name) for name in GRADERS]

    @property
    def file_field(self) -> Input:
        return self.query_one("#eval-file", Input)

    @property
    def model_list(self) -> OptionList:
        return self.query_one("#eval-models", OptionList)

    @property
    def graders_list(self) -> SelectionList[str]:
        return cast("SelectionList[str]", self.query_one("#eval-graders", SelectionList))

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
    def history_table(self) -> DataTable[Any]:
        return self.query_one("#history-table", DataTable)

    def on_mount(self) -> None:
        self.graders_list.border_title = "Graders"
        self.query_one("#eval-progress").display = False
        self.results_view.note(
            Text(
                "No run yet: set one up in the Setup tab (1), or open an "
                "earlier one from History (4).",
                style="dim",
            )
        )
        self.examples_view.clear("No run yet.")
        table = self.history_table
        for label in ("Started", "State", "Models", "Examples", "File"):  # the file may be long
            table.add_column(label, key=label)
        self._show_models()
        self._show_judge()
        self._hint()
        self._line()
        self._ready = True
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._apply_preset(**pending)
        else:
            self.file_field.focus()
        self._list_history()

    def on_screen_resume(self) -> None:
        self._list_history()

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

    def _apply_preset(
        self,
        *,
        file: Path | None,
        models: Sequence[str],
        job: str | None,
        profile: str | None,
        note: str | None,
    ) -> None:
        if self.phase != "idle":
            self.notify("An evaluation is running: esc stops it first", severity="warning")
            return
        self.job, self.job_profile, self.note = job, profile, note
        self.file_field.value = self._shown_path(file) if file is not None else ""
        if models:
            self.models = list(dict.fromkeys(models))
        self._placeholder()
        self._show_models()
        self._hint()
        self.tabs.active = "setup"
        if file is None and job is None:
            self.file_field.focus()
        else:
            self.model_list.focus()

    def _shown_path(self, path: Path) -> str:
        """`path` relative to the browser's folder when it is inside it (shorter to read)."""
        try:
            return str(path.resolve().relative_to(self.tuner.start_path))
        except ValueError:
            return str(path)

    def _placeholder(self) -> None:
        if self.job is not None:
            self.file_field.placeholder = "the job's validation file, or type a path"
        else:
            self.file_field.placeholder = (
                "a chat JSONL: its last assistant turns are the references"
            )

    # -- setup: file, models, graders, judge ---------------------------------------------------

    def _active_profile(self) -> str | None:
        connection = self.tuner.connection.connection
        return connection.profile_name if connection is not None else None

    def _label(self, choice: ModelChoice) -> str:
        profile = choice.profile or self._active_profile()
        return f"{choice.model}@{profile}" if profile else choice.model

    def _show_models(self) -> None:
        listed = self.model_list
        highlighted = listed.highlighted
        options: list[Option] = []
        for index, label in enumerate(self.models):
            prompt = Text(f"{model_letter(index)}  ", style="bold")
            prompt.append_text(outside_line(label))
            if index == 0 and len(self.models) > 1:
                prompt.append("  baseline", style="dim")
            options.append(Option(prompt, id=str(index)))
        if not options:
            options.append(
                Option(Text("none yet: a adds one (from any profile)", style="dim"), disabled=True)
            )
        listed.set_options(options)
        if self.models:
            listed.highlighted = min(highlighted or 0, len(self.models) - 1)
        self.refresh_bindings()

    def _show_judge(self) -> None:
        if self.judge is None:
            text = Text("Judge: none · J picks one (the judge and pairwise graders need it)")
            text.stylize("dim")
        else:
            text = Text("Judge: ")
            text.append_text(outside_line(self.judge))
            text.append(" · J changes it, X removes it", style="dim")
        self.query_one("#eval-judge", Static).update(text)

    def _hint(self, text: Text | None = None) -> None:
        """The area under the setup: the estimate, an error, or what r will do."""
        if text is None:
            text = Text()
            if self.note:
                text.append_text(outside_line(self.note, style="yellow"))
                text.append("\n")
            if self.job is not None:
                text.append_text(outside_line(f"From job {self.job}", style="bold"))
                text.append(
                    ": its validation file unless a path is typed above; its training file is "
                    "checked for prompts it was trained on.\n"
                )
            text.append(
                "r prices the run and asks before anything is sent (replies already in the "
                "cache cost nothing).",
                style="dim",
            )
        self.query_one("#eval-estimate", Static).update(text)

    @on(Input.Submitted, "#eval-file")
    def _file_typed(self, event: Input.Submitted) -> None:
        event.stop()
        self.model_list.focus()

    def action_pick_file(self) -> None:
        from tuner.ui.modals.pick_file import PickFileModal

        typed = self.file_field.value.strip()
        default = Path(typed) if typed else self._likely_file()
        self.app.push_screen(
            PickFileModal(
                self.tuner.start_path,
                default=default,
                title="Evaluate on",
                suffixes=EVAL_SUFFIXES,
                hint="A chat JSONL: each line's last assistant turn is the reference.",
                placeholder="path to a .jsonl file",
            ),
            self._file_picked,
        )

    def _likely_file(self) -> Path | None:
        dataset = self.tuner.last_dataset
        if dataset is not None and dataset.suffix.lower() in EVAL_SUFFIXES:
            return Path(self._shown_path(dataset))
        return None

    def _file_picked(self, path: Path | None) -> None:
        if path is not None:
            self.file_field.value = self._shown_path(path)
            self.model_list.focus()

    def _pick_model(self, title: str, then: Any) -> None:
        from tuner.ui.chat_profiles import ChatProfiles
        from tuner.ui.modals.pick_model import PickModelModal

        profiles = ChatProfiles(self.tuner)
        active = profiles.active
        loader = (lambda: profiles.models(active)) if self.tuner.session.problem is None else None

        async def picked(choice: ModelChoice | None) -> None:
            await profiles.release([])  # the other profiles' services were only for the list
            if choice is not None and choice.model.strip():
                then(self._label(replace(choice, model=choice.model.strip())))

        self.app.push_screen(
            PickModelModal(
                loader,
                title=title,
                note=profiles.retirement_note(active),
                profile=active,
                label=profiles.label(active),
                others=profiles.others(),
            ),
            picked,
        )

    def action_add_model(self) -> None:
        def add(label: str) -> None:
            if label in self.models:
                self.notify(f"{visible_line(label)} is already chosen", markup=False)
                return
            self.models.append(label)
            self._show_models()
            self.model_list.highlighted = len(self.models) - 1

        self._pick_model("Add a model to evaluate", add)

    def _highlighted_model(self) -> int | None:
        index = self.model_list.highlighted
        if index is None or not 0 <= index < len(self.models):
            return None
        return index

    def action_remove_model(self) -> None:
        index = self._highlighted_model()
        if index is not None:
            del self.models[index]
            self._show_models()

    def action_baseline(self) -> None:
        index = self._highlighted_model()
        if index:
            self.models.insert(0, self.models.pop(index))
            self._show_models()
            self.model_list.highlighted = 0

    def action_pick_judge(self) -> None:
        def chosen(label: str) -> None:
            self.judge = label
            self.graders_list.select("judge")  # what a judge is for; unticked at will
            self._show_judge()

        self._pick_model("The judge: a model that scores the replies", chosen)

    def action_no_judge(self) -> None:
        self.judge = None
        for name in NEEDS_JUDGE:
            self.graders_list.deselect(name)
        self._show_judge()

    @on(SelectionList.SelectionToggled, "#eval-graders")
    def _grader_toggled(self, event: SelectionList.SelectionToggled[str]) -> None:
        if event.selection.value == "regex" and "regex" in self.graders_list.selected:
            self.app.push_screen(
                PromptModal(
                    "The pattern a reply must match (a Python regular expression):",
                    value=self.regex_pattern or "",
                    placeholder="e.g. ^LM-\\d+",
                ),
                self._pattern_given,
            )

    def _pattern_given(self, pattern: str | None) -> None:
        from tuner.data.eval.graders import GraderUsageError, parse_grader

        if not pattern:
            self.graders_list.deselect("regex")
            return
        try:
            parse_grader(f"regex:{pattern}")
        except GraderUsageError as exc:
            self.graders_list.deselect("regex")
            self.notify(visible_line(str(exc)), severity="error", markup=False)
            return
        self.regex_pattern = pattern
        prompt = outside_line(f"regex:{pattern}")
        self.graders_list.replace_option_prompt("regex", prompt)

    def grader_names(self) -> list[str]:
        """The graders ticked, in the list's order (regex with its pattern)."""
        chosen = set(self.graders_list.selected)
        names = []
        for name in GRADERS:
            if name not in chosen:
                continue
            names.append(f"regex:{self.regex_pattern}" if name == "regex" else name)
        return names

    # -- running -------------------------------------------------------------------------------

    def choices(self) -> EvalChoices | str:
        """The setup as `EvalChoices`, or what is missing (one line)."""
        from tuner.api.eval.session import EvalChoices

        typed = self.file_field.value.strip()
        file = None
        if typed:
            file = Path(typed).expanduser()
            if not file.is_absolute():
                file = self.tuner.start_path / file
        if file is None and self.job is None:
            return "Choose the file to evaluate on: type its path, or p picks one"
        if not self.models:
            return "Add a model to evaluate: a picks one (from any profile)"
        graders = self.grader_names()
        if not graders:
            return "Tick a grader: chrf and fuzzy are free and need no service"
        if self.judge is None and any(name in NEEDS_JUDGE for name in graders):
            return "The judge and pairwise graders need a judge model: J picks one"
        return EvalChoices(
            file=file,
            models=tuple(self.models),
            job=self.job,
            profile=self.job_profile if self.job is not None else self._active_profile(),
            graders=tuple(graders),
            judge=self.judge,
        )

    def action_run(self) -> None:
        choices = self.choices()
        if isinstance(choices, str):
            self._hint(Text(choices, style="bold yellow"))
            self.notify(choices, severity="warning", markup=False)
            return
        self._hint(Text("Preparing: reading the file and pricing the run…", style="dim"))
        self.phase = "preparing"
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
        self._hint(text)

    @on(NotRun)
    def _not_run(self) -> None:
        self.notify("Not run: nothing was asked")

    @on(RunStarted)
    async def _started(self, message: RunStarted) -> None:
        self.phase = "running"
        self.running_folder = message.prepared.folder
        self._list_history()
        plan = message.prepared.plan
        labels = [target.label for target in plan.targets]
        progress = self.query_one("#eval-progress", EvalProgress)
        progress.display = True
        self.results_view.display = False
        await progress.start(labels, len(plan.examples))
        self.progress = ()
        self.tabs.active = "results"
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
        self.tabs.active = "results"
        failed = sum(model.failures for model in outcome.summary.models)
        said = f", {failed} failed" if failed else ""
        self.notify(f"Evaluation finished: {outcome.summary.examples:,} examples{said}")
        self._list_history()

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
                self.phase = "idle"
                self.running_folder = None
                self._list_history()
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
        if self.phase == "running":
            said += " · every reply so far is kept: r continues where it stopped"
        self._hint(outside_line(said, style="bold red"))
        if self.phase == "running":
            self.results_view.note(outside_line(said, style="bold red"))
        self.notify(visible_line(said), severity="error", timeout=10, markup=False)

    def _stopped(self) -> None:
        said = (
            "Stopped. Every reply so far is kept: r runs it again and continues where it "
            "stopped, asking nothing twice."
        )
        if self.phase == "running":
            self.results_view.note(Text(said, style="yellow"))
        self._hint(Text(said, style="yellow"))

    def action_stop(self) -> None:
        """Esc while a run is going: ask, then stop it (a run still being prepared just stops)."""
        worker = self._worker
        if worker is None:
            return
        if self.phase != "running":
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
        if self.phase == "idle":
            return []
        done = sum(progress.done for progress in self.progress)
        total = sum(progress.total for progress in self.progress)
        counted = f" ({done:,} of {total:,} replies; those are kept)" if total else ""
        return [f"the evaluation in progress{counted}"]

    # -- history -------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="eval-history", exit_on_error=False)
    def _list_history(self) -> None:
        from tuner.data.eval.history import past_runs

        self.post_message(HistoryListed(past_runs()))

    @on(HistoryListed)
    def _history_listed(self, message: HistoryListed) -> None:
        self.runs = message.runs
        table = self.history_table
        selected = self._selected_run()
        table.clear()
        running = self.running_folder.resolve() if self.running_folder is not None else None
        for run in self.runs:
            info = run.info
            state = "finished" if info.finished else "stopped"
            if run.folder == running and self.phase == "running":
                state = "running"
            table.add_row(
                _when(info.started),
                Text(state, style="" if info.finished else "yellow"),
                str(len(info.models)),
                f"{info.examples:,}",
                outside_line(Path(info.file).name if info.file else "?"),
                key=str(run.folder),
            )
        if selected is not None and selected in {str(run.folder) for run in self.runs}:
            table.move_cursor(row=table.get_row_index(selected), animate=False)
        self.query_one("#eval-tabs", TabbedContent).get_tab(
            "history"
        ).label = f"History ({len(self.runs)})"
        self._run_detail()

    def _selected_run(self) -> str | None:
        table = self.history_table
        if table.row_count == 0 or not table.is_valid_row_index(table.cursor_row):
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key
        return str(key.value) if key.value is not None else None

    @on(DataTable.RowHighlighted, "#history-table")
    def _run_detail(self) -> None:
        folder = self._selected_run()
        run = next((r for r in self.runs if str(r.folder) == folder), None)
        detail = self.query_one("#history-detail", Static)
        if run is None:
            detail.update(
                Text("No run yet: runs made here or by tuner eval are listed here.", style="dim")
            )
            return
        info = run.info
        text = Text()
        for index, label in enumerate(info.models):
            text.append(f"{model_letter(index)} ", style="bold")
            text.append_text(outside_line(label))
            text.append("\n")
        graders = ", ".join(info.graders)
        text.append_text(
            outside_line(f"graders {graders}" + (f" · judge {info.judge}" if info.judge else ""))
        )
        text.append("\n")
        text.append_text(outside_line(str(run.folder), style="dim"))
        if not info.finished:
            text.append(
                "\nnot finished: enter sets it up again; r then asks nothing already answered",
                style="yellow",
            )
        detail.update(text)

    @on(DataTable.RowSelected, "#history-table")
    def _open_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        folder = self._selected_run()
        run = next((r for r in self.runs if str(r.folder) == folder), None)
        if run is None:
            return
        if run.info.finished:
            self._open_run(run.folder)
        elif self.phase == "idle":
            self._set_up_again(run.info)

    def _set_up_again(self, info: RunInfo) -> None:
        """A run that did not finish, set up as it was: its replies are in the cache, so
        running it again asks only what it had not asked yet."""
        self._apply_preset(
            file=Path(info.file) if info.file else None,
            models=info.models,
            job=None,
            profile=None,
            note="Set up as the stopped run was: r asks only what it had not asked yet",
        )
        self.judge = info.judge
        self._show_judge()
        chosen = {name.partition(":")[0] for name in info.graders}
        for name in GRADERS:
            if name in chosen:
                self.graders_list.select(name)
            else:
                self.graders_list.deselect(name)
        pattern = next((g.partition(":")[2] for g in info.graders if g.startswith("regex:")), None)
        if pattern:
            self._pattern_given(pattern)

    @work(thread=True, exclusive=True, group="eval-open", exit_on_error=False)
    def _open_run(self, folder: Path) -> None:
        from tuner.data.eval.example_rows import run_examples
        from tuner.data.eval.history import read_run_info
        from tuner.data.eval.runs import RunError, read_run

        try:
            run = read_run(folder)
        except RunError as exc:
            self.post_message(RunUnreadable(str(exc)))
            return
        info = read_run_info(folder)
        examples = run_examples(info.file, info.reference) if info is not None else None
        if examples is None:
            from tuner.data.eval.example_rows import RunExamples

            examples = RunExamples({}, f"{folder}: no run.json to name its file")
        self.post_message(RunOpened(run, info, examples))

    @on(RunUnreadable)
    def _unreadable(self, message: RunUnreadable) -> None:
        self.notify(visible_line(message.text), severity="error", timeout=10, markup=False)

    @on(RunOpened)
    def _run_opened(self, message: RunOpened) -> None:
        run, info = message.run, message.info
        summary = run.summary
        name = Path(info.file).name if info is not None and info.file else "a past run"
        heading = Text("From history (read-only): ", style="bold")
        heading.append_text(outside_line(name))
        if info is not None and info.started:
            heading.append(f" · {_when(info.started)}")
        heading.append(f" · {summary.examples:,} examples\n")
        heading.append_text(outside_line(shown_folder(run.folder.path), style="dim"))
        if message.examples.problem:
            heading.append("\n")
            heading.append_text(
                outside_line(f"prompts not shown: {message.examples.problem}", style="yellow")
            )
        if self.phase != "running":
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
        self.tabs.active = "results" if self.phase != "running" else "examples"

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
        self.tabs.active = tab

    @on(TabbedContent.TabActivated, "#eval-tabs")
    def _tab_changed(self) -> None:
        focus = {
            "setup": "#eval-models",
            "results": "#eval-results",
            "examples": "#examples-table",
            "history": "#history-table",
        }.get(self.tabs.active)
        if focus is not None:
            self.query_one(focus).focus()
        self.refresh_bindings()
        self._line()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        setup = self.is_mounted and self.tabs.active == "setup"
        idle = self.phase == "idle"
        if action == "stop":
            return not idle
        if action == "back":
            return idle and not isinstance(self.focused, Input)
        if action == "run":
            return setup and idle
        if action in ("pick_file", "add_model", "pick_judge"):
            return setup and idle
        if action in ("remove_model", "baseline"):
            return setup and idle and bool(self.models)
        if action == "no_judge":
            return setup and idle and self.judge is not None
        return True

    def watch_phase(self) -> None:
        if self.is_mounted:
            self._line()

    def _line(self) -> None:
        if self.phase == "preparing":
            text = "Preparing: reading the file and pricing the run · esc stops"
        elif self.phase == "running":
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


def _when(started: str) -> str:
    """A run's start in local time, to the minute (it is kept in UTC)."""
    try:
        moment = datetime.datetime.fromisoformat(started.replace("Z", "+00:00"))
    except ValueError:
        return started or "?"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")
