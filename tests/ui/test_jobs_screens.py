"""The jobs list, the job screen and the new-job form, driven against the emulator.

The emulator runs fast (or nearly frozen, moved with `advance`, where a test needs a job to
stay running); `Services(poll_scale=...)` shrinks every poll interval to match. Waiting is
`wait_until`: short pilot pauses until a condition holds, with a deadline, never a fixed sleep;
"nothing happened" is checked once the work that could have done it has finished.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList

from tests.helpers import (
    TEST_KEY,
    active_connection,
    notices,
    open_test_service,
    screen_lines,
    start_job,
    wait_until,
    write_examples,
)
from tuner.api.jobs.follower import FollowState
from tuner.api.types import JobStatus
from tuner.emulator import Emulator, Fault
from tuner.ui.app import TunerApp, make_app
from tuner.ui.modals import ConfirmModal
from tuner.ui.screens.job import JobScreen
from tuner.ui.screens.jobs import JobsScreen
from tuner.ui.screens.new_job import NewJobScreen
from tuner.ui.services import MemorySettingsStore, Services
from tuner.ui.session import ActiveConnection
from tuner.ui.widgets.job_header import JobHeader


def write_jsonl(path: Path, count: int) -> Path:
    return write_examples(path, count, system=False)


@pytest.fixture
def emu() -> Any:
    with Emulator(speed=500, api_key=TEST_KEY) as emulator:
        yield emulator


@pytest.fixture
def slow_emu() -> Any:
    """Nearly frozen: jobs move only when the test calls `advance`."""
    with Emulator(speed=0.001, api_key=TEST_KEY) as emulator:
        yield emulator


def jobs_app(root: Path, emulator: Emulator | None, **services: Any) -> TunerApp:
    services.setdefault("poll_scale", 0.01)
    active = (
        active_connection(emulator) if emulator else ActiveConnection("no profile", problem="none")
    )
    return make_app(
        root,
        services=Services(settings_store=MemorySettingsStore(), **services),
        connection=active,
    )


async def open_job_screen(app: TunerApp, pilot: Pilot[Any], job_id: str) -> JobScreen:
    """Open `job_id` the way the jobs list does and return its screen once it is shown."""
    app.open_job(job_id)
    await wait_until(pilot, lambda: isinstance(app.screen, JobScreen))
    screen = app.screen
    assert isinstance(screen, JobScreen)
    return screen


def server_ids(emulator: Emulator, job_id: str) -> list[str]:
    return [event["id"] for event in emulator.server_events(job_id)]


def finished(screen: JobScreen) -> bool:
    return screen.follow_status is not None and screen.follow_status.state is FollowState.FINISHED


def count_bells(app: TunerApp) -> list[int]:
    rung: list[int] = []
    app.bell = lambda: rung.append(1)  # type: ignore[method-assign]
    return rung


def running_workers(screen: Any, group: str) -> list[Any]:
    return [w for w in screen.workers if w.group == group and not w.is_finished]


# -- the jobs list ---------------------------------------------------------------------------------


async def test_no_profile_says_so(tmp_path: Path) -> None:
    app = jobs_app(tmp_path, None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("j")
        await wait_until(pilot, lambda: isinstance(app.screen, JobsScreen))
        await pilot.pause()
        message = str(app.screen.query_one("#jobs-message").render())
        assert "No profile: press s for settings" in message
        await pilot.press("n")  # no crash, a notice
        await pilot.pause()
        assert isinstance(app.screen, JobsScreen)


async def test_list_pages_filters_and_opens(tmp_path: Path, emu: Emulator) -> None:
    train = write_jsonl(tmp_path / "train.jsonl", 12)
    bad = write_jsonl(tmp_path / "small.jsonl", 3)
    ids = [await start_job(emu, train) for _ in range(22)]
    failing = await start_job(emu, bad)
    emu.advance(3600)  # everything finished
    app = jobs_app(tmp_path, emu)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("j")
        await wait_until(pilot, lambda: isinstance(app.screen, JobsScreen))
        screen = app.screen
        assert isinstance(screen, JobsScreen)
        await wait_until(pilot, lambda: screen.table.row_count == 20)
        assert screen.jobs.has_more
        assert screen.selected_job_id() == failing  # newest first
        # Reaching the last row loads the older page.
        screen.table.focus()
        await pilot.press("ctrl+end")
        await wait_until(pilot, lambda: screen.table.row_count == 23)
        assert set(screen.jobs.jobs) == {*ids, failing}
        await pilot.press("t", "t", "t")  # all -> active -> succeeded -> failed
        await wait_until(pilot, lambda: screen.status_filter == "failed")
        assert screen.table.row_count == 1
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, JobScreen))
        assert app.screen.job_id == failing  # type: ignore[attr-defined]


async def test_the_footer_follows_the_highlighted_job(tmp_path: Path, emu: Emulator) -> None:
    """`E Eval` is offered while the highlighted job made a model, and leaves the footer when
    the status filter leaves no job to highlight (it used to stay, doing nothing)."""
    job_id = await start_job(emu, write_jsonl(tmp_path / "train.jsonl", 12))
    emu.advance(3600)  # trained: it made a model
    app = jobs_app(tmp_path, emu)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("j")
        await wait_until(pilot, lambda: isinstance(app.screen, JobsScreen))
        screen = app.screen
        assert isinstance(screen, JobsScreen)
        await wait_until(pilot, lambda: screen.selected_job_id() == job_id)
        await wait_until(pilot, lambda: "E Eval" in screen_lines(app)[-1])
        await pilot.press("t")  # active only: no row left
        await wait_until(pilot, lambda: screen.table.row_count == 0)
        await wait_until(pilot, lambda: "E Eval" not in screen_lines(app)[-1])
        await pilot.press("t")  # succeeded: the job is back under the cursor
        await wait_until(pilot, lambda: "E Eval" in screen_lines(app)[-1])


async def test_list_refreshes_live_and_announces_once(tmp_path: Path, slow_emu: Emulator) -> None:
    emu = slow_emu
    job_id = await start_job(emu, write_jsonl(tmp_path / "train.jsonl", 20))
    app = jobs_app(tmp_path, emu)
    async with app.run_test(size=(80, 24)) as pilot:
        rung = count_bells(app)
        await pilot.press("j")
        await wait_until(pilot, lambda: isinstance(app.screen, JobsScreen))
        screen = app.screen
        assert isinstance(screen, JobsScreen)
        await wait_until(pilot, lambda: job_id in screen.jobs.jobs)
        assert screen.jobs.jobs[job_id].status is JobStatus.VALIDATING
        emu.advance(20)
        await wait_until(pilot, lambda: screen.jobs.jobs[job_id].status is JobStatus.RUNNING)
        emu.advance(3600)
        await wait_until(pilot, lambda: screen.jobs.jobs[job_id].status is JobStatus.SUCCEEDED)
        await wait_until(pilot, lambda: rung)
        assert any("succeeded" in text for text in notices(app))
        await pilot.press("ctrl+r")  # the key is handled once the refresh worker is started
        await wait_until(pilot, lambda: not running_workers(screen, "jobs-fetch"))
        await pilot.pause()  # the page it read is handled
        assert len(rung) == 1  # the refresh saw the finished job again: no second bell
        # Nothing active: the timer stops instead of polling an idle history.
        await wait_until(pilot, lambda: not screen.refresh_planned)


# -- the new-job form ------------------------------------------------------------------------------


async def open_form(app: TunerApp, pilot: Pilot[Any]) -> NewJobScreen:
    await pilot.press("j")
    await wait_until(pilot, lambda: isinstance(app.screen, JobsScreen))
    await pilot.press("n")
    await wait_until(pilot, lambda: isinstance(app.screen, NewJobScreen))
    return app.screen  # type: ignore[return-value]


async def test_create_from_local_file_and_watch_to_success(tmp_path: Path, emu: Emulator) -> None:
    train = write_jsonl(tmp_path / "train.jsonl", 20)
    app = jobs_app(tmp_path, emu)
    async with app.run_test(size=(80, 24)) as pilot:
        rung = count_bells(app)
        form = await open_form(app, pilot)
        form.query_one("#train-path").value = str(train)  # type: ignore[attr-defined]
        form.query_one("#suffix").value = "adder"  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: "$" in str(form.query_one("#estimate").render()))
        estimate = str(form.query_one("#estimate").render())
        assert "20 examples" in estimate and "epochs (auto)" in estimate
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, JobScreen))
        screen = app.screen
        assert isinstance(screen, JobScreen)
        # The local file was uploaded first, and the job trains on it.
        uploaded = [f for f in emu.state.files.values() if f.filename == "train.jsonl"]
        assert len(uploaded) == 1
        await wait_until(pilot, lambda: finished(screen) and screen.job is not None)
        assert screen.job is not None and screen.job.status is JobStatus.SUCCEEDED
        assert screen.job.training_file == uploaded[0].id
        assert ":adder:" in (screen.job.fine_tuned_model or "")
        # Every event once, in the service's order.
        assert [e.id for e in screen.log_view.events] == server_ids(emu, screen.job_id)
        # The chart filled (live, then the result file's full record).
        metrics = [e for e in emu.server_events(screen.job_id) if e["type"] == "metrics"]
        await wait_until(pilot, lambda: screen.chart.series.source == "result file")
        assert len(screen.chart.series) == len(metrics) == metrics[-1]["data"]["total_steps"]
        steps, losses = screen.chart.series.series("train_loss")
        assert steps[0] == 1 and all(loss > 0 for loss in losses)
        # The end was announced: bell, notification, and chat offered in the footer.
        await wait_until(pilot, lambda: rung)
        assert any("succeeded" in text for text in notices(app))
        assert screen.check_action("open_chat", ()) is True
        model = screen.job.fine_tuned_model
        await pilot.press("o")
        chat = app.get_screen_stack("chat")[0]
        await wait_until(pilot, lambda: [t.model for t in chat.threads] == [model])
        assert app.current_mode == "chat"


async def test_the_form_reuses_a_file_uploaded_before_and_says_so(
    tmp_path: Path, emu: Emulator
) -> None:
    from tuner.api.files.checked_upload import upload_checked

    train = write_jsonl(tmp_path / "train.jsonl", 20)
    service = open_test_service(emu)
    try:
        before = await upload_checked(service, train)  # `tuner upload train.jsonl`, earlier
    finally:
        await service.close()
    app = jobs_app(tmp_path, emu)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(app, pilot)
        form.query_one("#train-path").value = str(train)  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, JobScreen))
        (created,) = [n for n in notices(app) if n.startswith("Created job")]
        assert f"; reusing {before.id} (uploaded " in created
        assert created.endswith(", identical) for train.jsonl")
        screen = app.screen
        assert isinstance(screen, JobScreen)
        await wait_until(pilot, lambda: screen.job is not None)
        assert screen.job is not None and screen.job.training_file == before.id
        assert len([f for f in emu.state.files.values() if f.filename == "train.jsonl"]) == 1


async def test_form_errors_stay_in_the_form(tmp_path: Path, emu: Emulator) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"messages": [}\n' * 12, "utf-8")
    train = write_jsonl(tmp_path / "train.jsonl", 20)
    app = jobs_app(tmp_path, emu)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(app, pilot)

        def error() -> str:
            return str(form.query_one("#form-error").render())

        form.query_one("#suffix").value = "not ok!"  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: "suffix may hold only" in error())
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, NewJobScreen) and "suffix" in error()
        form.query_one("#suffix").value = ""  # type: ignore[attr-defined]
        form.query_one("#epochs").value = "99"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "between 1 and 50" in error())
        form.query_one("#epochs").value = ""  # type: ignore[attr-defined]
        form.query_one("#train-path").value = str(broken)  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "broken.jsonl has" in error())
        assert not emu.state.files  # an invalid file is not uploaded
        # A refusal by the service appears in the form too.
        form.query_one("#train-path").value = str(train)  # type: ignore[attr-defined]
        emu.faults.add(
            Fault(
                r"/fine_tuning/jobs$",
                method="POST",
                status=400,
                message="Fine-tuning is not available for this model.",
            )
        )
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "not available" in error())
        assert isinstance(app.screen, NewJobScreen)
        assert not form.creating


async def test_uploaded_file_without_local_copy_cannot_be_priced(
    tmp_path: Path, emu: Emulator
) -> None:
    from tests.helpers import open_test_service

    train = write_jsonl(tmp_path / "train.jsonl", 20)
    service = open_test_service(emu)
    try:
        file_id = (await service.upload_file(train)).id
    finally:
        await service.close()
    app = jobs_app(tmp_path, emu)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(app, pilot)
        pick = form.query_one("#train-pick")
        await wait_until(pilot, lambda: pick.query_one(OptionList).option_count > 1)
        pick.value = file_id  # type: ignore[attr-defined]
        await wait_until(
            pilot, lambda: "needs the local file" in str(form.query_one("#estimate").render())
        )
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, JobScreen))
        fine_tune = [f for f in emu.state.files.values() if f.purpose == "fine-tune"]
        assert len(fine_tune) == 1  # nothing uploaded again


async def test_open_new_job_entry_point_prices_the_local_copy(
    tmp_path: Path, emu: Emulator
) -> None:
    train = write_jsonl(tmp_path / "train.jsonl", 20)
    app = jobs_app(tmp_path, emu)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.open_new_job(path=train, file_id="file-abc")
        await wait_until(pilot, lambda: isinstance(app.screen, NewJobScreen))
        form = app.screen
        assert app.current_mode == "jobs"
        await wait_until(pilot, lambda: "20 examples" in str(form.query_one("#estimate").render()))
        assert form.query_one("#train-pick").value == "file-abc"  # type: ignore[attr-defined]


# -- the job screen --------------------------------------------------------------------------------


async def test_failed_job_shows_its_error(tmp_path: Path, slow_emu: Emulator) -> None:
    emu = slow_emu
    job_id = await start_job(emu, write_jsonl(tmp_path / "small.jsonl", 3))
    app = jobs_app(tmp_path, emu)
    async with app.run_test(size=(80, 24)) as pilot:
        rung = count_bells(app)
        screen = await open_job_screen(app, pilot, job_id)
        await wait_until(pilot, lambda: screen.job is not None)
        assert screen.job is not None and screen.job.status is JobStatus.VALIDATING
        emu.advance(10)  # validation fails while the user watches
        await wait_until(pilot, lambda: finished(screen) and screen.job is not None)
        assert screen.job is not None and screen.job.status is JobStatus.FAILED
        header = str(screen.query_one("#job-header").render())
        assert "invalid_training_file" in header and "param: training_file" in header
        assert screen.job.error is not None and screen.job.error.message in header
        await wait_until(pilot, lambda: rung)  # it failed while watched
        assert screen.check_action("open_chat", ()) is False
        assert [e.id for e in screen.log_view.events] == server_ids(emu, job_id)


async def test_controls_ask_first_and_refuse_cleanly(tmp_path: Path, slow_emu: Emulator) -> None:
    job_id = await start_job(slow_emu, write_jsonl(tmp_path / "train.jsonl", 20))
    slow_emu.advance(20)  # running, mid-training
    app = jobs_app(tmp_path, slow_emu)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_job_screen(app, pilot, job_id)
        await wait_until(
            pilot, lambda: screen.job is not None and screen.job.status is JobStatus.RUNNING
        )

        async def answer(key: str, control: str, yes: bool) -> None:
            await pilot.press(key)
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
            await pilot.press("y" if yes else "n")
            await wait_until(pilot, lambda: app.screen is screen)

        await answer("p", "pause", yes=False)
        assert not running_workers(screen, "job-control")  # "no" sends nothing
        assert slow_emu.state.jobs[job_id].status == "running"
        await answer("p", "pause", yes=True)
        await wait_until(
            pilot, lambda: screen.job is not None and screen.job.status is JobStatus.PAUSED
        )
        await pilot.press("p")  # already paused: refused before asking
        await pilot.pause()
        assert app.screen is screen
        assert any("Only a running job can be paused" in text for text in notices(app))
        await answer("u", "resume", yes=True)
        await wait_until(
            pilot, lambda: screen.job is not None and screen.job.status is JobStatus.RUNNING
        )
        await answer("x", "cancel", yes=True)
        await wait_until(
            pilot, lambda: screen.job is not None and screen.job.status is JobStatus.CANCELLED
        )
        await pilot.press("x")  # cancelled: nothing to cancel any more, no key for it
        await pilot.pause()
        assert app.screen is screen and not running_workers(screen, "job-control")
        await wait_until(pilot, lambda: finished(screen))
        assert [e.id for e in screen.log_view.events] == server_ids(slow_emu, job_id)


async def test_service_refusal_is_shown_readably(tmp_path: Path, slow_emu: Emulator) -> None:
    job_id = await start_job(slow_emu, write_jsonl(tmp_path / "train.jsonl", 20))
    slow_emu.advance(20)
    app = jobs_app(tmp_path, slow_emu)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_job_screen(app, pilot, job_id)
        await wait_until(
            pilot, lambda: screen.job is not None and screen.job.status is JobStatus.RUNNING
        )
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        # Finished behind the screen's back while the user reads the question: the service
        # refuses. (Advanced only now, so a poll cannot hide the cancel key before it is pressed.)
        slow_emu.advance(3600)
        await pilot.press("y")
        await wait_until(pilot, lambda: any("refused" in t for t in notices(app)))
        assert any("cannot be cancelled" in t for t in notices(app))


async def test_a_job_that_cannot_be_read_says_so_on_the_screen(
    tmp_path: Path, emu: Emulator
) -> None:
    app = jobs_app(tmp_path, emu)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_job_screen(app, pilot, "ftjob-missing")
        await wait_until(pilot, lambda: any("Could not read the job: " in t for t in notices(app)))
        header = str(screen.query_one(JobHeader).render())
        assert "ftjob-missing: " in header


async def test_a_file_list_that_cannot_be_read_is_said_and_the_form_stays(
    tmp_path: Path, emu: Emulator
) -> None:
    emu.faults.add(Fault(r"/files$", method="GET", status=403, times=1000))
    app = jobs_app(tmp_path, emu)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(app, pilot)
        said = "Could not list uploaded files: "
        await wait_until(pilot, lambda: any(said in t for t in notices(app)))
        assert app.screen is form


async def test_faults_show_reconnecting_and_lose_nothing(tmp_path: Path, emu: Emulator) -> None:
    job_id = await start_job(emu, write_jsonl(tmp_path / "train.jsonl", 20))
    emu.faults.add(Fault(r"/events", status=500, times=3))
    emu.faults.add(Fault(r"/events", drop_connection=True, times=2))
    app = jobs_app(tmp_path, emu)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_job_screen(app, pilot, job_id)
        await wait_until(pilot, lambda: FollowState.RECONNECTING in screen.follow_states)
        await wait_until(pilot, lambda: finished(screen))
        ids = [e.id for e in screen.log_view.events]
        assert ids == server_ids(emu, job_id) and len(ids) == len(set(ids))
        assert len(emu.faults) == 0


async def test_reconnecting_is_visible_in_the_header(tmp_path: Path, slow_emu: Emulator) -> None:
    job_id = await start_job(slow_emu, write_jsonl(tmp_path / "train.jsonl", 20))
    app = jobs_app(tmp_path, slow_emu, poll_scale=0.05)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_job_screen(app, pilot, job_id)
        await wait_until(pilot, lambda: screen.job is not None and screen.log_view.events)
        slow_emu.faults.add(Fault(r"/events", status=500, times=1000))
        header = screen.query_one("#job-header")
        await wait_until(pilot, lambda: "reconnecting" in str(header.render()))
        assert "The service failed (500)" in str(header.render())
        slow_emu.faults.clear()
        slow_emu.advance(3600)
        await wait_until(pilot, lambda: finished(screen))
        assert [e.id for e in screen.log_view.events] == server_ids(slow_emu, job_id)


async def test_reopening_shows_history_once_and_marks_what_is_new(
    tmp_path: Path, slow_emu: Emulator
) -> None:
    job_id = await start_job(slow_emu, write_jsonl(tmp_path / "train.jsonl", 20))
    slow_emu.advance(15)
    app = jobs_app(tmp_path, slow_emu)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_job_screen(app, pilot, job_id)
        await wait_until(
            pilot, lambda: len(screen.log_view.events) == len(server_ids(slow_emu, job_id))
        )
        seen = [e.id for e in screen.log_view.events]
    slow_emu.advance(3600)  # the job finished while tuner was closed
    again = jobs_app(tmp_path, slow_emu)
    async with again.run_test(size=(80, 24)) as pilot:
        again.open_job(job_id)
        await wait_until(pilot, lambda: isinstance(again.screen, JobScreen))
        screen = again.screen
        assert isinstance(screen, JobScreen)
        await wait_until(pilot, lambda: finished(screen))
        ids = [e.id for e in screen.log_view.events]
        assert ids == server_ids(slow_emu, job_id)  # the whole history, each event once
        assert ids[: len(seen)] == seen
        assert screen.log_view.seen_until == seen[-1]
        lines = [strip.text for strip in screen.log_view.lines]
        marker = next(i for i, line in enumerate(lines) if "new since your last visit" in line)
        assert marker == len(seen)


async def test_log_filter_follow_and_chart_toggle(tmp_path: Path, emu: Emulator) -> None:
    job_id = await start_job(emu, write_jsonl(tmp_path / "train.jsonl", 20))
    app = jobs_app(tmp_path, emu)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_job_screen(app, pilot, job_id)
        await wait_until(pilot, lambda: finished(screen))
        log = screen.log_view
        await pilot.press("t")
        assert log.filter == "messages" and log.shown_ids
        assert all(e.type != "metrics" for e in log.events if e.id in log.shown_ids)
        await pilot.press("t")
        assert log.filter == "metrics" and len(log.shown_ids) == len(screen.chart.series)
        await pilot.press("t")
        assert log.filter == "all" and len(log.lines) >= len(log.events)
        log.focus()
        await pilot.press("pageup")
        assert not log.following
        assert "paused" in str(screen.query_one("#job-line").render())
        await pilot.press("F")
        assert log.following
        await pilot.press("a")
        await pilot.pause()
        assert screen.chart.accuracy
        assert "train_mean_token_accuracy" in screen.chart.plotted


async def test_checkpoints_start_on_the_newest_and_say_what_o_opens(
    tmp_path: Path, emu: Emulator
) -> None:
    job_id = await start_job(emu, write_jsonl(tmp_path / "train.jsonl", 20))
    app = jobs_app(tmp_path, emu)
    opened: list[str] = []
    app.open_chat = lambda model: opened.append(model)  # type: ignore[attr-defined]
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_job_screen(app, pilot, job_id)
        await wait_until(pilot, lambda: finished(screen) and len(screen.checkpoints) == 3)
        await pilot.press("3")
        newest = screen.checkpoints[-1]
        assert screen.checkpoint_table.cursor_row == 2  # the newest, not the earliest
        line = str(screen.query_one("#job-line").render())
        assert "o chats with" in line and newest.model.rsplit(":", 1)[-1] in line
        await pilot.press("o")
        await pilot.pause()
        assert opened == [newest.model]
        screen.checkpoint_table.focus()
        await pilot.press("up", "o")
        await pilot.pause()
        assert opened[-1] == screen.checkpoints[1].model and ":ckpt-step-" in opened[-1]
        await pilot.press("1", "o")  # from the log: the final model
        await pilot.pause()
        assert opened[-1] == screen.job.fine_tuned_model  # type: ignore[union-attr]
        assert screen.check_action("control", ("cancel",)) is False  # finished: no cancel key


async def test_checkpoints_of_a_running_job_say_none_yet(
    tmp_path: Path, slow_emu: Emulator
) -> None:
    job_id = await start_job(slow_emu, write_jsonl(tmp_path / "train.jsonl", 20))
    app = jobs_app(tmp_path, slow_emu)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_job_screen(app, pilot, job_id)
        await wait_until(pilot, lambda: screen.job is not None)
        await pilot.press("3")
        note = screen.query_one("#ckpt-note")
        await wait_until(pilot, lambda: "yet" in str(note.render()))
        assert screen.job is not None and screen.job.active and not screen.checkpoints
        assert str(note.render()).startswith("No checkpoints yet")
        assert note.display and not screen.checkpoint_table.display


def test_what_an_empty_checkpoints_tab_says_by_status() -> None:
    from tuner.api.types import Job, JobStatus
    from tuner.ui.widgets.checkpoints_pane import checkpoints_note

    def job(status: JobStatus, model: str | None = None) -> Job:
        return Job(
            id="ftjob-1",
            model="gpt-4o-mini-2024-07-18",
            status=status,
            created_at=0,
            fine_tuned_model=model,
        )

    assert checkpoints_note(job(JobStatus.QUEUED), 0) == (
        "No checkpoints yet: training has not started."
    )
    assert checkpoints_note(job(JobStatus.RUNNING), 0).startswith("No checkpoints yet: ")
    assert checkpoints_note(job(JobStatus.RUNNING), 2) is None
    assert "kept none" in checkpoints_note(job(JobStatus.SUCCEEDED, "ft:x"), 0)
    assert "o chats" in checkpoints_note(job(JobStatus.SUCCEEDED, "ft:x"), 0)
    assert "failed before" in checkpoints_note(job(JobStatus.FAILED), 0)
    assert "was cancelled before" in checkpoints_note(job(JobStatus.CANCELLED), 0)
    assert all("yet" not in checkpoints_note(job(s), 0) for s in JobStatus if s.finished)


# -- what the list says when it cannot read -------------------------------------------------------


async def test_no_key_is_said_once_and_a_saved_key_is_used_at_once(
    tmp_path: Path, emu: Emulator
) -> None:
    from tuner.config import Connection

    job_id = await start_job(emu, write_jsonl(tmp_path / "train.jsonl", 12))
    keyless = Connection(profile_name="test", base_url=emu.base_url)
    app = jobs_app(tmp_path, None)
    app.set_connection(ActiveConnection("test · no key", keyless))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("j")
        await wait_until(pilot, lambda: isinstance(app.screen, JobsScreen))
        screen = app.screen
        message = screen.query_one("#jobs-message")
        await wait_until(pilot, lambda: "No API key for profile test" in str(message.render()))
        assert not running_workers(screen, "jobs-fetch") and not screen.refresh_planned
        assert not [n for n in notices(app) if "Could not list jobs" in n]
        app.set_connection(active_connection(emu))  # the key was saved in settings
        await pilot.press("f", "j")
        await wait_until(pilot, lambda: job_id in screen.jobs.jobs)
        assert screen.table.display and not screen.error


async def test_a_failing_service_is_said_once_while_retrying(tmp_path: Path, emu: Emulator) -> None:
    job_id = await start_job(emu, write_jsonl(tmp_path / "train.jsonl", 12))
    emu.faults.add(Fault(r"/fine_tuning/jobs$", method="GET", status=500, times=3))
    app = jobs_app(tmp_path, emu)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("j")
        await wait_until(pilot, lambda: isinstance(app.screen, JobsScreen))
        screen = app.screen
        await wait_until(pilot, lambda: job_id in screen.jobs.jobs)
        said = [n for n in notices(app) if "Could not list jobs" in n]
        assert len(said) == 1 and len(emu.faults) == 0
        assert screen.error is None


async def test_a_profile_switch_mid_read_says_nothing_of_the_closed_client(
    tmp_path: Path, emu: Emulator
) -> None:
    """The switch closes the old profile's client under a list request in flight: that
    failure is the old profile's, not news ("Could not list jobs: ... client has been closed")."""
    app = jobs_app(tmp_path, emu)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("j")
        await wait_until(pilot, lambda: isinstance(app.screen, JobsScreen))
        screen = app.screen
        await wait_until(pilot, lambda: screen.jobs.loaded)
        # The server holds the next list read (a real-time delay far past the test's end).
        emu.faults.add(Fault(r"/fine_tuning/jobs$", method="GET", delay=60))
        screen.action_refresh()
        await wait_until(pilot, lambda: len(emu.faults) == 0)  # the read reached the server
        app.set_connection(active_connection(emu, "renamed"))  # closes the old client
        fetches = [w for w in screen.workers if w.group == "jobs-fetch"]
        await wait_until(pilot, lambda: all(w.is_finished for w in fetches))
        await pilot.pause()  # the worker's state change is handled
        assert not [n for n in notices(app) if "Could not list jobs" in n]


async def test_a_refresh_after_a_profile_switch_reads_the_new_profile_from_the_start(
    tmp_path: Path, slow_emu: Emulator
) -> None:
    """The list holds the old profile's active job when the profile changes; the next refresh
    (a timer, or ctrl+r) must not ask the new service about it (a 404 said as "Could not list
    jobs"), but read the new profile's list."""
    await start_job(slow_emu, write_jsonl(tmp_path / "train.jsonl", 12))
    app = jobs_app(tmp_path, slow_emu)
    with Emulator(speed=0.001, api_key=TEST_KEY) as other:
        other_job = await start_job(other, write_jsonl(tmp_path / "other.jsonl", 12))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("j")
            await wait_until(pilot, lambda: isinstance(app.screen, JobsScreen))
            screen = app.screen
            await wait_until(pilot, lambda: len(screen.jobs.active) == 1)
            app.set_connection(active_connection(other, "other"))
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: list(screen.jobs.jobs) == [other_job])
            assert not [n for n in notices(app) if "Could not list jobs" in n]


async def test_the_title_names_the_screen_after_leaving_a_form(
    tmp_path: Path, emu: Emulator
) -> None:
    app = jobs_app(tmp_path, emu)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("j")
        await wait_until(pilot, lambda: isinstance(app.screen, JobsScreen))
        jobs = app.screen
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NewJobScreen))
        app.set_connection(active_connection(emu, "renamed"))  # the title changes meanwhile
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is jobs)
        title = str(jobs.query_one("HeaderTitle").render())
        assert title.startswith("tuner · Jobs") and "renamed" in title


async def test_relative_times_move_on_without_a_request(tmp_path: Path, emu: Emulator) -> None:
    job_id = await start_job(emu, write_jsonl(tmp_path / "train.jsonl", 12))
    emu.advance(3600)  # finished: nothing active, so no refresh timer either
    now = [emu.clock.now()]
    app = jobs_app(tmp_path, emu, clock=lambda: now[0])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("j")
        await wait_until(pilot, lambda: isinstance(app.screen, JobsScreen))
        screen = app.screen
        await wait_until(pilot, lambda: job_id in screen.jobs.jobs and not screen.refresh_planned)
        assert "1h ago" in str(screen.table.get_row(job_id)[3])
        now[0] += 3 * 3600
        await wait_until(pilot, lambda: "4h ago" in str(screen.table.get_row(job_id)[3]))


async def test_a_finished_jobs_header_ages_too(tmp_path: Path, emu: Emulator) -> None:
    """ "created just now" stayed so for as long as the screen was open once the job ended."""
    job_id = await start_job(emu, write_jsonl(tmp_path / "train.jsonl", 12))
    emu.advance(3600)
    now = [emu.clock.now()]
    app = jobs_app(tmp_path, emu, clock=lambda: now[0])
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_job(job_id)
        await wait_until(pilot, lambda: isinstance(app.screen, JobScreen))
        screen = app.screen
        await wait_until(pilot, lambda: screen.job is not None and screen.job.finished)
        header = screen.query_one(JobHeader)
        await wait_until(pilot, lambda: "1h ago" in str(header.render()))
        now[0] += 3 * 3600
        await wait_until(pilot, lambda: "4h ago" in str(header.render()))


async def test_the_log_rewraps_when_the_terminal_is_resized(tmp_path: Path, emu: Emulator) -> None:
    job_id = await start_job(emu, write_jsonl(tmp_path / "train.jsonl", 12))
    app = jobs_app(tmp_path, emu)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_job_screen(app, pilot, job_id)
        await wait_until(pilot, lambda: finished(screen))
        wide = len(screen.log_view.lines)
        await pilot.resize_terminal(50, 30)
        await wait_until(pilot, lambda: len(screen.log_view.lines) > wide)
        assert all(len(strip.text.rstrip()) <= 50 for strip in screen.log_view.lines)


async def test_a_retired_base_model_is_refused_before_anything_is_uploaded(
    tmp_path: Path, emu: Emulator
) -> None:
    train = write_jsonl(tmp_path / "train.jsonl", 20)
    app = jobs_app(tmp_path, emu)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(app, pilot)
        model = form.query_one("#model")
        offered = [str(option.prompt) for option in model.query_one(OptionList).options]
        assert any("gpt-3.5-turbo-0125" in o and "retired 2026-10-23" in o for o in offered)
        model.value = "gpt-3.5-turbo-0125"  # type: ignore[attr-defined]
        error = form.query_one("#form-error")
        await wait_until(pilot, lambda: "was retired on 2026-10-23" in str(error.render()))
        assert str(error.render()).startswith("gpt-3.5-turbo-0125 was retired")  # an id as is
        assert "fine-tunable models: gpt-4.1-2025-04-14" in str(error.render())
        form.query_one("#train-path").value = str(train)  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not running_workers(form, "create") and not emu.state.files
        model.value = "gpt-4o-mini-2024-07-18"  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: "retired" not in str(error.render()))


def settings_app(root: Path, emulator: Emulator, settings: Any) -> TunerApp:
    return make_app(
        root,
        services=Services(settings_store=MemorySettingsStore(settings), poll_scale=0.01),
        connection=active_connection(emulator),
    )


async def test_a_misspelt_default_model_picks_the_one_meant_and_says_so(
    tmp_path: Path, emu: Emulator
) -> None:
    from tuner.config import Settings

    app = settings_app(tmp_path, emu, Settings(default_model="gpt-4o-mni"))
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(app, pilot)
        assert form.query_one("#model").value == "gpt-4o-mini-2024-07-18"  # type: ignore[attr-defined]
        error = str(form.query_one("#form-error").render())
        assert "gpt-4o-mni is not a model tuner knows" in error
        assert "did you mean gpt-4o-mini-2024-07-18?" in error


async def test_a_model_the_service_lacks_is_refused_before_any_upload(
    tmp_path: Path, emu: Emulator
) -> None:
    """A model added to the catalog by hand (a typo in settings.toml) is offered by the form;
    creating a job on it is refused with the model meant, and nothing is uploaded."""
    from tuner.config import Settings

    typo = {"id": "gpt-4o-mni", "encoding": "o200k_base", "training_price_per_1m": 3.0}
    train = write_jsonl(tmp_path / "train.jsonl", 20)
    app = settings_app(tmp_path, emu, Settings(models=(typo,)))
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(app, pilot)
        form.query_one("#model").value = "gpt-4o-mni"  # type: ignore[attr-defined]
        form.query_one("#train-path").value = str(train)  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        error = form.query_one("#form-error")
        await wait_until(pilot, lambda: "did you mean" in str(error.render()))
        assert "no model 'gpt-4o-mni'; did you mean gpt-4o-mini-2024-07-18?" in str(error.render())
        await wait_until(pilot, lambda: not running_workers(form, "create"))
        assert emu.state.files == {} and emu.state.uploads == {} and emu.state.jobs == {}
