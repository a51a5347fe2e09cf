"""Choose a model to chat with: the profile's fine-tuned models, their checkpoints, base models,
or any id typed in (OpenAI-compatible servers name their models freely).

The list is loaded by the caller's `loader` in a worker, so the dialog opens at once and says
"loading…"; if listing fails the reason is shown and a typed id still works.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from tuner.api.chat_models import ChatModel

ModelLoader = Callable[[], Awaitable["list[ChatModel]"]]

KIND_LABELS = {"fine_tuned": "fine-tuned", "checkpoint": "checkpoint", "base": "base"}


class PickModelModal(ModalScreen[str | None]):
    """Returns the chosen model id, or None when cancelled."""

    CSS_PATH = "modals.tcss"
    CSS = """
    PickModelModal { align: center middle; }
    PickModelModal .dialog { width: 76; height: auto; max-height: 90%; }
    PickModelModal OptionList { height: auto; max-height: 14; margin-top: 1; }
    PickModelModal #models-status { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="pick_model.cancel"),
        Binding("down", "to_list", "List", show=False, id="pick_model.list"),
    ]

    def __init__(
        self, loader: ModelLoader | None, *, current: str | None = None, title: str = "Model"
    ) -> None:
        super().__init__()
        self.loader = loader
        self.current = current
        self.dialog_title = title
        self.models: list[ChatModel] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = self.dialog_title
            yield Label("Type to filter, or type any model id and press enter.")
            yield Input(self.current or "", placeholder="model id", id="model-filter")
            yield Label("loading models…", id="models-status")
            yield OptionList(id="models")

    def on_mount(self) -> None:
        field = self.query_one(Input)
        field.focus()
        field.select_all()
        if self.loader is None:
            self._status("no connection: type a model id")
        else:
            self._load()

    def _status(self, text: str) -> None:
        self.query_one("#models-status", Label).update(text)

    @work(exclusive=True, exit_on_error=False)
    async def _load(self) -> None:
        from tuner.api.errors import ServiceError

        assert self.loader is not None
        try:
            self.models = await self.loader()
        except ServiceError as exc:
            self._status(f"cannot list models: {exc.message}")
            return
        self._fill(filter_text="")

    def _fill(self, filter_text: str) -> None:
        wanted = filter_text.strip().lower()
        options: list[Option | None] = []
        kind = None
        for model in self.models:
            if wanted and wanted not in model.id.lower():
                continue
            if kind is not None and model.kind != kind:
                options.append(None)
            kind = model.kind
            label = Content.assemble(model.id, (f"  {KIND_LABELS[model.kind]}", "dim"))
            options.append(Option(label, id=model.id))
        listed = self.query_one(OptionList)
        listed.set_options(options)
        if options:
            listed.highlighted = 0
        shown = sum(1 for option in options if option is not None)
        count = f"{shown} of {len(self.models)} models" if wanted else f"{shown} models"
        self._status(f"{count} · ↓ to the list" if shown else f"{count} · enter uses the id typed")

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.models:
            self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        typed = event.value.strip()
        ids = {m.id for m in self.models}
        if typed in ids or (typed and not self.query_one(OptionList).option_count):
            self.dismiss(typed)
            return
        option = self.query_one(OptionList).highlighted_option
        if option is not None and option.id:
            self.dismiss(option.id)
        elif typed:
            self.dismiss(typed)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_to_list(self) -> None:
        listed = self.query_one(OptionList)
        if listed.option_count:
            listed.focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
