"""The lines above the jobs list: each shows only when something it warns of is ending."""

from __future__ import annotations

from datetime import date

from tests.helpers import host_app
from tuner.config.service_facts import OPENAI_FACTS, TOGETHER_FACTS
from tuner.data.catalog.choice import default_catalog
from tuner.ui.widgets.deadline_lines import ClosingLine, StoppingLine

TODAY = date(2026, 12, 7)
TUNED = "ft:gpt-4o-mini-2024-07-18:acme:shop:abc123"


async def test_openai_closing_is_said_only_where_it_applies() -> None:
    line = ClosingLine()
    app = host_app(line)
    async with app.run_test():
        line.show(OPENAI_FACTS, TODAY)
        assert line.display and "OpenAI stops taking new fine-tuning jobs" in str(line.render())
        line.show(TOGETHER_FACTS, TODAY)
        assert not line.display
        line.show(None, TODAY)  # no connection
        assert not line.display


async def test_fine_tunes_that_stop_answering_within_a_month() -> None:
    line = StoppingLine()
    app = host_app(line)
    catalog = default_catalog()
    async with app.run_test():
        soon = {"gpt-4o-mini-2024-07-18": date(2026, 12, 17)}
        line.show([TUNED, TUNED], catalog, TODAY, soon)  # the same model twice counts once
        said = str(line.render())
        assert line.display and said.startswith("1 fine-tune stops answering in 10 days")
        later = {"gpt-4o-mini-2024-07-18": date(2027, 6, 1)}
        line.show([TUNED], catalog, TODAY, later)
        assert not line.display
