"""The job log alone: each event once, the filter, the "new since" divider, follow and pause."""

from __future__ import annotations

from tests.helpers import collector, host_app
from tuner.api.jobs.metrics import MetricPoint
from tuner.api.types import JobEvent
from tuner.ui.widgets.event_log import EventLog


def event(n: int, *, metrics: bool = False, level: str = "info") -> JobEvent:
    point = MetricPoint(step=n, train_loss=1.0 / n) if metrics else None
    kind = "metrics" if metrics else "message"
    return JobEvent(f"ev-{n}", 1_700_000_000 + n, level, f"event {n}", kind, point)


async def test_each_event_once_and_the_filter_redraws() -> None:
    log = EventLog()
    app = host_app(log)
    async with app.run_test(size=(80, 20)) as pilot:
        for n in range(1, 7):
            assert log.add(event(n, metrics=n % 2 == 0))
        assert not log.add(event(3))  # already shown
        await pilot.pause()
        assert len(log.events) == 6 and len(log.lines) == 6
        log.set_filter("metrics")
        assert log.shown_ids == ["ev-2", "ev-4", "ev-6"] and len(log.lines) == 3
        log.set_filter("messages")
        assert log.shown_ids == ["ev-1", "ev-3", "ev-5"]
        log.set_filter("all")
        assert len(log.lines) == 6


async def test_a_divider_marks_what_is_new_since_the_last_visit() -> None:
    log = EventLog()
    log.seen_until = "ev-2"
    app = host_app(log)
    async with app.run_test(size=(80, 20)):
        for n in range(1, 5):
            log.add(event(n))
        texts = [strip.text for strip in log.lines]
        assert "new since your last visit" in texts[2]
        assert texts[3].endswith("event 3")


async def test_scrolling_up_pauses_following_and_follow_resumes() -> None:
    log = EventLog()
    app = host_app(log)
    hook, changes = collector(EventLog.FollowChanged)
    async with app.run_test(size=(80, 8), message_hook=hook) as pilot:
        for n in range(1, 40):
            log.add(event(n, level="warn" if n == 5 else "info"))
        await pilot.pause()
        log.action_page_up()
        assert not log.following
        log.follow()
        assert log.following
        await pilot.pause()
        assert [c.following for c in changes][-2:] == [False, True]
