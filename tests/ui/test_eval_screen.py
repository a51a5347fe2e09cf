"""The Eval screen at 80x24, over HTTP with the real SDK against the emulator.

A finished fine-tune on templated support data (the `trained` fixture) is evaluated from its
job: the estimate and the confirmation come before any chat request (counted with an emulator
fault that changes nothing), the fine-tune comes out above its base with intervals, the examples
sort by disagreement and filter to flips, one example shows every reply, history reopens the
run, a run in flight asks before it is stopped or the app quits, and hostile text from a run is
drawn as text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.helpers import TEST_KEY, TrainedJob, notices, screen_text, stall_chats, wait_until
from tests.ui.conftest import build_app
from tuner.api.types import JobStatus
from tuner.config import Profile, Settings
from tuner.data.eval.example_rows import RowOrder
from tuner.data.eval.graders import Score, grader_specs
from tuner.data.eval.history import RunInfo, remember_run, write_run_info
from tuner.data.eval.results import ExampleResult, append_results
from tuner.data.eval.runs import write_run_files
from tuner.data.eval.summary import summarise
from tuner.emulator import Emulator, Fault
from tuner.ui.app import TunerApp
from tuner.ui.modals import ConfirmModal
from tuner.ui.modals.eval_example import ExampleModal
from tuner.ui.moved_job import MovedJob
from tuner.ui.screens.eval import EvalScreen
from tuner.ui.screens.job import JobScreen
from tuner.ui.screens.jobs import JobsScreen
from tuner.ui.services import MemorySettingsStore, Services

BASE = "gpt-4o-mini-2024-07-18"
PROFILE = "test"


def eval_app(root: Path, emulator: Emulator, **services: Any) -> TunerApp:
    """Profile `test` on the emulator, its key kept in memory (nothing from the environment)."""
    profiles = {PROFILE: Profile(name=PROFILE, kind="openai", base_url=emulator.base_url)}
    settings = Settings(active_profile=PROFILE, profiles=profiles)
    store = MemorySettingsStore(settings, keys={PROFILE: TEST_KEY}, env={})
    services.setdefault("poll_scale", 0.01)
    return build_app(root, services=Services(settings_store=store, **services), connection=None)


class ChatCounter:
    """Counts the chat requests the emulator receives: a fault that changes nothing."""

    LIMIT = 10**6

    def __init__(self, emulator: Emulator) -> None:
        self.fault = emulator.faults.add(Fault(r"/chat/completions", times=self.LIMIT))

    @property
    def count(self) -> int:
        return self.LIMIT - self.fault.times


def text_of(widget: Any) -> str:
    return str(widget.render()) if not hasattr(widget, "renderable") else str(widget.renderable)


async def open_eval_from_job(pilot: Pilot[Any], job_id: str) -> EvalScreen:
    """`E` on the job in the jobs list: the Eval screen with its base and fine-tune."""
    app = pilot.app
    await pilot.press("j")
    await wait_until(pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen.jobs.loaded)
    jobs = app.screen
    await wait_until(pilot, lambda: jobs.selected_job_id() == job_id)
    await pilot.press("E")
    await wait_until(pilot, lambda: isinstance(app.screen, EvalScreen) and app.screen.setup.models)
    screen = app.screen
    assert isinstance(screen, EvalScreen)
    return screen


async def open_empty_eval(pilot: Pilot[Any]) -> EvalScreen:
    """`e` anywhere: the Eval screen, its setup empty."""
    await pilot.press("e")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, EvalScreen))
    screen = pilot.app.screen
    assert isinstance(screen, EvalScreen)
    return screen


async def run_confirmed(pilot: Pilot[Any], screen: EvalScreen) -> None:
    """r, the estimate's confirmation answered yes, and the run to its end (its
    `RunFinished` message handled and the worker gone)."""
    await pilot.press("r")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmModal))
    await pilot.press("y")
    await wait_until(pilot, lambda: screen.finished_runs == 1 and screen.phase == "idle")


async def test_a_job_is_evaluated_and_its_fine_tune_beats_its_base(
    trained: TrainedJob, service_env: Emulator, tmp_path: Path
) -> None:
    chats = ChatCounter(service_env)
    app = eval_app(tmp_path, service_env)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_eval_from_job(pilot, trained.job_id)
        job = await app.session.service().retrieve_job(trained.job_id)
        assert screen.setup.models == [f"{BASE}@{PROFILE}", f"{job.fine_tuned_model}@{PROFILE}"]
        assert screen.setup.job == trained.job_id and screen.setup.grader_names() == [
            "chrf",
            "fuzzy",
        ]
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        question = str(app.screen.query_one(".question").render())
        assert "16 examples" in question and "16 requests" in question
        assert "estimated cost" in question
        assert chats.count == 0  # priced and asked about: nothing sent yet
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.finished_runs == 1 and screen.phase == "idle")
        assert chats.count == 32
        assert screen.tabs.active == "results"
        shown = screen_text(app)
        assert "mean [95% interval]" in shown and "A  0." in shown
        summary = screen.examples_view
        assert len(summary.rows) == 16
    # The figures behind the table: the fine-tune's interval lies above its base's.
    from tuner.data.eval.history import past_runs
    from tuner.data.eval.runs import read_run

    (run,) = past_runs()
    figures = read_run(run.folder).summary
    base, tuned = figures.models
    for name in ("chrf", "fuzzy"):
        assert tuned.grader(name).mean.low > base.grader(name).mean.high
        assert figures.comparison(tuned.model, name).difference.significant


async def test_the_results_table_shows_intervals_and_the_difference_at_80_columns(
    trained: TrainedJob, service_env: Emulator, tmp_path: Path
) -> None:
    app = eval_app(tmp_path, service_env)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_eval_from_job(pilot, trained.job_id)
        await run_confirmed(pilot, screen)
        results = screen.results_view
        body = results.query_one("#results-body")
        lines = [strip.text for strip in body.render_lines(body.region.reset_offset)]
        text = "\n".join(lines)
        chrf_a = next(line for line in lines if line.strip().startswith("chrf"))
        chrf_b = lines[lines.index(chrf_a) + 1]
        assert "[" in chrf_a and "]" in chrf_b
        low_b = float(chrf_b.split("[")[1].split(",")[0])
        high_a = float(chrf_a.split(",")[1].split("]")[0])
        assert low_b > high_a  # B (the fine-tune) above A (its base), intervals apart
        assert "Paired difference to A" in text
        assert "yes" in text and "better" in text
        assert all(len(line.rstrip()) <= 78 for line in lines)


async def test_declining_the_estimate_asks_nothing(
    trained: TrainedJob, service_env: Emulator, tmp_path: Path
) -> None:
    chats = ChatCounter(service_env)
    app = eval_app(tmp_path, service_env)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_eval_from_job(pilot, trained.job_id)
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("n")
        await wait_until(pilot, lambda: screen.phase == "idle")
        assert chats.count == 0
        assert "Not run: nothing was asked" in notices(app)
        estimate = str(screen.query_one("#eval-estimate").render())
        assert "model      A: 16 requests" in estimate and "estimated cost" in estimate


async def test_a_run_the_cache_answers_whole_is_not_asked_about(
    trained: TrainedJob, service_env: Emulator, tmp_path: Path
) -> None:
    app = eval_app(tmp_path, service_env)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_eval_from_job(pilot, trained.job_id)
        await run_confirmed(pilot, screen)
        chats = ChatCounter(service_env)
        await pilot.press("1", "r")  # the same run again: every reply is cached
        await wait_until(pilot, lambda: screen.finished_runs == 2 and screen.phase == "idle")
        assert not any(isinstance(s, ConfirmModal) for s in app.screen_stack)
        assert chats.count == 0
        assert "nothing to pay: all cached" in str(screen.query_one("#eval-estimate").render())


async def test_a_setup_that_cannot_run_says_what_is_missing(tmp_path: Path) -> None:
    with Emulator(api_key=TEST_KEY) as emulator:
        app = eval_app(tmp_path, emulator)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_empty_eval(pilot)
            screen.setup.model_list.focus()
            await pilot.press("r")
            assert "Choose the file to evaluate on" in str(
                screen.query_one("#eval-estimate").render()
            )
            screen.setup.file_field.value = "holdout.jsonl"
            await pilot.press("r")
            assert "Add a model" in str(screen.query_one("#eval-estimate").render())
            screen.setup.models = [f"{BASE}@{PROFILE}"]
            screen.setup.graders_list.select("judge")
            await pilot.press("r")
            assert "need a judge model: J picks one" in str(
                screen.query_one("#eval-estimate").render()
            )
            assert screen.phase == "idle"


async def test_a_file_that_cannot_be_read_is_said_and_the_setup_is_free_again(
    tmp_path: Path,
) -> None:
    with Emulator(api_key=TEST_KEY) as emulator:
        app = eval_app(tmp_path, emulator)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_empty_eval(pilot)
            screen.setup.file_field.value = "nowhere.jsonl"
            screen.setup.models = [f"{BASE}@{PROFILE}"]
            screen.setup.model_list.focus()
            await pilot.press("r")
            await wait_until(pilot, lambda: screen.phase == "idle" and notices(app))
            said = str(screen.query_one("#eval-estimate").render())
            assert said.endswith("nowhere.jsonl: no such file")  # nothing was asked to keep
            assert notices(app) == [said]


async def test_models_of_two_profiles_are_evaluated_together_in_the_demo(tmp_path: Path) -> None:
    """The demo's OpenAI and Together profiles, their keys only in the app's memory: each
    model is asked on its own profile's service, as the app opens it."""
    pytest.importorskip("tuner.api.providers.together")
    from tests.emulator.eval_data import HELD_OUT_VALUES, examples
    from tests.helpers import write_jsonl
    from tuner.app_entry import DEMO_OPENAI, DEMO_TOGETHER, demo_settings_store

    holdout = write_jsonl(tmp_path / "holdout.jsonl", examples(HELD_OUT_VALUES))
    models = (f"{BASE}@{DEMO_OPENAI}", f"Qwen/Qwen2.5-7B-Instruct@{DEMO_TOGETHER}")
    with Emulator(port=0, speed=500, api_key=None) as demo:  # as `tuner --demo` runs it
        services = Services(settings_store=demo_settings_store(demo), demo=True)
        app = build_app(tmp_path, services=services, connection=None)
        async with app.run_test(size=(80, 24)) as pilot:
            app.open_eval(file=holdout, models=models)
            await wait_until(pilot, lambda: isinstance(app.screen, EvalScreen))
            screen = app.screen
            await wait_until(pilot, lambda: screen.setup.models == list(models))
            await run_confirmed(pilot, screen)
            assert screen.examples_view.models == models
            counted = {r.model for r in screen.examples_view.results if not r.failed}
            assert counted == set(models)
            assert len(screen.examples_view.results) == 32


# -- a run in flight -------------------------------------------------------------------------


async def start_a_stalled_run(pilot: Pilot[Any], emulator: Emulator, job_id: str) -> EvalScreen:
    """A run whose every request is answered 429 with a minute's Retry-After: it stays in
    flight (waiting, not blocking the emulator) until stopped."""
    screen = await open_eval_from_job(pilot, job_id)
    fault = stall_chats(emulator)
    await pilot.press("r")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmModal))
    await pilot.press("y")
    await wait_until(pilot, lambda: screen.phase == "running" and fault.times < 10**6)
    return screen


async def test_esc_during_a_run_asks_and_then_stops_it(
    trained: TrainedJob, service_env: Emulator, tmp_path: Path
) -> None:
    app = eval_app(tmp_path, service_env)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_a_stalled_run(pilot, service_env, trained.job_id)
        assert "esc Stop" in screen_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is screen)
        assert screen.phase == "running"
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.phase == "idle")
        assert "Stopped" in str(screen.query_one("#eval-estimate").render())
        # History lists it as stopped; enter sets it up again, to be continued with r.
        chosen = list(screen.setup.models)
        screen.setup.models = []
        await pilot.press("4")
        await wait_until(pilot, lambda: "stopped" in screen_text(app))
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.tabs.active == "setup")
        assert screen.setup.models == chosen and screen.setup.grader_names() == ["chrf", "fuzzy"]
        assert screen.setup.file_field.value.endswith(".jsonl")


async def test_a_model_that_cannot_be_asked_stops_the_run_and_says_so(
    trained: TrainedJob, service_env: Emulator, tmp_path: Path
) -> None:
    app = eval_app(tmp_path, service_env)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_eval_from_job(pilot, trained.job_id)
        gone = f"ft:{BASE}:acme:gone:x1@{PROFILE}"
        screen.setup.models = [*screen.setup.models, gone]
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.phase == "idle" and notices(app))
        said = str(screen.query_one("#eval-estimate").render())
        assert said.startswith(f"{gone} cannot be asked: ")
        assert said.endswith(" · every reply so far is kept: r continues where it stopped")
        assert notices(app) == [said]
        assert screen.tabs.active == "results" and "cannot be asked" in screen_text(app)


async def test_quitting_during_a_run_asks_first(
    trained: TrainedJob, service_env: Emulator, tmp_path: Path
) -> None:
    app = eval_app(tmp_path, service_env)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_a_stalled_run(pilot, service_env, trained.job_id)
        await pilot.press("j")  # another screen: the run goes on
        await wait_until(pilot, lambda: isinstance(app.screen, JobsScreen))
        assert screen.phase == "running"
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert "the evaluation in progress" in str(app.screen.query_one(".question").render())
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, JobsScreen))
        assert app.is_running and screen.phase == "running"
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
    assert app.return_code in (0, None)


# -- examples and history --------------------------------------------------------------------


async def test_examples_sort_by_disagreement_filter_to_flips_and_show_every_reply(
    trained: TrainedJob, service_env: Emulator, tmp_path: Path
) -> None:
    app = eval_app(tmp_path, service_env)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_eval_from_job(pilot, trained.job_id)
        await run_confirmed(pilot, screen)
        await pilot.press("3")
        view = screen.examples_view
        assert view.order is RowOrder.LINE
        assert [row.line for row in view.rows] == sorted(row.line for row in view.rows)
        await pilot.press("o")
        spreads = [row.spread for row in view.rows]
        assert view.order is RowOrder.DISAGREEMENT
        assert spreads == sorted(spreads, key=lambda s: -(s or 0.0))
        await pilot.press("F")
        assert view.rows and all(row.flipped for row in view.rows)
        assert len(view.rows) < 16 or all(row.flipped for row in view.rows)
        await pilot.press("g")
        assert view.grader is not None and view.grader.name == "fuzzy"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ExampleModal))
        modal = app.screen
        await pilot.pause()
        row = modal.row
        assert row is view.rows[view.table.cursor_row]
        example = view.examples[row.example]
        body = screen_text(app)
        assert "Prompt" in body and "Reference" in body
        assert example.prompt[-1]["content"][:30] in body
        assert not modal.query_one("#example-replies").has_class("-side")  # stacked at 80
        replies = [r.reply for r in row.results if r is not None]
        assert len(replies) == 2
        texts = [str(s.render()) for s in modal.query(".reply-text")]
        assert texts == replies
        titles = [str(s.render()) for s in modal.query(".reply-title")]
        assert titles[0].startswith("A ") and titles[1].startswith("B ")
        assert "fuzzy" in str(modal.query(".reply-scores").first().render())
        before = modal.index
        await pilot.press("p" if before else "n")
        assert modal.index == (before - 1 if before else 1)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)


async def test_replies_stand_side_by_side_on_a_wide_terminal(
    trained: TrainedJob, service_env: Emulator, tmp_path: Path
) -> None:
    app = eval_app(tmp_path, service_env)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_eval_from_job(pilot, trained.job_id)
        await run_confirmed(pilot, screen)
        await pilot.press("3", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ExampleModal))
        modal = app.screen
        await wait_until(pilot, lambda: modal.query_one("#example-replies").has_class("-side"))
        first, second = modal.query(".reply")
        assert first.region.y == second.region.y and first.region.x < second.region.x


async def test_history_reopens_a_run_read_only(
    trained: TrainedJob, service_env: Emulator, tmp_path: Path
) -> None:
    app = eval_app(tmp_path, service_env)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_eval_from_job(pilot, trained.job_id)
        await run_confirmed(pilot, screen)
        fresh = [(r.example, r.model, r.reply) for r in screen.examples_view.results]
    chats = ChatCounter(service_env)
    again = eval_app(tmp_path, service_env)  # another session of the app
    async with again.run_test(size=(80, 24)) as pilot:
        screen = await open_empty_eval(pilot)
        await pilot.press("4")
        await wait_until(pilot, lambda: screen.history.table.row_count == 1)
        assert "finished" in screen_text(again)
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.examples_view.rows)
        assert screen.tabs.active == "results"
        assert "From history (read-only)" in screen_text(again)
        reopened = [(r.example, r.model, r.reply) for r in screen.examples_view.results]
        assert sorted(reopened, key=str) == sorted(fresh, key=str)
        await pilot.press("3", "enter")
        await wait_until(pilot, lambda: isinstance(again.screen, ExampleModal))
        body = screen_text(again)
        assert "Prompt not known" not in body and "Reference" in body
    assert chats.count == 0


# -- ways in ----------------------------------------------------------------------------------


async def test_e_on_a_jsonl_in_the_browser_opens_it_for_evaluation(
    trained: TrainedJob, service_env: Emulator, tmp_path: Path
) -> None:
    from tuner.ui.screens.files import FilesScreen

    app = eval_app(tmp_path, service_env)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, FilesScreen))
        files = app.screen
        tree = files.tree
        await wait_until(
            pilot,
            lambda: any(
                n.data is not None and n.data.path == trained.holdout for n in tree.root.children
            ),
        )
        node = next(n for n in tree.root.children if n.data.path == trained.holdout)
        tree.move_cursor(node)
        await wait_until(pilot, lambda: files.current_file() == trained.holdout)
        await wait_until(pilot, lambda: "e Evaluate" in screen_text(app))
        screen = await open_empty_eval(pilot)
        assert screen.setup.file_field.value == "holdout.jsonl"
        assert screen.setup.job is None and screen.setup.models == []


async def test_e_elsewhere_shows_the_eval_screen_and_the_job_log_filter_moved_to_t(
    trained: TrainedJob, service_env: Emulator, tmp_path: Path
) -> None:
    app = eval_app(tmp_path, service_env)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_job(trained.job_id)
        await wait_until(pilot, lambda: isinstance(app.screen, JobScreen) and app.screen.job)
        job_screen = app.screen
        assert isinstance(job_screen, JobScreen)
        await pilot.press("t")
        assert job_screen.log_view.filter == "messages"
        assert "E Eval" in screen_text(app)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, EvalScreen))
        assert app.screen.setup.models == []  # `e` only shows the screen


async def test_E_on_the_job_screen_presets_the_job(
    trained: TrainedJob, service_env: Emulator, tmp_path: Path
) -> None:
    app = eval_app(tmp_path, service_env)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_job(trained.job_id)
        await wait_until(pilot, lambda: isinstance(app.screen, JobScreen) and app.screen.job)
        job = app.screen.job
        await pilot.press("E")
        await wait_until(
            pilot, lambda: isinstance(app.screen, EvalScreen) and app.screen.setup.models
        )
        screen = app.screen
        assert screen.setup.models == [f"{BASE}@{PROFILE}", f"{job.fine_tuned_model}@{PROFILE}"]
        assert screen.setup.job == trained.job_id
        assert "the job's validation file" in screen.setup.file_field.placeholder


async def test_a_moved_job_is_measured_against_the_model_it_came_from(
    trained: TrainedJob, service_env: Emulator, tmp_path: Path
) -> None:
    """The new job of a move, once trained: E sets up the old model against the new one on
    the moved job's validation file (the copy here is a second job on the same emulator)."""
    from tests.emulator.eval_data import HELD_OUT_VALUES, TRAIN_VALUES, examples
    from tests.helpers import write_jsonl

    train = write_jsonl(tmp_path / "copy.jsonl", examples(TRAIN_VALUES))
    holdout = write_jsonl(tmp_path / "copy-valid.jsonl", examples(HELD_OUT_VALUES))
    copy_id = service_env.add_job(BASE, train, holdout, suffix="copy")
    app = eval_app(tmp_path, service_env)
    async with app.run_test(size=(80, 24)) as pilot:
        service = app.session.service()
        source = await service.retrieve_job(trained.job_id)
        app.remember_move(
            MovedJob(PROFILE, copy_id, trained.job_id, source.fine_tuned_model, PROFILE)
        )
        app.open_job(copy_id)
        await wait_until(pilot, lambda: isinstance(app.screen, JobScreen) and app.screen.job)
        job_screen = app.screen
        service_env.advance(10**6)
        await wait_until(
            pilot,
            lambda: job_screen.job is not None and job_screen.job.status is JobStatus.SUCCEEDED,
        )
        copy = job_screen.job
        await pilot.press("E")
        await wait_until(
            pilot, lambda: isinstance(app.screen, EvalScreen) and app.screen.setup.models
        )
        screen = app.screen
        assert screen.setup.models == [
            f"{source.fine_tuned_model}@{PROFILE}",
            f"{copy.fine_tuned_model}@{PROFILE}",
        ]
        assert screen.setup.job == trained.job_id  # its validation file: the one both were held to


async def test_while_the_moved_job_trains_its_screen_says_what_comes(tmp_path: Path) -> None:
    from tests.emulator.eval_data import TRAIN_VALUES, examples
    from tests.helpers import write_jsonl

    with Emulator(speed=0.001, api_key=TEST_KEY) as emulator:  # the job stays running
        train = write_jsonl(tmp_path / "copy.jsonl", examples(TRAIN_VALUES))
        copy_id = emulator.add_job(BASE, train, suffix="copy")
        app = eval_app(tmp_path, emulator)
        async with app.run_test(size=(80, 24)) as pilot:
            app.remember_move(MovedJob(PROFILE, copy_id, "ftjob-old", "ft:old", PROFILE))
            app.open_job(copy_id)
            await wait_until(pilot, lambda: isinstance(app.screen, JobScreen) and app.screen.job)
            await wait_until(
                pilot, lambda: "E compares it with the original once trained" in screen_text(app)
            )
            assert "E Eval" not in screen_text(app)  # no model to measure yet
            await pilot.press("E")
            assert isinstance(app.screen, JobScreen)


# -- outside text ------------------------------------------------------------------------------

HOSTILE_MODEL = "[bold red]m[/]@[@click=app.quit]p"
HOSTILE_REPLY = "[@click=app.quit]click[/] \x1b[2J gone [b]bold"


def write_hostile_run(tmp_path: Path) -> Path:
    """A finished run whose model name, reply and prompt are markup and control bytes."""
    from tuner.config import data_dir

    eval_file = tmp_path / "hostile.jsonl"
    messages = [
        {"role": "user", "content": "[red]prompt[/] \x1b[31m"},
        {"role": "assistant", "content": "[link=x]reference[/link]"},
    ]
    eval_file.write_text(json.dumps({"messages": messages}) + "\n", encoding="utf-8")
    from tuner.data.eval.examples import read_eval_file

    (example,) = read_eval_file(eval_file).examples
    folder = data_dir() / "eval-runs" / "hostile"
    folder.mkdir(parents=True)
    graders = grader_specs(())
    records = [
        ExampleResult(example.ident, 1, "plain@p", "fine", {"chrf": Score(0.9), "fuzzy": Score(1)}),
        ExampleResult(example.ident, 1, HOSTILE_MODEL, HOSTILE_REPLY, {"chrf": Score(0.1)}),
    ]
    append_results(folder / "results.jsonl", records)
    summary = summarise(records, graders, ["plain@p", HOSTILE_MODEL])
    write_run_files(folder, summary, records, {example.ident: example})
    info = RunInfo(
        str(eval_file),
        ("plain@p", HOSTILE_MODEL),
        ("chrf", "fuzzy"),
        1,
        started="2026-12-01T10:00:00Z",
        finished="2026-12-01T10:01:00Z",
    )
    write_run_info(folder, info)
    remember_run(folder)
    return folder


async def test_hostile_names_and_replies_are_drawn_as_text(tmp_path: Path) -> None:
    write_hostile_run(tmp_path)
    with Emulator(api_key=TEST_KEY) as emulator:
        app = eval_app(tmp_path, emulator)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await open_empty_eval(pilot)
            await pilot.press("4")
            await wait_until(pilot, lambda: screen.history.table.row_count == 1)
            await pilot.press("enter")
            await wait_until(pilot, lambda: screen.examples_view.rows)
            shown = screen_text(app)
            assert "[bold red]m[/]@[@click=app.quit]p" in shown  # the name, as written
            await pilot.press("3", "enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ExampleModal))
            await pilot.pause()
            body = screen_text(app)
            assert "[@click=app.quit]click[/]" in body and "[b]bold" in body
            assert "[red]prompt[/]" in body and "[link=x]reference[/link]" in body
            assert "\x1b" not in body
            await pilot.click(".reply-text")  # a click on "click" quits nothing
            assert app.is_running


async def footer_fits(pilot: Pilot[Any], where: str) -> None:
    """Once the footer has caught up with the screen's state, every key it offers is whole."""
    from tests.ui.test_footers import fits

    def whole() -> bool:
        try:
            fits(pilot.app, where)
        except AssertionError:
            return False
        return True

    try:
        await wait_until(pilot, whole, timeout=10)
    except AssertionError:
        fits(pilot.app, where)  # says what was cut


async def test_every_eval_footer_fits_80_columns(tmp_path: Path) -> None:
    write_hostile_run(tmp_path)
    with Emulator(api_key=TEST_KEY) as emulator:
        app = eval_app(tmp_path, emulator)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_empty_eval(pilot)
            await footer_fits(pilot, "eval setup")
            await pilot.press("4")
            await wait_until(pilot, lambda: screen.history.table.row_count == 1)
            await footer_fits(pilot, "eval history")
            await pilot.press("enter")
            await wait_until(pilot, lambda: screen.examples_view.rows)
            await footer_fits(pilot, "eval results")
            await pilot.press("3")
            await footer_fits(pilot, "eval examples")
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ExampleModal))
            await footer_fits(pilot, "eval example")
