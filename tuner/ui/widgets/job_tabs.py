"""The job screen's three views of what a job produced: its events (Log), its metrics (Chart)
and its checkpoints.

The screen feeds it what the service sends (a batch of events, the full metrics, the
checkpoints) and asks it what is shown (which tab, which checkpoint is highlighted); the keys
that switch tabs, follow the log, filter it or toggle the chart stay the screen's bindings and
call in here.
"""

from __future__ import annotations

from typing import cast

from textual.widgets import TabbedContent, TabPane

from tuner.api.jobs.watch import EVENT_FILTERS, EventFilter, next_in
from tuner.api.types import Checkpoint, Job, JobEvent, JobStatus
from tuner.ui.widgets.checkpoints_pane import CheckpointsPane
from tuner.ui.widgets.event_log import EventLog
from tuner.ui.widgets.loss_chart import LossChart


class JobTabs(TabbedContent):
    """Log, Chart and Checkpoints, the log shown first."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, initial="log")
        self.compose_add_child(TabPane("Log", EventLog(id="events"), id="log"))
        self.compose_add_child(TabPane("Chart", LossChart(id="loss"), id="chart"))
        pane = CheckpointsPane(id="ckpt-pane")
        self.compose_add_child(TabPane("Checkpoints", pane, id="checkpoints"))

    @property
    def events(self) -> EventLog:
        """The event log (not `log`: that name is Textual's logger on every widget)."""
        return self.query_one("#events", EventLog)

    @property
    def chart(self) -> LossChart:
        return self.query_one("#loss", LossChart)

    @property
    def checkpoints_pane(self) -> CheckpointsPane:
        return self.query_one("#ckpt-pane", CheckpointsPane)

    @property
    def showing_checkpoints(self) -> bool:
        return self.active == "checkpoints"

    def chat_model(self, job: Job | None) -> str | None:
        """The model `o` chats with: the highlighted checkpoint on that tab, else the job's
        result once it succeeded."""
        if self.showing_checkpoints:
            model = self.checkpoints_pane.highlighted_model
            if model is not None:
                return model
        if job is not None and job.status is JobStatus.SUCCEEDED:
            return job.fine_tuned_model
        return None

    def add_events(self, batch: list[JobEvent]) -> list[JobEvent]:
        """Each new event to the log, and its metrics to the chart; the ones that were new."""
        added = [event for event in batch if self.events.add(event)]
        for event in added:
            if event.metrics is not None:
                self.chart.add(event.metrics)
        return added

    def show_checkpoints(self, job: Job, checkpoints: list[Checkpoint]) -> None:
        """The checkpoints as last read, counted in the tab's label."""
        if self.checkpoints_pane.show(job, checkpoints):
            count = len(self.checkpoints_pane.checkpoints)
            self.get_tab("checkpoints").label = f"Checkpoints ({count})"

    def follow(self) -> None:
        """The log, scrolled to its end and following again."""
        self.active = "log"
        self.events.follow()

    def cycle_filter(self) -> None:
        """The log's next filter (all, metrics, messages, …)."""
        self.events.set_filter(cast(EventFilter, next_in(EVENT_FILTERS, self.events.filter)))

    def toggle_accuracy(self) -> None:
        """The chart, switched between loss and token accuracy."""
        self.chart.accuracy = not self.chart.accuracy
        self.active = "chart"
