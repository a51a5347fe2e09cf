"""The file analysis alone: it says its progress on the status line it is given, `running`
follows it, a stop ends it, and the report arrives as `Done`."""

from __future__ import annotations

import threading
from functools import partial
from pathlib import Path
from typing import Any

from tests.helpers import collector, host_app, wait_until
from tuner.ui.services import default_analyser
from tuner.ui.widgets.activity_line import ActivityLine
from tuner.ui.widgets.file_analysis import FileAnalysis

ROW = (
    '{"messages": [{"role": "user", "content": "Soru"}, '
    '{"role": "assistant", "content": "Cevap"}]}\n'
)


async def test_running_follows_the_analysis_and_a_stop_ends_it(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text(ROW * 3, encoding="utf-8")
    started = threading.Event()
    stopped = threading.Event()

    def held(model: str, *, cancel: threading.Event, **kwargs: Any) -> Any:
        started.set()
        cancel.wait(10)
        stopped.set()
        raise RuntimeError("not reached by the screen: a stopped analysis is no failure")

    status = ActivityLine(("analysis",))
    analysis = FileAnalysis(status)
    hook, seen = collector(FileAnalysis.Done, FileAnalysis.Failed)
    app = host_app(status, analysis)
    async with app.run_test(size=(80, 5), message_hook=hook) as pilot:
        analysis.start(held, "gpt-4o-mini-2024-07-18", None)
        await wait_until(pilot, started.is_set)
        assert analysis.running and status.shows("analysis")
        assert "Checking and counting tokens" in status.text
        analysis.stop()
        await wait_until(pilot, stopped.is_set)
        assert not analysis.running and not status.shows("analysis")

        analyse = partial(default_analyser, path)
        analysis.start(analyse, "gpt-4o-mini-2024-07-18", 2)
        await wait_until(pilot, lambda: any(isinstance(m, FileAnalysis.Done) for m in seen))
        await wait_until(pilot, lambda: not analysis.running)
        assert not status.shows("analysis")
        heard = {id(m): m for m in seen}  # a message is heard at each pump it bubbles through
        assert len(heard) == 1  # the stopped one failed nothing
        (done,) = heard.values()
        assert isinstance(done, FileAnalysis.Done)
        assert done.report.examples == 3 and done.report.epochs == 2
