"""The status line that shows the most important running activity, else a summary."""

from __future__ import annotations

from tests.helpers import host_app
from tuner.ui.widgets.activity_line import ActivityLine


async def test_the_most_important_activity_wins_and_the_summary_returns() -> None:
    line = ActivityLine(("upload", "analysis", "scan"), {"analysis": "  (x stops)"})
    app = host_app(line)
    async with app.run_test(size=(80, 3)) as pilot:
        line.show_summary("train.jsonl · 20 lines")
        line.start("scan", "Indexing lines", 1, 10)
        line.start("analysis", "Checking", 2, 10)
        await pilot.pause()
        assert line.text == "Checking  (x stops)" and line.shows("scan")
        line.progress("analysis", 5, 10)
        line.clear("analysis")
        assert line.text == "Indexing lines"
        line.clear("scan")
        line.progress("scan", 9, 10)  # a late progress message after the end: ignored
        assert line.text == "train.jsonl · 20 lines" and not line.shows("scan")
