"""A worker that fails posts a typed message its owner handles; a cancelled one posts nothing.

A tiny host app owns the workers, so what is tested is `fails_as` and `WorkFailed` alone; the
screens' own failure lines are tested with each screen.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from textual import work
from textual.app import App
from textual.widgets import Static

from tests.helpers import settle, wait_until
from tuner.ui.failures import WorkFailed, describe_error, fails_as


class CountFailed(WorkFailed):
    DOING = "count the lines"


class SaveFailed(WorkFailed):
    DOING = "save the file"


class CheckFailed(WorkFailed):
    """Keeps which file was being checked: the worker's argument."""

    def __init__(self, error: Exception, name: str) -> None:
        super().__init__(error, f"check {name}")
        self.name = name

    @classmethod
    def of_call(cls, error: Exception, name: str) -> CheckFailed:
        return cls(error, name)


def signals_exit(method: Callable[[Worksite], None]) -> Callable[[Worksite], None]:
    """Set `exited` once everything under it (`fails_as` included) has returned."""

    @functools.wraps(method)
    def run(site: Worksite) -> None:
        try:
            method(site)
        finally:
            site.exited.set()

    return run


class Worksite(Static):
    """Runs work that fails, and keeps the failures it is told of."""

    def __init__(self) -> None:
        super().__init__()
        self.failed: list[WorkFailed] = []
        self.release = threading.Event()
        self.started = threading.Event()
        self.exited = threading.Event()

    @work(exclusive=True, group="count", exit_on_error=False)
    @fails_as(CountFailed)
    async def count(self) -> None:
        raise OSError(2, "No such file or directory", "train.jsonl")

    @work(thread=True, group="save", exit_on_error=False)
    @fails_as(SaveFailed)
    def save(self) -> None:
        raise ValueError("the disk is full")

    @work(thread=True, group="save", exit_on_error=False)
    @signals_exit
    @fails_as(SaveFailed)
    def save_until_cancelled(self) -> None:
        self.started.set()
        self.release.wait(30)
        raise ValueError("raised on the way out, after the cancel")

    @work(thread=True, group="check", exit_on_error=False)
    @fails_as(CheckFailed)
    def check(self, name: str) -> None:
        raise OSError(13, "Permission denied", name)

    def on_count_failed(self, failed: CountFailed) -> None:
        self.failed.append(failed)

    def on_check_failed(self, failed: CheckFailed) -> None:
        self.failed.append(failed)

    def on_save_failed(self, failed: SaveFailed) -> None:
        self.failed.append(failed)


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.heard: list[WorkFailed] = []

    def compose(self) -> Any:
        yield Worksite()

    def on_count_failed(self, failed: CountFailed) -> None:
        self.heard.append(failed)  # a failure does not bubble past the one who ran the work


async def test_a_failing_worker_posts_its_own_message_with_the_error() -> None:
    app = Host()
    async with app.run_test() as pilot:
        site = app.query_one(Worksite)
        site.count()
        site.save()
        await settle(pilot)
        await wait_until(pilot, lambda: len(site.failed) == 2)
        by_type = {type(f): f for f in site.failed}
        count, save = by_type[CountFailed], by_type[SaveFailed]
        assert isinstance(count.error, OSError)
        assert count.doing == "count the lines"
        assert count.reason == describe_error(count.error) == "no such file or directory"
        assert (save.doing, save.reason) == ("save the file", "the disk is full")
        assert app.heard == []


async def test_a_failure_can_say_what_exactly_was_being_done() -> None:
    failed = SaveFailed(ValueError("x"), "save train.jsonl")
    assert failed.doing == "save train.jsonl"
    assert not failed.bubble


async def test_a_failure_keeps_what_it_needs_of_the_call_that_failed() -> None:
    app = Host()
    async with app.run_test() as pilot:
        site = app.query_one(Worksite)
        site.check("train.jsonl")
        await wait_until(pilot, lambda: len(site.failed) == 1)
        (failed,) = site.failed
        assert isinstance(failed, CheckFailed) and failed.name == "train.jsonl"
        assert (failed.doing, failed.reason) == ("check train.jsonl", "permission denied")


async def test_a_cancelled_worker_has_not_failed() -> None:
    app = Host()
    async with app.run_test() as pilot:
        site = app.query_one(Worksite)
        worker = site.save_until_cancelled()
        await wait_until(pilot, site.started.is_set)
        worker.cancel()
        site.release.set()
        await wait_until(pilot, site.exited.is_set)
        await settle(pilot)
        assert site.failed == []


def test_no_ui_module_reads_a_failure_from_a_worker_state() -> None:
    """Failures reach screens only as `WorkFailed` messages: a handler that reads a worker's
    state for its error would sort failures by worker again (a cancellation may still be read:
    a thread worker is never told of it)."""
    from pathlib import Path

    ui = Path(__file__).resolve().parents[2] / "tuner" / "ui"
    readers = [
        str(path.relative_to(ui))
        for path in sorted(ui.rglob("*.py"))
        if "WorkerState.ERROR" in (text := path.read_text(encoding="utf-8"))
        or "worker.error" in text
    ]
    assert readers == []
