"""The lines above the jobs list that warn of an end: OpenAI closing fine-tuning, and this
profile's fine-tunes that stop answering within a month.

Each is one line that shows itself only when it has something to say, so the list keeps its
rows when nothing is ending. The dates and the wording come from `tuner.api.deadlines`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from tuner.api.deadlines import (
    NEAR_DAYS,
    OPENAI_FINE_TUNING_CLOSES,
    closes_for,
    days_until,
    jobs_closing_note,
    retirement,
    stopping_soon,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import date

    from tuner.config.service_facts import ServiceFacts
    from tuner.data.catalog.lookup import Catalog


class ClosingLine(Static):
    """How long OpenAI still takes new fine-tuning jobs (and after the date, what its refusal
    means), on a profile of a service it applies to; hidden elsewhere."""

    def show(self, facts: ServiceFacts | None, today: date) -> None:
        """Say it for a service with `facts` (None: no connection) as of `today`."""
        if facts is None or not closes_for(facts):
            self.display = False
            return
        days = days_until(OPENAI_FINE_TUNING_CLOSES, today)
        style = "bold red" if days <= 0 else "bold yellow" if days <= NEAR_DAYS else ""
        self.update(Text(jobs_closing_note(today), style=style))
        self.display = True


class StoppingLine(Static):
    """How many of the listed fine-tunes stop answering within a month, when, and the keys
    that keep what they know (back up, record, move); hidden when none does."""

    def show(
        self, models: Iterable[str], catalog: Catalog, today: date, dates: Mapping[str, date]
    ) -> None:
        """Say it for the fine-tuned `models`, their last days from `dates` (the service's)
        or `catalog`, as of `today`."""
        ends = [
            found
            for model in sorted(set(models))
            if (found := retirement(model, catalog, today, dates)) is not None
        ]
        said = stopping_soon(ends)
        self.display = said is not None
        if said is not None:
            self.update(Text(said, style="bold yellow"))
