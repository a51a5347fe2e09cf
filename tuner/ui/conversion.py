"""Turning a `.json` dataset into JSONL, from wherever the user is looking at one.

The file browser (`C` on a highlighted `.json`) and the dataset screen of a `.json` file (which
says the file must be converted, and offers `C` there) share this flow, so it lives on the app:
ask before overwriting, convert in a thread, report what was skipped, open the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.message import Message

from tuner.data.wording import plural
from tuner.ui.failures import WorkFailed
from tuner.ui.modals import ConfirmModal, ReportModal
from tuner.ui.services import ConversionSummary

if TYPE_CHECKING:
    from tuner.ui.services import Services


@dataclass
class Converted(Message):
    src: Path
    dst: Path
    result: ConversionSummary


class ConversionFailed(WorkFailed):
    """The file could not be converted (unreadable, a full disk); `doing` names the file."""

    DOING = "convert the file"


class ConversionFlow:
    """Mixed into the app: `convert_json(src)` writes `src` as `.jsonl` beside it and opens it."""

    services: Services

    def convert_json(self, src: Path) -> None:
        """Convert `src` (a `.json` file) to `src.jsonl`, asking first if that exists."""
        app: Any = self
        if src.suffix.lower() != ".json":
            app.notify("Highlight a .json file to convert it to JSONL", severity="warning")
            return
        dst = src.with_suffix(".jsonl")
        if dst.exists() or dst.is_symlink():
            question = ConfirmModal(f"{dst.name} already exists. Overwrite it?", yes="Overwrite")
            app.push_screen(question, partial(self._overwrite_answered, src, dst))
        else:
            self._start_conversion(src, dst, force=False)

    def _overwrite_answered(self, src: Path, dst: Path, overwrite: bool | None) -> None:
        if overwrite:
            self._start_conversion(src, dst, force=True)

    def _start_conversion(self, src: Path, dst: Path, *, force: bool) -> None:
        app: Any = self
        app.run_worker(
            partial(self._convert, src, dst, force),
            thread=True,
            group="convert",
            name=f"convert {src.name}",
            exit_on_error=False,
        )

    def _convert(self, src: Path, dst: Path, force: bool) -> None:
        app: Any = self
        try:
            result = self.services.convert(src, dst, force)
        except Exception as error:
            app.post_message(ConversionFailed(error, f"convert {src.name}"))
            return
        app.post_message(Converted(src, dst, result))

    def on_converted(self, message: Converted) -> None:
        """(A mixin's handler goes by name: `@on` registers only on the class it decorates.)"""
        app: Any = self
        src, dst, result = message.src, message.dst, message.result
        written = f"Wrote {plural(result.examples_written, 'example')} to {dst.name}"
        if not result.written:
            summary = f"No example in {src.name} could be converted; {dst.name} was not written."
            app.push_screen(ReportModal("Nothing converted", summary, result.skipped))
        elif result.skipped:
            summary = f"{written}; {len(result.skipped)} could not be converted:"
            app.push_screen(
                ReportModal("Converted with problems", summary, result.skipped),
                lambda _: self._open_converted(dst, result),
            )
        else:
            app.notify(written)
            self._open_converted(dst, result)

    def _open_converted(self, dst: Path, result: ConversionSummary) -> None:
        if result.written and result.examples_written and dst.exists():
            self.open_dataset(dst)  # type: ignore[attr-defined]

    def on_conversion_failed(self, failed: ConversionFailed) -> None:
        """A conversion that failed (an unreadable file, a full disk): one readable line."""
        app: Any = self
        app.notify(f"Could not {failed.doing}: {failed.reason}", severity="error", timeout=10)
