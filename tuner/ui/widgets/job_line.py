"""The job screen's status line: what the shown tab holds and which keys go on from there.

On the Log and Chart tabs it counts the events shown and the filter (`t`), then the most useful
next step: follow again, compare a moved job once trained, or move a finished one. On the
Checkpoints tab it names the model `o` opens (a deployment first on Azure). Model names come
from the service: the line is drawn with `outside_line` only.
"""

from __future__ import annotations

from textual.widgets import Static

from tuner.api.jobs.watch import short_fine_tuned
from tuner.data.wording import plural
from tuner.ui.outside import outside_line


class JobLine(Static):
    """One muted line under the job's tabs."""

    def show_log(
        self, *, shown: int, showing: str, following: bool, moved: bool, finished: bool
    ) -> None:
        """Under the log and the chart: `shown` events of the `showing` filter, then what
        comes next (`moved`: the job is a move's copy; `finished`: nothing more will arrive)."""
        if moved and not finished:
            rest = "E compares it with the original once trained"
        elif finished and following:
            # Nothing more will arrive, so "auto-scroll on" gives way to what comes next.
            rest = "1/2/3: tabs · m: move to another service"
        else:
            follow = "auto-scroll on" if following else "paused: end or F to follow"
            rest = f"{follow} · 1/2/3: log/chart/checkpoints"
        self.update(outside_line(f"{plural(shown, 'event')} · showing {showing} (t) · {rest}"))

    def show_checkpoints(self, model: str | None, base: str | None, deployment: bool) -> None:
        """Under the checkpoints: the `model` `o` chats with (None: no model to chat with),
        named short against its `base`; through a deployment first when the service needs one."""
        if model and deployment:
            opens = f"deploy {short_fine_tuned(model)}, then o chats with the deployment"
        elif model:
            opens = f"o chats with {short_fine_tuned(model, base)}"
        else:
            opens = "no model to chat with"
        self.update(outside_line(f"{opens} · 1/2/3: log/chart/checkpoints"))
