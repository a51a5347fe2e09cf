"""One chat column alone, fed replay events by hand: the reply grows piece by piece as deltas
arrive, retries start it again, failures and skips are marked. No network: the events are what
a replay would post."""

from __future__ import annotations

from tests.helpers import host_app, wait_until
from tuner.api.chat.replay import (
    LineDelta,
    LineFailed,
    LineFinished,
    LineRetrying,
    LineSkipped,
    LineStarted,
    PromptLine,
)
from tuner.api.chat.request import ChatDone
from tuner.api.errors import ErrorKind, ServiceError
from tuner.data.catalog.choice import default_catalog
from tuner.ui.widgets.chat_pane import ChatPane

MODEL = "ft:gpt-4o-mini-2024-07-18:org:bot:x1"


async def test_a_reply_grows_with_each_delta_then_is_priced() -> None:
    pane = ChatPane(default_catalog())
    app = host_app(pane)
    async with app.run_test(size=(80, 24)) as pilot:
        await pane.reset(MODEL)
        pane.post_message(ChatPane.Event(LineStarted(0, 1, PromptLine(1, "Hi?"), 0)))
        await wait_until(pilot, lambda: pane.replies() and pane.streaming)
        reply = pane.replies()[0]
        text = ""
        for piece in ("Hello", " there", ", friend."):
            text += piece
            pane.post_message(ChatPane.Event(LineDelta(0, piece)))
            await wait_until(pilot, lambda t=text: reply.body.source == t)
        done = ChatDone(text, "stop", 12, 4, MODEL)
        pane.post_message(ChatPane.Event(LineFinished(0, 1, done)))
        await wait_until(pilot, lambda: not pane.streaming)
        status = str(reply.query_one(".status").render())
        assert "12 in · 4 out" in status and "$" in status
        assert "1 turn" in str(pane.query_one(".pane-title").render())


async def test_a_retry_starts_the_reply_again_and_a_failure_is_marked() -> None:
    pane = ChatPane(default_catalog())
    app = host_app(pane)
    error = ServiceError(ErrorKind.RATE_LIMITED, "Rate limited (429)")
    async with app.run_test(size=(80, 24)) as pilot:
        await pane.reset("gpt-4o-mini")
        line = PromptLine(1, "one")
        for event in (
            LineStarted(0, 2, line, 0),
            LineDelta(0, "half a rep"),
            LineRetrying(0, 1, 0.5, error),
            LineStarted(0, 2, line, 1),
        ):
            pane.post_message(ChatPane.Event(event))
        await wait_until(pilot, lambda: pane.replies() and pane.streaming)
        reply = pane.replies()[0]
        await wait_until(pilot, lambda: reply.text == "" and reply.body.source == "")
        assert len(pane.replies()) == 1  # the retry reuses the same reply
        pane.post_message(ChatPane.Event(LineFailed(0, error)))
        await wait_until(pilot, lambda: reply.has_class("-failed"))
        assert "failed, skipped: Rate limited (429)" in str(reply.query_one(".status").render())
        pane.post_message(ChatPane.Event(LineSkipped(1)))
        await wait_until(pilot, lambda: pane.query(".note"))
        assert "line 2 skipped" in str(pane.query(".note").last().render())


async def test_a_problem_takes_the_pane_until_it_is_gone() -> None:
    pane = ChatPane(default_catalog())
    async with host_app(pane).run_test(size=(80, 24)):
        await pane.reset(MODEL)
        await pane.show_problem("no key: s opens settings")
        notes = [str(note.render()) for note in pane.query(".note")]
        assert notes == ["no key: s opens settings"] and pane.model is None
        await pane.show_problem("no key: s opens settings")  # said once, however often asked
        assert len(pane.query(".note")) == 1
        await pane.show_problem(None)
        assert [str(note.render()) for note in pane.query(".note")] == [
            "connected: ctrl+o picks a model"
        ]
