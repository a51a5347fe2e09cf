"""The replay line: which line of which file, its state, and why it waits when retrying."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import host_app
from tuner.api.chat.compare import ReplayGroup
from tuner.api.chat.replay import LineFinished, LineRetrying, LineStarted, PromptLine, PromptReplay
from tuner.api.chat.request import ChatDone, ChatRequest
from tuner.api.errors import ErrorKind, ServiceError
from tuner.ui.widgets.replay_status import ReplayStatus


def replay(lines: int) -> ReplayGroup:
    async def never(request: ChatRequest):  # pragma: no cover - nothing is sent here
        yield ChatDone("", None, None, None)

    player = PromptReplay(None, [f"q{n}" for n in range(lines)], ChatRequest("m"), streamer=never)
    return ReplayGroup([player])


async def test_progress_and_keys_follow_the_replay() -> None:
    status = ReplayStatus()
    app = host_app(status)
    async with app.run_test(size=(120, 3)):
        group = replay(3)
        status.load(group, Path("metin.txt"))
        assert status.text() == (
            "replay metin.txt · line 1 of 3 · ready · ctrl+g run · ctrl+n step"
        )
        status.hear(LineStarted(0, 3, PromptLine(1, "q0"), 0))
        error = ServiceError(ErrorKind.RATE_LIMITED, "Rate limited (429)")
        status.hear(LineRetrying(0, 1, 2.0, error))
        assert "line 1: Rate limited (429) · retry 1 in 2.0s" in status.text()
        status.hear(LineFinished(0, 3, ChatDone("a", "stop", 1, 1)))
        assert "line 2 of 3" in status.text()
        status.note("pausing after this line")
        assert "line 2 of 3 · pausing after this line" in status.text()
        status.load(None, None)
        assert status.text() == ""
