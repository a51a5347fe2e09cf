"""Choose a model to chat with: the profile's fine-tuned models, their checkpoints, base models,
or any id typed in (OpenAI-compatible servers name their models freely).

The list is loaded by the caller's `loader` in a worker, so the dialog opens at once and says
"loading…"; if listing fails the reason is shown and a typed id still works.

For a comparison the model may live on another profile's service (a fine-tune on OpenAI next to
its copy on Together AI): given `others`, the dialog names the profile it lists, ctrl+o moves to
the next profile (and back round), and the list ends with one "another profile's model…" row
per other profile, so the mouse and the arrow keys get there too. The answer is a `ModelChoice`:
the model and the profile it was listed from.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from tuner.data.visible_text import visible_line
from tuner.data.wording import plural
from tuner.ui.outside import CONTROLS_SHOWN, outside_line

if TYPE_CHECKING:
    from tuner.api.chat.models import ChatModel

ModelLoader = Callable[[], Awaitable["list[ChatModel]"]]
# A few words after a model's name (its base model's retirement) and their style, or None.
ModelNote = Callable[["ChatModel"], "tuple[str, str] | None"]

KIND_LABELS = {"fine_tuned": "fine-tuned", "checkpoint": "checkpoint", "base": "base"}
_PROFILE_ROW = "\0profile:"  # option ids of the "another profile's model…" rows


@dataclass(frozen=True)
class ModelSource:
    """A profile whose models can be picked: its name, how it is shown (`demo-together ·
    Together AI`), how its models are listed (None: no connection, type an id) and noted."""

    profile: str | None
    label: str
    loader: ModelLoader | None
    note: ModelNote | None = None


@dataclass(frozen=True)
class ModelChoice:
    """The model picked and the profile it was listed from (None: the caller's own)."""

    model: str
    profile: str | None = None


class PickModelModal(ModalScreen[ModelChoice | None]):
    """Returns the chosen model (and its profile), or None when cancelled."""

    CSS_PATH = "modals.tcss"
    CSS = """
    PickModelModal { align: center middle; }
    PickModelModal .dialog { width: 76; height: auto; max-height: 90%; }
    PickModelModal OptionList { height: auto; max-height: 14; margin-top: 1; }
    PickModelModal #models-status { color: $text-muted; }
    PickModelModal #models-profile { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="pick_model.cancel"),
        Binding("down", "to_list", "List", show=False, id="pick_model.list"),
        Binding("ctrl+o", "next_profile", "Other profile", show=False, id="pick_model.profile"),
    ]

    def __init__(
        self,
        loader: ModelLoader | None,
        *,
        current: str | None = None,
        title: str = "Model",
        note: ModelNote | None = None,
        profile: str | None = None,
        label: str = "",
        others: Sequence[ModelSource] = (),
    ) -> None:
        """`loader` and `note` list the models of `profile` (shown as `label`); `others` are
        the other profiles one may pick from (none: a plain model picker)."""
        super().__init__()
        self.sources = [ModelSource(profile, label or (profile or ""), loader, note), *others]
        self.source = 0
        self.current = current
        self.dialog_title = title
        self.models: list[ChatModel] = []

    @property
    def listed(self) -> ModelSource:
        """The profile whose models are listed now."""
        return self.sources[self.source]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = outside_line(self.dialog_title)
            yield Label("Type to filter, or type any model id and press enter.")
            if len(self.sources) > 1:
                yield Label("", id="models-profile")
            yield Input(
                self.current or "",
                placeholder="model id",
                id="model-filter",
                highlighter=CONTROLS_SHOWN,
            )
            yield Label("loading models…", id="models-status")
            yield OptionList(id="models")

    def on_mount(self) -> None:
        field = self.query_one(Input)
        field.focus()
        field.select_all()
        self.call_after_refresh(self._list_source)  # the dialog first, then the models

    def _list_source(self) -> None:
        """List the models of the profile chosen now."""
        self.models = []
        if len(self.sources) > 1:
            self.query_one("#models-profile", Label).update(
                outside_line(f"Models of {self.listed.label} · ctrl+o another profile")
            )
        if self.listed.loader is None:
            self._fill("")
            self._status("no connection: type a model id")
        else:
            self._status("loading models…")
            self._load(self.source)

    def _status(self, text: str) -> None:
        self.query_one("#models-status", Label).update(outside_line(text))

    @work(exclusive=True, exit_on_error=False)
    async def _load(self, source: int) -> None:
        from tuner.api.errors import ServiceError

        loader = self.sources[source].loader
        assert loader is not None
        try:
            models = await loader()
        except ServiceError as exc:
            if source == self.source:
                self._fill("")  # the other profiles' rows stay reachable
                self._status(f"cannot list models: {exc.message}")
            return
        if source != self.source:
            return  # another profile was chosen meanwhile
        self.models = models
        self._fill(filter_text="")

    def _fill(self, filter_text: str) -> None:
        from tuner.data.jsonl.search import fold

        wanted = fold(filter_text.strip())
        options: list[Option | None] = []
        kind = None
        note = self.listed.note
        for model in self.models:
            if wanted and wanted not in fold(model.id):
                continue
            if kind is not None and model.kind != kind:
                options.append(None)
            kind = model.kind
            shown = visible_line(model.id)  # a service's name: never markup, never a control
            label = Content.assemble(shown, (f"  {KIND_LABELS[model.kind]}", "dim"))
            said = note(model) if note is not None else None
            if said is not None:
                label = Content.assemble(label, (f"  {said[0]}", said[1]))
            options.append(Option(label, id=model.id))
        shown = sum(1 for option in options if option is not None)
        others = [
            Option(
                Content.assemble(("another profile's model: ", "dim"), visible_line(source.label)),
                id=f"{_PROFILE_ROW}{index}",
            )
            for index, source in enumerate(self.sources)
            if index != self.source
        ]
        if others and options:
            options.append(None)
        options.extend(others)
        listed = self.query_one(OptionList)
        listed.set_options(options)
        if options:
            listed.highlighted = 0
        count = (
            f"{shown:,} of {plural(len(self.models), 'model')}"
            if wanted
            else plural(shown, "model")
        )
        self._status(f"{count} · ↓ to the list" if shown else f"{count} · enter uses the id typed")

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.models:
            self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        typed = event.value.strip()
        ids = {m.id for m in self.models}
        option = self.query_one(OptionList).highlighted_option
        picked = option.id if option is not None else None
        if typed in ids or (typed and (picked is None or picked.startswith(_PROFILE_ROW))):
            self._choose(typed)
        elif picked:
            self._picked(picked)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self._picked(event.option.id)

    def _picked(self, option_id: str) -> None:
        if option_id.startswith(_PROFILE_ROW):
            self._switch(int(option_id.removeprefix(_PROFILE_ROW)))
        else:
            self._choose(option_id)

    def _choose(self, model: str) -> None:
        self.dismiss(ModelChoice(model, self.listed.profile))

    def _switch(self, source: int) -> None:
        """List another profile's models; the cursor goes back to the filter."""
        self.source = source
        field = self.query_one(Input)
        field.value = ""
        field.focus()
        self._list_source()

    def action_next_profile(self) -> None:
        if len(self.sources) > 1:
            self._switch((self.source + 1) % len(self.sources))

    def action_to_list(self) -> None:
        listed = self.query_one(OptionList)
        if listed.option_count:
            listed.focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
