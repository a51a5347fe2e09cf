"""The job screen's status line alone: what it says on the log and on the checkpoints, and that
a model's name from the service is drawn as text."""

from __future__ import annotations

from tests.helpers import host_app
from tuner.ui.widgets.job_line import JobLine

BASE = "gpt-4o-mini-2024-07-18"
MODEL = f"ft:{BASE}:org:bot:AbC:ckpt-step-3"


async def test_the_log_line_says_what_comes_next() -> None:
    line = JobLine()
    async with host_app(line).run_test(size=(100, 3)):

        def said(*, following: bool = True, moved: bool = False, finished: bool = False) -> str:
            line.show_log(
                shown=1, showing="all", following=following, moved=moved, finished=finished
            )
            return str(line.render())

        assert said() == "1 event · showing all (t) · auto-scroll on · 1/2/3: log/chart/checkpoints"
        assert "paused: end or F to follow" in said(following=False)
        assert said(finished=True).endswith("1/2/3: tabs · m: move to another service")
        assert said(moved=True).endswith("E compares it with the original once trained")


async def test_the_checkpoints_line_names_the_model_o_opens() -> None:
    line = JobLine()
    async with host_app(line).run_test(size=(100, 3)):
        line.show_checkpoints(MODEL, BASE, deployment=False)
        assert str(line.render()).startswith("o chats with bot:AbC:ckpt-step-3 · ")
        line.show_checkpoints(MODEL, BASE, deployment=True)
        assert "then o chats with the deployment" in str(line.render())
        line.show_checkpoints(None, BASE, deployment=False)
        assert str(line.render()).startswith("no model to chat with · ")
        line.show_checkpoints(f"ft:{BASE}:org:\x1b[31mred", BASE, deployment=False)
        assert "\x1b" not in str(line.render())
