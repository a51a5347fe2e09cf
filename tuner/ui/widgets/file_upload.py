"""Uploading one training file from its screen: asked about first where a user would want to be,
then sent with progress.

The dataset screen's `u` (and the browser's, through it). A second copy of a file uploaded
already, or a file with errors the service will likely refuse, is sent only after a yes
(`ConfirmModal`). The upload itself is `upload_checked` (which reuses an identical file the
service holds) in an async worker owned by this widget, so leaving the screen cancels it. The
widget draws nothing: it posts `Started`, `Progressed`, `Done` and `Failed`, and its screen says
them on its status line.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.message import Message
from textual.widget import Widget

from tuner.data.visible_text import visible_line
from tuner.data.wording import plural
from tuner.ui.failures import WorkFailed, fails_as
from tuner.ui.modals import ConfirmModal

if TYPE_CHECKING:
    from tuner.api.service import FineTuningService
    from tuner.data.analysis.report import AnalysisReport
    from tuner.ui.widgets.activity_line import ActivityLine


class FileUpload(Widget):
    """The upload of the file at `path` through the service `opened` gives; `file_id` once
    uploaded (or found identical on the service)."""

    DEFAULT_CSS: ClassVar[str] = "FileUpload { display: none; }"

    class Progressed(Message):
        """`sent` of `total` bytes; each one supersedes the previous."""

        def __init__(self, sent: int, total: int) -> None:
            super().__init__()
            self.sent = sent
            self.total = total

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, FileUpload.Progressed)

    @dataclass
    class Done(Message):
        file_id: str
        said: str = ""  # what a reused upload says ("reusing file-... (uploaded ..., identical)")

    class _Failed(WorkFailed):
        DOING = "upload the file"

    def __init__(
        self,
        path: Path,
        opened: Callable[[], Awaitable[FineTuningService]],
        status: ActivityLine,
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.path = path
        self.opened = opened
        self.status = status
        self.file_id: str | None = None
        self.running = False

    def start(self, report: AnalysisReport | None) -> None:
        """Upload, asking first about a second copy (then nothing is reused: another copy, on
        purpose) and about a file whose analysis `report` found errors."""
        if self.running:
            self.notify("An upload is already running")
            return
        if self.file_id is None:
            self._check_then_upload(report, reuse=True)
            return
        question = f"{self.path.name} was uploaded already, as {self.file_id}. Upload another copy?"

        def again(yes: bool | None) -> None:
            if yes:  # another copy, on purpose: not the one the service holds
                self.file_id = None
                self._check_then_upload(report, reuse=False)

        self.app.push_screen(ConfirmModal(question, title="Upload", yes="Upload"), again)

    def _check_then_upload(self, report: AnalysisReport | None, *, reuse: bool) -> None:
        """Upload, after asking when the file has errors. `reuse`: an identical file the
        service holds from an earlier upload is the answer (`upload_checked`)."""
        if report is not None and not report.valid:
            question = (
                f"{self.path.name} has {plural(report.error_count, 'error')}; the service "
                "will likely refuse it. Upload anyway?"
            )

            def answered(yes: bool | None) -> None:
                if yes:
                    self._send(report, force=True, reuse=reuse)

            self.app.push_screen(ConfirmModal(question, title="Upload", yes="Upload"), answered)
            return
        self._send(report, force=False, reuse=reuse)

    def _send(self, report: AnalysisReport | None, *, force: bool, reuse: bool) -> None:
        self.running = True
        self.status.start("upload", f"Uploading {self.path.name}")
        self._upload(report, force, reuse)

    @work(exclusive=True, group="upload", exit_on_error=False)
    @fails_as(_Failed)
    async def _upload(self, report: AnalysisReport | None, force: bool, reuse: bool) -> None:
        from tuner.api.files.checked_upload import upload_checked

        def progress(sent: int, total: int) -> None:
            self.post_message(self.Progressed(sent, total))

        uploaded = await upload_checked(
            await self.opened(),
            self.path,
            force=force,
            progress=progress,
            report=report,
            reuse=reuse,
        )
        said = uploaded.describe(Path(self.path.name)) if uploaded.reused else ""
        self.post_message(self.Done(uploaded.id, said))

    @on(Progressed)
    def _progressed(self, event: Progressed) -> None:
        self.status.progress("upload", event.sent, event.total)

    @on(Done)
    def _done(self, message: Done) -> None:
        """Said once it is done; the message goes on to the screen, whose status line names
        the file's id from now on."""
        self.running = False
        self.file_id = message.file_id
        self.status.clear("upload")
        said = message.said[:1].upper() + message.said[1:] if message.said else ""
        done = said or f"Uploaded {self.path.name} as {message.file_id}"
        self.notify(visible_line(f"{done} (J: new job)"), title="Upload", markup=False)

    def on_file_upload__failed(self, failed: _Failed) -> None:
        self.running = False
        self.status.clear("upload")
        self.notify(f"Upload failed: {failed.reason}", severity="error")
