"""The new-job form's fields, one line each: base model, training and validation file, suffix,
method, adaptation, hyperparameters, seed; and what they say as a `JobForm` and file choices.

The fields fit the connected service: Together takes an absolute learning rate and a
LoRA-or-full choice, OpenAI a learning-rate multiplier and no such choice. A base model asked
for (settings, the dataset screen) that the catalog lacks is replaced by the one most likely
meant, and `default_note` says so (never a silent first entry).
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select

from tuner.api.jobs.form import JobForm
from tuner.data.visible_text import visible_line
from tuner.ui.outside import CONTROLS_SHOWN, outside_line

if TYPE_CHECKING:
    from tuner.api.jobs.creation import FileChoice
    from tuner.api.types import Capabilities
    from tuner.data.catalog.lookup import Catalog
    from tuner.data.catalog.models import ModelInfo

LOCAL = "local"
NONE = "none"
# The fields whose typed values leaving the form would lose.
TYPED = ("train-path", "valid-path", "suffix", "epochs", "batch", "lr", "seed")


def model_label(info: ModelInfo, today: datetime.date) -> str:
    """`gpt-4o-mini-2024-07-18 · $3.00/1M · 65,536 tok`, with what is not known said so, and
    the retirement date when it is near or past."""
    from tuner.data.catalog.models import retirement_note

    price = f"${info.training_price_per_1m:,.2f}/1M" if info.training_price_per_1m else "price ?"
    limit = f"{info.example_token_limit:,} tok" if info.example_token_limit else "no limit given"
    label = f"{info.id} · {price} · {limit}"
    note = retirement_note(info, today)
    return f"{label} · {note}" if note else label


def _pick(options: list[tuple[Any, str]], value: str, id: str) -> Select[str]:
    """A drop-down that always holds one of `options`."""
    return Select(options, value=value, allow_blank=False, id=id)


def _field(*, placeholder: str, id: str) -> Input:
    """A one-line text field whose value may be a file's name or a pasted line: its control
    characters are drawn, the value keeps them."""
    return Input(placeholder=placeholder, id=id, highlighter=CONTROLS_SHOWN)


class JobFields(Vertical):
    """The rows of the form; the screen reads them through `form()` and `file_choice()`."""

    DEFAULT_CSS = "JobFields { height: auto; }"

    def __init__(
        self,
        catalog: Catalog,
        model: str,
        capabilities: Capabilities | None,
        start_path: Path,
    ) -> None:
        super().__init__()
        self.catalog = catalog
        self.model = model
        self.start_path = start_path  # typed paths are relative to the browser's folder
        self.absolute_learning_rate = bool(capabilities and capabilities.absolute_learning_rate)
        self.lora_choice = bool(capabilities and capabilities.lora_choice)
        self.default_note: str | None = None  # the model asked for was not in the list
        self.default_pick = ""  # ... and the one picked instead

    def compose(self) -> ComposeResult:
        today = datetime.date.today()
        models = [(outside_line(model_label(m, today)), m.id) for m in self.catalog.models]
        default = self.model
        if default not in {value for _, value in models}:
            guess = self.catalog.suggestion(default)
            self.default_note = f"{visible_line(default)} is not a model tuner knows" + (
                f"; did you mean {guess}? (picked)" if guess else "; pick one"
            )
            default = guess if guess is not None else models[0][1] if models else ""
            self.default_pick = default
        yield from self._row("Base model", _pick(models, default, "model"))
        train_options = [("Local file (path below)", LOCAL)]
        yield from self._row("Training", _pick(train_options, LOCAL, "train-pick"))
        yield from self._row(
            "  local path", _field(placeholder="path/to/train.jsonl", id="train-path")
        )
        valid_options = [("None", NONE), ("Local file (path below)", LOCAL)]
        yield from self._row("Validation", _pick(valid_options, NONE, "valid-pick"))
        yield from self._row(
            "  local path", _field(placeholder="path/to/valid.jsonl", id="valid-path")
        )
        yield from self._row(
            "Suffix", _field(placeholder="optional, e.g. support-bot", id="suffix")
        )
        methods = [("supervised", "supervised"), ("dpo (preference pairs)", "dpo")]
        yield from self._row("Method", _pick(methods, "supervised", "method"))
        adaptations = [("service's choice", ""), ("LoRA adapter", "lora"), ("full", "full")]
        yield from self._row("Adaptation", _pick(adaptations, "", "adaptation"))
        with Horizontal(classes="row"):
            yield Label("Epochs", classes="field-label")
            yield Input(placeholder="auto", id="epochs", classes="small", compact=True)
            yield Label("Batch", classes="mini-label")
            yield Input(placeholder="auto", id="batch", classes="small", compact=True)
            yield Label("LR ×", classes="mini-label", id="lr-label")
            yield Input(placeholder="auto", id="lr", classes="small", compact=True)
            yield Label("Beta", classes="mini-label", id="beta-label")
            yield Input(placeholder="auto", id="beta", classes="small", compact=True)
        yield from self._row("Seed", _field(placeholder="random", id="seed"))

    def _row(self, label: str, widget: Input | Select[Any]) -> ComposeResult:
        widget.compact = True
        with Horizontal(classes="row"):
            yield Label(label, classes="field-label")
            yield widget

    def on_mount(self) -> None:
        self.query_one("#beta-label").display = False
        self.query_one("#beta").display = False
        absolute = self.absolute_learning_rate
        self.query_one("#lr-label", Label).update("LR" if absolute else "LR ×")
        self.query_one("#lr", Input).tooltip = (
            "learning rate (absolute)" if absolute else "learning-rate multiplier"
        )
        row = self.query_one("#adaptation").parent
        if row is not None:
            row.display = self.lora_choice
        self.sync_paths()

    @on(Select.Changed, "#method")
    def _method_changed(self, event: Select.Changed) -> None:
        dpo = event.value == "dpo"
        self.query_one("#beta-label").display = dpo
        self.query_one("#beta").display = dpo

    def sync_paths(self) -> None:
        """A path field is for typing only while its file is "Local file"."""
        for which in ("train", "valid"):
            pick = self.query_one(f"#{which}-pick", Select).value
            self.query_one(f"#{which}-path").disabled = pick != LOCAL

    def set_file_options(self, listed: list[tuple[str, str]], initial: str | None) -> None:
        """Offer the profile's uploaded files (label, id) besides a local one, keeping what was
        picked; `initial` is a file id to pick."""
        known = {value for _, value in listed}
        # The names are the service's (and the user's files'): shown as they are, never markup.
        uploaded = [(outside_line(label), file_id) for label, file_id in listed]
        train = self.query_one("#train-pick", Select)
        chosen = train.value
        train.set_options([("Local file (path below)", LOCAL), *uploaded])
        if initial:
            train.value = initial
        elif chosen in known:
            train.value = chosen
        valid = self.query_one("#valid-pick", Select)
        chosen_valid = valid.value
        valid.set_options([("None", NONE), ("Local file (path below)", LOCAL), *uploaded])
        if chosen_valid in known or chosen_valid in (NONE, LOCAL):
            valid.value = chosen_valid
        self.sync_paths()

    def value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value

    def typed(self) -> dict[str, str]:
        """What is typed in the fields leaving would lose, by field id."""
        return {widget_id: self.value(widget_id).strip() for widget_id in TYPED}

    def form(self) -> JobForm:
        """The fields as typed; `FormError` for one that is not a valid value comes later, from
        `JobForm` itself."""
        method = str(self.query_one("#method", Select).value)
        adaptation = self.query_one("#adaptation", Select)
        absolute = self.absolute_learning_rate
        return JobForm(
            model=str(self.query_one("#model", Select).value),
            method="dpo" if method == "dpo" else "supervised",
            suffix=self.value("suffix"),
            epochs=self.value("epochs"),
            batch_size=self.value("batch"),
            learning_rate_multiplier="" if absolute else self.value("lr"),
            learning_rate=self.value("lr") if absolute else "",
            beta=self.value("beta"),
            seed=self.value("seed"),
            adaptation=str(adaptation.value) if self.lora_choice else "",
        )

    def typed_path(self, which: str) -> Path | None:
        """The path typed for `which` (train / valid); relative to the browser's folder."""
        text = self.value(f"{which}-path").strip()
        if not text:
            return None
        path = Path(text).expanduser()
        return path if path.is_absolute() else self.start_path / path

    def file_choice(self, which: str) -> FileChoice | None:
        """The file id of an uploaded file, the path of a local one, or None."""
        pick = self.query_one(f"#{which}-pick", Select).value
        if pick == LOCAL:
            return self.typed_path(which)
        if pick == NONE or pick is Select.NULL:
            return None
        return str(pick)
