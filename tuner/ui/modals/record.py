"""`r` on a fine-tune: its answers recorded as a golden file before the model stops answering.

After a fine-tune's shutdown the only evidence of what it did is what was kept. The dialog runs
the same code as `tuner eval record` (`tuner.api.eval.record.record_golden`): the job's
validation file (else its training file), fetched once into tuner's data folder, is sent prompt
by prompt to the fine-tune, and its replies become the last assistant turns of a valid chat
JSONL beside a `.meta.json`. Nothing is asked before the estimate is shown and enter says yes.
Replies go through the evaluation's reply cache, so escape mid-way loses nothing: `r` again
finishes from where it stopped, paying only for what was not asked.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import var
from textual.screen import ModalScreen
from textual.widgets import Input, Label, ProgressBar, Static

from tuner.data.fit_text import short_path
from tuner.data.wording import plural
from tuner.ui.app_protocol import TunerHost, app_host
from tuner.ui.failures import WorkFailed, fails_as
from tuner.ui.outside import CONTROLS_SHOWN, outside

if TYPE_CHECKING:
    from tuner.api.eval.plan import EvalEstimate
    from tuner.api.eval.record import Recording
    from tuner.api.eval.reply_cache import ReplyCache
    from tuner.api.eval.session import PreparedEval
    from tuner.api.eval.targets import EvalServices
    from tuner.api.types import Job


def golden_name(job: Job) -> str:
    """`ftjob-abc.golden.jsonl`: one per job, so a second `r` finds the first one's file."""
    return f"{job.id}.golden.jsonl"


@dataclass
class Prepared(Message):
    """The file is here and priced: what to show before asking."""

    prepared: PreparedEval
    estimate: EvalEstimate
    source: Path
    which: str  # "validation" or "training"


@dataclass
class Recorded(Message):
    recording: Recording


@dataclass
class Progressed(Message):
    done: int
    total: int


class PrepareFailed(WorkFailed):
    """The job's file could not be fetched or priced: nothing was asked."""

    DOING = "preparing"


class RecordingFailed(WorkFailed):
    """The recording stopped on an error; what was asked stays in the reply cache."""

    DOING = "recording"


def estimate_text(model: str, prepared: PreparedEval, estimate: EvalEstimate, which: str) -> str:
    """What the user reads before saying yes."""
    from tuner.api.eval.plan import estimate_lines

    examples = plural(len(prepared.plan.examples), "prompt")
    lines = [f"{model}'s replies to the {examples} of the job's {which} file, kept as a chat"]
    lines.append("JSONL that outlives the model (and trains the next one):")
    label = prepared.plan.targets[0].label  # named in full above: the fine-tune, here
    lines += estimate_lines(estimate, {label: "the fine-tune"})
    return "\n".join(lines)


class RecordModal(ModalScreen["Path | None"]):
    """Returns the golden file written, or None when none was."""

    CSS_PATH = "modals.tcss"
    CSS = """
    RecordModal { align: center middle; }
    RecordModal .dialog { width: 76; height: auto; }
    RecordModal ProgressBar { margin-top: 1; }
    RecordModal #record-status { margin-top: 1; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Stop / close", id="record.cancel"),
    ]

    # The file fetched and priced (None: not yet): once here, its estimate is shown and the path
    # field takes a name. While `running` the field is fixed and the progress bar shows; escape
    # stops the recording, and quitting asks first (`work_in_flight`).
    prepared: var[Prepared | None] = var(None, init=False)
    running: var[bool] = var(False, init=False)

    def __init__(self, job: Job, profile: str | None, folder: Path) -> None:
        super().__init__()
        self.job = job
        self.profile = profile
        self.model = job.fine_tuned_model or ""
        self.out = folder / golden_name(job)
        self.written: Path | None = None
        self._services: EvalServices | None = None
        self._cache: ReplyCache | None = None

    @property
    def tuner(self) -> TunerHost:
        return app_host(self.app)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = "Record the model's answers"
            yield Static(outside(f"Fetching {self.job.id}'s files…"), id="record-plan")
            yield Label("Write to (enter records):", classes="question")
            yield Input(str(self.out), id="record-out", highlighter=CONTROLS_SHOWN, disabled=True)
            yield ProgressBar(id="record-bar", show_eta=False)
            yield Static("", id="record-status")

    def on_mount(self) -> None:
        self.query_one(ProgressBar).display = False
        self._prepare()

    async def on_unmount(self) -> None:
        if self._cache is not None:
            self._cache.close()
        if self._services is not None:
            await self._services.close()

    # -- before anything is asked ------------------------------------------------------------

    @work(exclusive=True, group="record", exit_on_error=False)
    @fails_as(PrepareFailed)  # every failure is said in the dialog, never a traceback
    async def _prepare(self) -> None:
        from tuner.api.eval.job_source import JobSourceError, job_source
        from tuner.api.eval.plan import estimate_eval
        from tuner.api.eval.reply_cache import ReplyCache
        from tuner.api.eval.session import EvalChoices, prepare_eval
        from tuner.api.eval.targets import target_label

        service = self.tuner.session.service()
        # The validation file when the job has one (held out: the truest record of the
        # model), else the training file's prompts.
        has_validation = bool(self.job.validation_file)
        source = await job_source(service, self.job.id, need_validation=has_validation)
        copy = source.validation or source.training
        if copy is None:
            raise JobSourceError(f"{self.job.id} names no file to take prompts from")
        which = "validation" if source.validation is not None else "training"
        self._services = self.tuner.eval_services()
        label = target_label(self.model, self.profile)
        choices = EvalChoices(file=copy.path, models=(label,))
        prepared = await prepare_eval(choices, self._services)
        self._cache = ReplyCache()
        estimate = await asyncio.to_thread(estimate_eval, prepared.plan, self._cache)
        self.post_message(Prepared(prepared, estimate, copy.path, which))

    @on(Prepared)
    def _prepared(self, message: Prepared) -> None:
        self.prepared = message

    def watch_prepared(self, prepared: Prepared | None) -> None:
        if prepared is None:
            return
        plan = estimate_text(self.model, prepared.prepared, prepared.estimate, prepared.which)
        self.query_one("#record-plan", Static).update(outside(plan))
        self._offer_field()
        self.query_one(Input).focus()
        if self.out.exists():
            self._status(
                f"{short_path(self.out)} exists (recorded before): enter another name to record "
                "again, or esc"
            )

    # -- recording ---------------------------------------------------------------------------

    @on(Input.Submitted)
    def _start(self, event: Input.Submitted) -> None:
        event.stop()
        if self.running or self.prepared is None:
            return
        text = event.value.strip()
        if not text:
            self._status("Type the path of the golden file to write")
            return
        out = Path(text).expanduser()
        if out.exists():
            self._status(f"{short_path(out)} exists: enter another name, or esc")
            return
        self.out = out
        self.running = True
        self._record(self.prepared)

    def watch_running(self, running: bool) -> None:
        self._offer_field()
        if running:
            assert self.prepared is not None  # recording starts only once it is here
            bar = self.query_one(ProgressBar)
            bar.display = True
            bar.update(total=len(self.prepared.prepared.plan.examples), progress=0)
            self._status("Recording…")

    def _offer_field(self) -> None:
        """The path field takes a name once the file is priced, until a recording starts; after
        a failed one it takes another (or the same) name, after a finished one escape closes."""
        may_record = self.prepared is not None and not self.running and self.written is None
        self.query_one(Input).disabled = not may_record

    @work(exclusive=True, group="record", exit_on_error=False)
    @fails_as(RecordingFailed)  # said in the dialog; what was asked stays in the cache
    async def _record(self, prepared: Prepared) -> None:
        from tuner.api.eval.record import record_golden

        recording = await record_golden(
            prepared.prepared.plan,
            self.out,
            source=prepared.source,
            cache=self._cache,
            on_progress=lambda done, total: self.post_message(Progressed(done, total)),
        )
        self.post_message(Recorded(recording))

    @on(Progressed)
    def _progressed(self, message: Progressed) -> None:
        self.query_one(ProgressBar).update(total=message.total, progress=message.done)
        self._status(f"Recording: {message.done}/{message.total}")

    @on(Recorded)
    def _recorded(self, message: Recorded) -> None:
        recording = message.recording
        self.written = recording.golden  # before `running` ends: the field stays fixed
        self.running = False
        money = "price unknown" if recording.dollars is None else f"${recording.dollars:,.4f}"
        lines = [
            f"Recorded {plural(recording.written, 'reply', 'replies')} "
            f"({recording.cached:,} from the cache, {money}) in",
            short_path(recording.golden),
        ]
        if recording.failed:
            lines.append(
                f"{plural(len(recording.failed), 'prompt')} failed and were left out "
                f"(first: line {recording.failed[0][0]}): r again asks only those."
            )
        lines.append(
            "`tuner eval FILE --reference` with this file grades a new model against these "
            "answers, after this one is gone. esc closes"
        )
        self._status("\n".join(lines))

    @on(PrepareFailed)
    def _prepare_failed(self, failed: PrepareFailed) -> None:
        self._status(f"Not recorded ({failed.doing}): {failed.reason}")

    @on(RecordingFailed)
    def _recording_failed(self, failed: RecordingFailed) -> None:
        self.running = False
        self._status(
            f"Not recorded ({failed.doing}): {failed.reason}\n"
            "what was asked is kept: r again goes on"
        )
        self.query_one(Input).focus()  # another name can be typed at once

    def _status(self, text: str) -> None:
        self.query_one("#record-status", Static).update(outside(text))

    def work_in_flight(self) -> list[str]:
        """Quitting now stops the recording (the replies asked so far are kept)."""
        return ["the recording in progress (its replies so far are kept)"] if self.running else []

    def action_cancel(self) -> None:
        """Escape stops a recording (its replies stay cached for the next `r`) and closes."""
        if self.running:
            self.workers.cancel_group(self, "record")
        self.dismiss(self.written)
