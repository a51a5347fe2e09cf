"""Keeping what a fine-tune knows before it stops answering, from the jobs screens: the line
that says how many stop within a month and when, `r` recording a fine-tune's answers as a
golden file (priced first, nothing asked before enter, a second `r` paying nothing), and `m`
moving the highlighted job. Over the emulator with the real SDK."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, ProgressBar, Static

from tests.helpers import TrainedJob, notices, stall_chats, wait_until
from tests.ui.test_eval_screen import PROFILE, ChatCounter, eval_app
from tuner.api.eval.record import meta_path
from tuner.emulator import Emulator
from tuner.ui.modals.record import RecordModal, golden_name
from tuner.ui.screens.job import JobScreen
from tuner.ui.screens.jobs import JobsScreen


async def jobs_list_on(pilot: Pilot[Any], job_id: str) -> JobsScreen:
    app = pilot.app
    await pilot.press("j")
    await wait_until(pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen.jobs.loaded)
    screen = app.screen
    assert isinstance(screen, JobsScreen)
    await wait_until(pilot, lambda: screen.selected_job_id() == job_id)
    return screen


def text_of(modal: RecordModal, selector: str) -> str:
    return str(modal.query_one(selector, Static).render())


async def record_modal(pilot: Pilot[Any]) -> RecordModal:
    """`r`, and the dialog once it has priced the recording (nothing asked yet)."""
    await pilot.press("r")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, RecordModal))
    modal = pilot.app.screen
    assert isinstance(modal, RecordModal)
    await wait_until(pilot, lambda: modal.prepared is not None)
    return modal


async def test_r_records_a_fine_tunes_answers_once_and_again_for_free(
    trained: TrainedJob, service_env: Emulator, tmp_path: Path
) -> None:
    chats = ChatCounter(service_env)
    app = eval_app(tmp_path, service_env)
    async with app.run_test(size=(80, 24)) as pilot:
        await jobs_list_on(pilot, trained.job_id)
        modal = await record_modal(pilot)
        plan = text_of(modal, "#record-plan")
        assert "16 prompts of the job's validation file" in plan
        assert "estimated cost: $" in plan and chats.count == 0
        assert modal.query_one(Input).value == str(tmp_path / golden_name(modal.job))
        await pilot.press("enter")
        await wait_until(pilot, lambda: modal.written is not None)
        assert chats.count == 16
        assert "Recorded 16 replies" in text_of(modal, "#record-status")
        golden = tmp_path / golden_name(modal.job)
        lines = [json.loads(line) for line in golden.read_text(encoding="utf-8").splitlines()]
        assert len(lines) == 16 and all(
            line["messages"][-1]["role"] == "assistant" for line in lines
        )
        meta = json.loads(meta_path(golden).read_text(encoding="utf-8"))
        assert meta["model"] == modal.model
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, JobsScreen))

        # Again: the first file is found, not overwritten; another name costs nothing.
        again = await record_modal(pilot)
        assert "exists (recorded before)" in text_of(again, "#record-status")
        await pilot.press("enter")
        refused = "exists: enter another name"
        await wait_until(pilot, lambda: refused in text_of(again, "#record-status"))
        field = again.query_one(Input)
        field.value = str(tmp_path / "second.golden.jsonl")
        await pilot.press("enter")
        await wait_until(pilot, lambda: again.written is not None)
        assert chats.count == 16  # every reply came from the cache
        assert "16 from the cache" in text_of(again, "#record-status")
        assert (tmp_path / "second.golden.jsonl").read_bytes() == golden.read_bytes()


async def test_r_on_the_job_screen_records_and_m_names_what_moving_needs(
    trained: TrainedJob, service_env: Emulator, tmp_path: Path
) -> None:
    app = eval_app(tmp_path, service_env)
    async with app.run_test(size=(80, 24)) as pilot:
        jobs = await jobs_list_on(pilot, trained.job_id)
        await pilot.press("m")  # one profile only: nowhere to move to, and it says so
        await wait_until(pilot, lambda: any("second profile" in t for t in notices(app)))
        assert app.screen is jobs
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, JobScreen))
        screen = app.screen
        await wait_until(pilot, lambda: screen.job is not None)
        modal = await record_modal(pilot)
        assert modal.profile == PROFILE and modal.model == screen.job.fine_tuned_model


STOPPING_SOON = (
    "1 fine-tune stops answering in 13 days (2027-01-14): "
    "b back up · r record its answers · m move it"
)


@pytest.mark.parametrize(
    ("today", "days", "line"),
    [
        (datetime.datetime(2027, 1, 1, 12), 13, STOPPING_SOON),  # within a month: said
        (datetime.datetime(2026, 11, 1, 12), 74, None),  # further: the column only
    ],
)
async def test_the_jobs_screen_says_which_fine_tunes_stop_answering_within_a_month(
    trained: TrainedJob,
    service_env: Emulator,
    tmp_path: Path,
    today: datetime.datetime,
    days: int,
    line: str | None,
) -> None:
    app = eval_app(tmp_path, service_env, clock=today.timestamp)
    async with app.run_test(size=(140, 30)) as pilot:
        jobs = await jobs_list_on(pilot, trained.job_id)
        shown = jobs.query_one("#jobs-stopping", Static)
        if line is not None:
            await wait_until(pilot, lambda: shown.display)
            assert str(shown.render()) == line
        assert f"{days} days" in str(jobs.table.get_row_at(0))
        assert shown.display == (line is not None)


async def test_quitting_while_recording_asks_first(
    trained: TrainedJob, service_env: Emulator, tmp_path: Path
) -> None:
    from tuner.ui.modals import ConfirmModal

    app = eval_app(tmp_path, service_env)
    async with app.run_test(size=(80, 24)) as pilot:
        await jobs_list_on(pilot, trained.job_id)
        modal = await record_modal(pilot)
        stall = stall_chats(service_env)  # the recording stays in flight until stopped
        await pilot.press("enter")
        await wait_until(pilot, lambda: modal.running and stall.times < 10**6)
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert "the recording in progress" in str(app.screen.query_one(".question").render())
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is modal)
        assert modal.running
        await pilot.press("escape")  # stops it; nothing written, the dialog closes
        await wait_until(pilot, lambda: isinstance(app.screen, JobsScreen))
        assert modal.written is None
        assert not (tmp_path / golden_name(modal.job)).exists()


async def test_the_chat_picker_says_when_each_model_stops_answering(
    trained: TrainedJob, service_env: Emulator, tmp_path: Path
) -> None:
    from textual.widgets import OptionList

    from tuner.ui.modals.pick_model import PickModelModal

    def new_year() -> float:
        return datetime.datetime(2027, 1, 1, 12).timestamp()

    app = eval_app(tmp_path, service_env, clock=new_year)
    async with app.run_test(size=(120, 30)) as pilot:
        app.open_chat()
        await wait_until(pilot, lambda: app.screen.__class__.__name__ == "ChatScreen")
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, PickModelModal))
        picker = app.screen
        await wait_until(pilot, lambda: picker.models)
        listed = picker.query_one(OptionList)
        rows = {
            str(option.id): str(option.prompt)
            for option in (listed.get_option_at_index(i) for i in range(listed.option_count))
            if option.id
        }
        tuned = next(row for model, row in rows.items() if model.startswith("ft:"))
        assert "stops answering in 13 days (2027-01-14)" in tuned
        assert "retires 2027-01-14" in rows["gpt-4o-mini-2024-07-18"]


async def test_a_recording_stopped_half_way_goes_on_paying_only_for_the_rest(
    trained: TrainedJob, service_env: Emulator, tmp_path: Path
) -> None:
    from tuner.emulator import Fault

    app = eval_app(tmp_path, service_env)
    async with app.run_test(size=(80, 24)) as pilot:
        await jobs_list_on(pilot, trained.job_id)
        modal = await record_modal(pilot)
        # Eight replies come back; then the recording stays in flight until escape stops it.
        answered = service_env.faults.add(Fault(r"/chat/completions", times=8))
        stall = stall_chats(service_env)
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Recording: 8/16" in text_of(modal, "#record-status"))
        assert answered.times == 0 and stall.times < 10**6
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, JobsScreen))
        assert not (tmp_path / golden_name(modal.job)).exists()

        service_env.faults.clear()
        chats = ChatCounter(service_env)
        again = await record_modal(pilot)
        assert "(8 cached)" in text_of(again, "#record-plan")
        await pilot.press("enter")
        await wait_until(pilot, lambda: again.written is not None)
        assert chats.count == 8  # only the eight never answered were asked
        assert "Recorded 16 replies (8 from the cache" in text_of(again, "#record-status")


async def test_a_job_without_a_model_has_nothing_to_record_or_evaluate(
    trained: TrainedJob, service_env: Emulator, tmp_path: Path
) -> None:
    import dataclasses

    from tuner.api.types import JobStatus

    app = eval_app(tmp_path, service_env)
    async with app.run_test(size=(80, 24)) as pilot:
        jobs = await jobs_list_on(pilot, trained.job_id)
        running = dataclasses.replace(
            jobs.jobs.jobs[trained.job_id], fine_tuned_model=None, status=JobStatus.RUNNING
        )
        app.record_answers(running)
        app.evaluate_job(running)
        await wait_until(pilot, lambda: len(notices(app)) >= 2)
        said = [t for t in notices(app) if "has no fine-tuned model" in t]
        assert [t.split(": ")[1] for t in said] == [
            "record it once it has succeeded",
            "evaluate it once it has succeeded",
        ]
        assert app.screen is jobs


async def test_a_file_that_cannot_be_fetched_is_said_and_nothing_is_asked(
    trained: TrainedJob, service_env: Emulator, tmp_path: Path
) -> None:
    from tuner.emulator import Fault

    chats = ChatCounter(service_env)
    app = eval_app(tmp_path, service_env)
    async with app.run_test(size=(80, 24)) as pilot:
        await jobs_list_on(pilot, trained.job_id)
        service_env.faults.add(
            Fault(rf"/fine_tuning/jobs/{trained.job_id}$", method="GET", status=404, times=10**6)
        )
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, RecordModal))
        modal = app.screen
        assert isinstance(modal, RecordModal)
        await wait_until(pilot, lambda: "Not recorded" in text_of(modal, "#record-status"))
        status = text_of(modal, "#record-status")
        assert status.startswith("Not recorded (preparing): ")
        assert "r again goes on" not in status  # nothing was asked
        assert modal.prepared is None and modal.query_one(Input).disabled
        assert chats.count == 0
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, JobsScreen))


async def test_a_recording_that_fails_says_why_and_takes_another_name(
    trained: TrainedJob, service_env: Emulator, tmp_path: Path
) -> None:
    chats = ChatCounter(service_env)
    app = eval_app(tmp_path, service_env)
    async with app.run_test(size=(80, 24)) as pilot:
        await jobs_list_on(pilot, trained.job_id)
        modal = await record_modal(pilot)
        field = modal.query_one(Input)
        nowhere = tmp_path / "no-such-folder" / "kept.golden.jsonl"
        field.value = str(nowhere)
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Not recorded" in text_of(modal, "#record-status"))
        status = text_of(modal, "#record-status")
        assert status.startswith("Not recorded (recording): cannot write")
        assert "does not exist" in status and "what was asked is kept: r again goes on" in status
        assert not modal.running and not field.disabled and chats.count == 0
        assert modal.query_one(ProgressBar).display  # shown since the start, as it was
        assert app.focused is field  # another name is typed at once
        field.value = str(tmp_path / "kept.golden.jsonl")
        await pilot.press("enter")
        await wait_until(pilot, lambda: modal.written is not None)
        assert chats.count == 16 and "Recorded 16 replies" in text_of(modal, "#record-status")
        assert field.disabled  # recorded: escape closes, nothing more to type
