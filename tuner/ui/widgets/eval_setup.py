"""The Eval screen's Setup tab: the file, the models (of any profile), the graders and the judge.

It holds what the user chose and turns it into `EvalChoices` (or says, in one line, what is
missing); the screen runs them. Models are picked with the chat's model picker across every
profile and named `MODEL@PROFILE`, the first the baseline (A). The file is typed (with path
completion) or picked from the browser's folder; opened from a job, the job's validation file
is the file unless a path is typed. The area beside the graders says what `r` will do, and
then shows the estimate, or what went wrong.

Keys (while the focus is in the setup): r runs (the screen's action), p picks the file, a adds a
model, x removes the highlighted one, b makes it the baseline, J picks the judge, X removes it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.reactive import reactive
from textual.widgets import Input, Label, OptionList, SelectionList, Static
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection

from tuner.api.eval.targets import target_label
from tuner.data.visible_text import visible_line
from tuner.ui.app_protocol import TunerHost, app_host
from tuner.ui.modals import PromptModal
from tuner.ui.outside import outside_line
from tuner.ui.widgets.eval_results import model_letter
from tuner.ui.widgets.path_suggester import PathSuggester

if TYPE_CHECKING:
    from tuner.api.eval.session import EvalChoices
    from tuner.data.eval.history import RunInfo
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
FILE_PLACEHOLDER = "a chat JSONL: its last assistant turns are the references"


class EvalSetup(VerticalScroll):
    """What to evaluate; `locked` while a run goes on (its keys then do nothing)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "screen.run", "Run", id="eval.run"),  # the screen runs what is set up
        Binding("p", "pick_file", "File", id="eval.file"),
        Binding("a", "add_model", "Add model", id="eval.add_model"),
        Binding("x", "remove_model", "Remove", id="eval.remove_model", show=False),
        Binding("b", "baseline", "Baseline", id="eval.baseline", show=False),
        Binding("J", "pick_judge", "Judge", id="eval.judge"),
        Binding("X", "no_judge", "No judge", id="eval.no_judge", show=False),
    ]

    locked: reactive[bool] = reactive(False, bindings=True)

    def __init__(self, root: Path, *, id: str | None = None) -> None:
        """`root`: the browser's folder, which typed paths are relative to."""
        super().__init__(id=id)
        self.root = root
        self.models: list[str] = []
        self.judge: str | None = None
        self.job: str | None = None
        self.job_profile: str | None = None
        self.regex_pattern: str | None = None
        self.note: str | None = None

    @property
    def tuner(self) -> TunerHost:
        return app_host(self.app)

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label("File", classes="field-label")
            yield Input(
                placeholder=FILE_PLACEHOLDER,
                id="eval-file",
                compact=True,
                suggester=PathSuggester(self.root, EVAL_SUFFIXES),
            )
        yield Label(
            "Models · A is the baseline · a adds, x removes, b moves one to A", id="models-label"
        )
        yield OptionList(id="eval-models")
        yield Static("", id="eval-judge", markup=False)
        with Horizontal(id="setup-lower"):
            yield SelectionList[str](
                *(Selection(name, name, name in DEFAULT_GRADERS, id=name) for name in GRADERS),
                id="eval-graders",
            )
            yield Static("", id="eval-estimate", markup=False)

    def on_mount(self) -> None:
        self.graders_list.border_title = "Graders"
        self._show_models()
        self._show_judge()
        self.hint()

    @property
    def file_field(self) -> Input:
        return self.query_one("#eval-file", Input)

    @property
    def model_list(self) -> OptionList:
        return self.query_one("#eval-models", OptionList)

    @property
    def graders_list(self) -> SelectionList[str]:
        return cast("SelectionList[str]", self.query_one("#eval-graders", SelectionList))

    # -- starting points -----------------------------------------------------------------------

    def preset(
        self,
        *,
        file: Path | None,
        models: Sequence[str],
        job: str | None,
        profile: str | None,
        note: str | None,
    ) -> None:
        """Start from a file, models (kept as they were when none are given) or a job."""
        self.job, self.job_profile, self.note = job, profile, note
        self.file_field.value = self.shown_path(file) if file is not None else ""
        self.file_field.placeholder = (
            "the job's validation file, or type a path" if job is not None else FILE_PLACEHOLDER
        )
        if models:
            self.models = list(dict.fromkeys(models))
        self._show_models()
        self.hint()

    def set_up_again(self, info: RunInfo) -> None:
        """The setup of a run that did not finish: its replies are cached, so running it again
        asks only what it had not asked yet."""
        self.preset(
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

    def shown_path(self, path: Path) -> str:
        """`path` relative to the browser's folder when it is inside it (shorter to read)."""
        try:
            return str(path.resolve().relative_to(self.root))
        except ValueError:
            return str(path)

    # -- what is shown -------------------------------------------------------------------------

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
            none_yet = Text("none yet: a adds one (from any profile)", style="dim")
            options.append(Option(none_yet, disabled=True))
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
        self.refresh_bindings()

    def hint(self, text: Text | None = None) -> None:
        """Beside the graders: the estimate or an error (`text`), else what r will do."""
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

    # -- the file ------------------------------------------------------------------------------

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
                self.root,
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
            return Path(self.shown_path(dataset))
        return None

    def _file_picked(self, path: Path | None) -> None:
        if path is not None:
            self.file_field.value = self.shown_path(path)
            self.model_list.focus()

    # -- models and the judge ------------------------------------------------------------------

    def _active_profile(self) -> str | None:
        connection = self.tuner.connection.connection
        return connection.profile_name if connection is not None else None

    def _pick_model(self, title: str, then: Callable[[str], None]) -> None:
        """The chat's model picker over every profile; `then` gets `MODEL@PROFILE`."""
        from tuner.ui.chat_profiles import ChatProfiles
        from tuner.ui.modals.pick_model import PickModelModal

        profiles = ChatProfiles(self.tuner)
        active = profiles.active
        loader = (lambda: profiles.models(active)) if self.tuner.session.problem is None else None

        async def picked(choice: ModelChoice | None) -> None:
            await profiles.release([])  # the other profiles' services were only for the list
            if choice is not None and choice.model.strip():
                choice = replace(choice, model=choice.model.strip())
                then(target_label(choice.model, choice.profile or active))

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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.locked and action in (
            "pick_file",
            "add_model",
            "remove_model",
            "baseline",
            "pick_judge",
            "no_judge",
        ):
            return False
        if action in ("remove_model", "baseline"):
            return bool(self.models)
        if action == "no_judge":
            return self.judge is not None
        return True

    # -- graders -------------------------------------------------------------------------------

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
        self.graders_list.replace_option_prompt("regex", outside_line(f"regex:{pattern}"))

    def grader_names(self) -> list[str]:
        """The graders ticked, in the list's order (regex with its pattern)."""
        chosen = set(self.graders_list.selected)
        return [
            f"regex:{self.regex_pattern}" if name == "regex" else name
            for name in GRADERS
            if name in chosen
        ]

    # -- the choices ---------------------------------------------------------------------------

    def choices(self) -> EvalChoices | str:
        """The setup as `EvalChoices`, or what is missing (one line)."""
        from tuner.api.eval.session import EvalChoices

        typed = self.file_field.value.strip()
        file = None
        if typed:
            file = Path(typed).expanduser()
            if not file.is_absolute():
                file = self.root / file
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
