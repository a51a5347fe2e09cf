"""The dataset screen: list, preview, problems, stats, search, upload, and bad inputs."""

from __future__ import annotations

import json
import multiprocessing
import signal
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    DEADLINE,
    TEST_KEY,
    active_connection,
    collector,
    notices,
    screen_text,
    wait_until,
)
from tests.helpers import settle as settle_app
from tests.ui.conftest import build_app
from tuner.config import Connection, Secret
from tuner.emulator import Emulator, Fault
from tuner.ui.modals import ConfirmModal
from tuner.ui.screens.dataset import DatasetScreen
from tuner.ui.screens.new_job import NewJobScreen
from tuner.ui.services import MemorySettingsStore, Services, default_analyser
from tuner.ui.session import NO_PROFILE, ActiveConnection
from tuner.ui.widgets.conversation import ConversationView
from tuner.ui.widgets.example_list import ExampleList
from tuner.ui.widgets.file_upload import FileUpload
from tuner.ui.widgets.problems_pane import ProblemsPane
from tuner.ui.widgets.stats_pane import StatsPane, TokenHistogram

SYSTEM = {"role": "system", "content": "You are terse."}


def chat(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "messages": [
            SYSTEM,
            {"role": "user", "content": f"Question number {i}?"},
            {"role": "assistant", "content": f"Answer {i}."},
        ],
        **extra,
    }


def write(path: Path, rows: list[Any]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def train(tmp_path: Path) -> Path:
    """20 good examples with a bad line (7) and a duplicate (12) among them."""
    rows: list[Any] = [chat(i) for i in range(20)]
    rows[6] = '{"messages": [oops'
    rows[11] = chat(3)
    return write(tmp_path / "train.jsonl", rows)


def services(**kwargs: Any) -> Services:
    return Services(settings_store=MemorySettingsStore(), **kwargs)


def open_app(path: Path, **kwargs: Any):
    kwargs.setdefault("services", services())
    return build_app(path.parent, open_file=path, **kwargs)


def preview_text(app) -> str:
    view = app.screen.query_one(ConversationView)
    return "\n".join(strip.text for strip in view.body.render_lines(view.body.region.reset_offset))


def footer_actions(app) -> dict[str, str]:
    return {
        key: active.binding.action
        for key, active in app.screen.active_bindings.items()
        if active.enabled
    }


# -- opening, list and keys -----------------------------------------------------------------------


async def test_opens_with_rows_preview_tokens_and_status(train: Path, settle) -> None:
    app = open_app(train)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DatasetScreen)
        assert app.current_file() == train.resolve()
        text = screen_text(app)
        assert "S U A" in text and "Question number 0?" in text
        assert "(not valid JSON)" in text  # line 7
        assert " ✗ " in text  # its problem marker
        assert screen.examples.tokens_for(1) and screen.examples.tokens_for(7) is None
        assert "line 1" in preview_text(app) and "Answer 0." in preview_text(app)
        status = screen.activity.text
        assert "train.jsonl" in status and "20 lines" in status and "error" in status


async def test_list_keys_move_the_cursor_and_the_preview_follows(tmp_path: Path, settle) -> None:
    path = write(tmp_path / "many.jsonl", [chat(i) for i in range(300)])
    app = open_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        examples = app.screen.query_one(ExampleList)
        assert app.focused is examples
        steps = [
            ("down", 2),
            ("down", 3),
            ("up", 2),
            ("pagedown", None),
            ("pageup", 2),
            ("end", 300),
            ("home", 1),
            ("G", 300),
            ("g", 1),
        ]
        for key, expected in steps:
            await pilot.press(key)
            await settle(pilot)
            if expected is not None:
                assert examples.line == expected, key
        await pilot.press("pagedown")
        await settle(pilot)
        assert examples.line > 5
        line = examples.line
        assert f"line {line}" in preview_text(app)
        assert f"Answer {line - 1}." in preview_text(app)
        await pilot.press("end")
        await settle(pilot)
        assert " 300 " in screen_text(app)  # the last row is painted


async def test_only_rows_on_screen_are_read(tmp_path: Path, settle) -> None:
    path = write(tmp_path / "many.jsonl", [chat(i) for i in range(5000)])
    app = open_app(path)
    read: list[int] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        original = screen.examples.summarise

        def counting(line: int):
            read.append(line)
            return original(line)

        screen.examples.summarise = counting
        screen.examples.forget()
        await pilot.press("end")
        await settle(pilot)
        assert screen.examples.line == 5000
        assert read and len(set(read)) < 40
        assert min(read) > 4900 or min(read) == 1  # rows at the top, then rows at the end


async def test_click_selects_a_row(train: Path, settle) -> None:
    app = open_app(train)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        examples = app.screen.query_one(ExampleList)
        await pilot.click(ExampleList, offset=(10, 3))
        await settle(pilot)
        assert examples.line == 4


async def test_raw_toggle_shows_pretty_json(train: Path, settle) -> None:
    app = open_app(train)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        text = preview_text(app)
        assert '"messages": [' in text and '"role": "system",' in text
        await pilot.press("r")
        await settle(pilot)
        assert "SYSTEM" in preview_text(app)


async def test_bad_line_preview_shows_problem_and_raw_text(train: Path, settle) -> None:
    app = open_app(train)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.examples.go_to_line(7)
        await settle(pilot)
        text = preview_text(app)
        assert "invalid_json" in text and '{"messages": [oops' in text
        assert "Traceback" not in screen_text(app)


# -- problems -------------------------------------------------------------------------------------


async def test_problems_tree_groups_by_code_and_enter_jumps(train: Path, settle) -> None:
    app = open_app(train)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        pane = app.screen.query_one(ProblemsPane)
        tree = pane.tree
        assert app.focused is tree
        labels = [str(node.label) for node in tree.root.children]
        assert any(label.startswith("✗ invalid_json") and label.endswith("1") for label in labels)
        assert any("duplicate_example" in label for label in labels)
        assert f"Problems {len(app.screen.report.problems)}" in screen_text(app)
        # The first group is open; go to its first finding and press enter.
        tree.move_cursor(tree.root.children[0].children[0])
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.examples.line == 7
        assert app.screen.tabs.active == "preview-tab"
        assert app.focused is app.screen.examples


async def test_the_problems_tab_takes_enter_space_and_right_however_it_is_reached(
    train: Path, settle
) -> None:
    """A click on the tab (or the tab bar) leaves no list in between: the keys act on the
    problems at once, without tabbing across the list and the tab bar first."""
    app = open_app(train)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.click("#tabs Tab#--content-tab-problems-tab")
        await settle(pilot)
        tree = app.screen.query_one(ProblemsPane).tree
        assert app.screen.tabs.active == "problems-tab" and app.focused is tree
        first = tree.root.children[0]
        assert tree.cursor_node is first
        await pilot.press("right")  # into the (open) group: its first finding
        assert tree.cursor_node is first.children[0]
        await pilot.press("left")  # out again, and ← again closes the group
        await pilot.press("left")
        assert tree.cursor_node is first and not first.is_expanded
        await pilot.press("right", "right")  # → opens it, → steps in
        await pilot.press("space")  # space on a finding: to its line
        await settle(pilot)
        assert app.screen.examples.line == 7 and app.screen.tabs.active == "preview-tab"
        await pilot.click("#tabs Tab#--content-tab-problems-tab")
        await settle(pilot)
        tree.move_cursor(first.children[0])
        await pilot.press("right")  # → on a finding: to its line
        await settle(pilot)
        assert app.screen.examples.line == 7 and app.focused is app.screen.examples


async def test_closing_find_takes_its_keys_off_the_footer(train: Path, settle) -> None:
    app = open_app(train)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        footer = screen_text(app).splitlines()[-1]
        assert "Close find" in footer and "End search" not in footer
        await pilot.press(*"answer", "enter")
        await settle(pilot)
        await pilot.press("escape")  # the bar closes; n / N still step the matches
        await settle(pilot)
        footer = screen_text(app).splitlines()[-1]
        assert "Close find" not in footer and "End search" not in footer
        assert "n Next match" in footer and "q Quit" in footer  # fits 80 columns whole
        assert footer_actions(app)["escape"] == "end_search"  # a second esc ends it
        await pilot.press("escape")
        await settle(pilot)
        footer = screen_text(app).splitlines()[-1]
        assert "n Next problem" in footer and not app.screen.search_bar.active


async def test_n_and_shift_n_step_through_problem_lines(train: Path, settle) -> None:
    app = open_app(train)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        examples = app.screen.examples
        assert footer_actions(app)["n"] == "next_problem"
        visited = []
        for _ in range(3):
            await pilot.press("n")
            await settle(pilot)
            visited.append(examples.line)
        assert visited == [7, 12, 7]  # wraps around
        assert any("Wrapped" in m for m in notices(app))
        await pilot.press("N")
        await settle(pilot)
        assert examples.line == 12
        # From the stats tab too ("from anywhere on the screen").
        await pilot.press("3")
        await pilot.press("n")
        await settle(pilot)
        assert examples.line == 7


# -- stats and pricing ----------------------------------------------------------------------------


class CountingAnalyser:
    def __init__(self) -> None:
        self.models: list[str | None] = []

    def __call__(self, path: Path, model: str | None, **kwargs: Any):
        self.models.append(model)
        return default_analyser(path, model, **kwargs)


async def test_stats_show_figures_histogram_and_cost(train: Path, settle) -> None:
    app = open_app(train)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        report = app.screen.report
        text = screen_text(app)
        assert "examples" in text and f"{report.examples:,}" in text
        assert f"{report.stats.total:,}" in text
        assert "p50 · p95" in text and "min · mean" in text
        assert report.estimate.cost_text in text
        assert "█" in text  # the histogram's bars
        histogram = app.screen.query_one(TokenHistogram)
        assert histogram.stats is report.stats


async def test_epochs_keys_and_model_choice_reprice_or_reanalyse(train: Path, settle) -> None:
    analyser = CountingAnalyser()
    app = open_app(train, services=services(analyse=analyser))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        stats = screen.query_one(StatsPane)
        report = screen.report
        auto = report.estimate.epochs
        await pilot.press("plus")
        await settle(pilot)
        assert stats.epochs == auto + 1
        await pilot.press("minus", "minus")
        await settle(pilot)
        assert stats.epochs == auto - 1
        assert analyser.models == ["gpt-4o-mini-2024-07-18"]  # repriced, not re-run
        stats.set_epochs(1)
        await settle(pilot)
        await pilot.press("minus")  # below 1: the service's own choice again
        await settle(pilot)
        assert stats.epochs is None
        stats.set_epochs(auto - 1)
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        assert f"{auto - 1} " in screen_text(app) or f"{auto - 1}\n" in screen_text(app)
        # Same encoding (o200k_base): instant reprice with the new price.
        stats.set_model("gpt-4o-2024-08-06")
        await settle(pilot)
        assert analyser.models == ["gpt-4o-mini-2024-07-18"]
        assert "$25.0" in screen_text(app) and "price per 1M" in screen_text(app)
        # Another encoding (cl100k_base): the analysis runs again for the new model.
        stats.set_model("gpt-3.5-turbo-0125")
        await settle(pilot)
        assert analyser.models[-1] == "gpt-3.5-turbo-0125"
        assert screen.report.encoding == "cl100k_base"
        assert "over 16,385" in screen_text(app)


async def test_stop_analysis_with_x(train: Path, settle) -> None:
    started = threading.Event()

    def slow(path: Path, model: str | None, *, cancel: threading.Event, **kwargs: Any):
        from tuner.data.analysis.report import AnalysisCancelled

        started.set()
        cancel.wait(10)
        raise AnalysisCancelled(str(path))

    app = open_app(train, services=services(analyse=slow))
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(20):
            await pilot.pause()
            if started.is_set():
                break
        assert "Checking and counting tokens" in screen_text(app)
        assert footer_actions(app)["x"] == "stop_analysis"
        await pilot.press("x")
        await settle(pilot)
        assert any("Analysis stopped" in m for m in notices(app))
        assert "x" not in footer_actions(app)
        assert "Checking" not in screen_text(app)
        assert app.screen.report is None


async def test_quit_while_a_big_file_is_analysed_ends_the_app_and_its_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ctrl+q while worker processes read the file: the analysis returns at once and its
    processes are ended (SIGTERM), not waited for until they finish their ranges."""
    from tuner.data.analysis import pool
    from tuner.data.analysis.analyse import analyse_file

    monkeypatch.setattr(pool, "CHUNK_BYTES", 4096)  # many ranges: the read stays in flight
    path = write(tmp_path / "big.jsonl", [chat(i) for i in range(2000)])
    mid_file = threading.Event()
    returned = threading.Event()
    workers: list[multiprocessing.process.BaseProcess] = []

    def analyse(path: Path, model: str | None, *, progress, cancel, **kwargs: Any):
        def hold_mid_file(done: int, total: int) -> None:
            if not mid_file.is_set():
                workers.extend(multiprocessing.active_children())
                mid_file.set()
                cancel.wait()  # held here until quitting cancels the screen's workers
            progress(done, total)

        try:
            return analyse_file(
                path, model, workers=2, progress=hold_mid_file, cancel=cancel, **kwargs
            )
        finally:
            returned.set()

    app = open_app(path, services=services(analyse=analyse))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, mid_file.is_set)
        assert workers and all(w.is_alive() for w in workers)
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: not app.is_running)
    assert returned.wait(DEADLINE)
    for worker in workers:
        worker.join(DEADLINE)
        assert worker.exitcode == -signal.SIGTERM


# -- search ---------------------------------------------------------------------------------------


async def test_search_jumps_and_n_steps_matches_then_escape_returns(train: Path, settle) -> None:
    app = open_app(train)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        examples = app.screen.examples
        await pilot.press("slash")
        await pilot.press(*"ANSWER 1")  # lines 2, 11 and 13..20 hold "Answer 1", "Answer 1x"
        await pilot.press("enter")
        await settle(pilot)
        assert examples.line == 2
        assert "10 matches" in screen_text(app)
        await pilot.press("enter")  # enter in the bar: next match
        await settle(pilot)
        assert examples.line == 11
        await pilot.press("escape")  # closes the bar; the search stays active
        await settle(pilot)
        assert footer_actions(app)["n"] == "next_match"
        assert "Next match" in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        assert examples.line == 13  # line 12 is the duplicate of example 3
        await pilot.press("N", "N")
        await settle(pilot)
        assert examples.line == 2
        await pilot.press("escape")  # ends the search: n / N are problems again
        await settle(pilot)
        assert footer_actions(app)["n"] == "next_problem"
        assert "Next problem" in screen_text(app)
        assert not app.screen.search_bar.active


def marked_text(app) -> list[str]:
    """The runs of the preview drawn with another background than the pane's: the marks."""
    view = app.screen.query_one(ConversationView)
    strips = view.body.render_lines(view.body.region.reset_offset)
    pane = next(iter(strips[0])).style.bgcolor  # the head line ("line N · ...") is never marked
    runs: list[str] = []
    for strip in strips:
        run = ""
        for segment in strip:
            bg = segment.style.bgcolor if segment.style else None
            if bg is not None and bg != pane:
                run += segment.text
            elif run:
                runs.append(run)
                run = ""
        if run:
            runs.append(run)
    return runs


async def test_search_ignores_case_in_every_script_and_marks_the_match(
    tmp_path: Path, settle
) -> None:
    """Turkish İ/ı, ü, ç and ğ, German ß and Greek final sigma: each query finds its line
    and the preview marks the original text, whatever folding did to its length."""
    texts = [
        "Merhaba, nasılsın?",
        "Büyük İndirim başladı",
        "Yeni Ürün geldi",
        "Çiğ köfte ister misin?",
        "Die Straße ist lang",
        "Ο ΛΌΓΟΣ είναι σαφής",
    ]
    rows = [
        {"messages": [{"role": "user", "content": t}, {"role": "assistant", "content": "Tamam."}]}
        for t in texts
    ]
    path = write(tmp_path / "turkish.jsonl", rows)
    app = open_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        bar = app.screen.search_bar
        await pilot.press("slash", *"indirim", "enter")
        await settle(pilot)
        assert bar.matches == [2] and app.screen.examples.line == 2
        assert marked_text(app) == ["İndirim"]
        for query, line, shown in [
            ("ürün", 3, "Ürün"),
            ("çiğ", 4, "Çiğ"),
            ("STRASSE", 5, "Straße"),
            ("λόγος", 6, "ΛΌΓΟΣ"),
        ]:
            bar.input.value = query
            bar.input.focus()
            await pilot.press("enter")
            await settle(pilot)
            assert bar.matches == [line], query
            assert app.screen.examples.line == line
            assert marked_text(app) == [shown], query
        await pilot.press("escape", "escape")  # close the bar, then end the search
        await settle(pilot)
        assert marked_text(app) == []


async def test_search_with_no_match_says_so(train: Path, settle) -> None:
    app = open_app(train)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"zebra", "enter")
        await settle(pilot)
        assert any("No line contains 'zebra'" in m for m in notices(app))
        assert app.screen.examples.line == 1


# -- upload ---------------------------------------------------------------------------------------


async def test_upload_without_profile_says_what_to_do(train: Path, settle) -> None:
    app = open_app(train, connection=ActiveConnection(label="no profile", problem="no key"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await pilot.press("J")
        await settle(pilot)
        said = [m for m in notices(app) if NO_PROFILE in m]
        assert len(said) == 2 and "no key" in said[0]


async def test_upload_to_the_emulator_then_new_job(tmp_path: Path, settle) -> None:
    path = write(tmp_path / "good.jsonl", [chat(i) for i in range(12)])
    with Emulator(port=0, speed=500, api_key=TEST_KEY) as emu:
        app = open_app(path, connection=active_connection(emu))
        hook, progressed = collector(FileUpload.Progressed)
        async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
            await settle(pilot)
            await pilot.press("u")
            await settle(pilot)
            screen = app.screen
            file_id = screen.uploaded_file_id
            assert file_id is not None
            with emu.state.lock:
                stored = emu.state.files[file_id]
            assert stored.filename == "good.jsonl" and stored.purpose == "fine-tune"
            assert stored.read() == path.read_bytes()
            assert any(f"Uploaded good.jsonl as {file_id}" in m for m in notices(app))
            assert file_id in screen.activity.text
            assert progressed and progressed[-1].sent == progressed[-1].total  # shown to the end
            await pilot.press("J")
            await settle(pilot)
            assert isinstance(app.screen, NewJobScreen)
            assert app.screen.initial_path == path.resolve()
            assert app.screen.local_copies == {file_id: path.resolve()}


async def test_new_job_opens_the_form_with_this_file(train: Path, settle) -> None:
    connection = Connection(profile_name="x", base_url="http://127.0.0.1:9", api_key=Secret("k"))
    app = open_app(train, connection=ActiveConnection(label="x", connection=connection))
    opened: list[tuple[Path | None, str | None, str | None, int | None]] = []
    app.open_new_job = lambda path=None, file_id=None, model=None, epochs=None: opened.append(
        (path, file_id, model, epochs)
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("J")
        await settle(pilot)
        # The model chosen in the Stats tab comes along (the default here), epochs auto.
        assert opened == [(train.resolve(), None, app.settings.default_model, None)]


async def test_epochs_set_on_the_stats_tab_reach_the_form(tmp_path: Path, settle) -> None:
    from textual.widgets import Input

    path = write(tmp_path / "ok.jsonl", [chat(i) for i in range(20)])
    with Emulator(port=0, speed=500, api_key=TEST_KEY) as emu:
        app = open_app(path, connection=active_connection(emu))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("3")
            auto = app.screen.report.estimate.epochs
            await pilot.press("plus", "plus")
            await settle(pilot)
            assert app.screen.stats.epochs == auto + 2
            await pilot.press("J")
            await settle(pilot)
            assert isinstance(app.screen, NewJobScreen)
            assert app.screen.query_one("#epochs", Input).value == str(auto + 2)
            estimate = str(app.screen.query_one("#estimate").render())
            assert f"{auto + 2} epochs" in estimate and "(auto)" not in estimate


async def test_upload_of_an_invalid_file_asks_first(train: Path, settle) -> None:
    with Emulator(port=0, speed=500, api_key=TEST_KEY) as emu:
        app = open_app(train, connection=active_connection(emu))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("u")  # the file has an error: confirm first
            await settle(pilot)
            assert "Upload anyway?" in screen_text(app)
            await pilot.press("n")
            await settle(pilot)
            assert not emu.state.files
            await pilot.press("u")
            await settle(pilot)
            await pilot.press("y")
            await settle(pilot)
            with emu.state.lock:
                stored = list(emu.state.files.values())
            assert [f.read() for f in stored] == [train.read_bytes()]
            assert app.screen.uploaded_file_id == stored[0].id


async def test_upload_failure_is_a_notification(tmp_path: Path, settle) -> None:
    path = write(tmp_path / "good.jsonl", [chat(i) for i in range(12)])
    with Emulator(port=0, speed=500, api_key=TEST_KEY) as emu:
        emu.faults.add(Fault(r"/files$", method="POST", status=400, message="the service said no"))
        app = open_app(path, connection=active_connection(emu))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("u")
            await settle(pilot)
            assert any("Upload failed:" in m and "the service said no" in m for m in notices(app))
            assert app.screen.uploaded_file_id is None
            assert not app.screen.activity.shows("upload")


# -- bad inputs -----------------------------------------------------------------------------------


async def test_empty_file(tmp_path: Path, settle) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    app = open_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "empty.jsonl has no examples" in text
        assert "(empty file)" in text
        await pilot.press("end", "n", "r", "slash", *"x", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DatasetScreen)


async def test_json_array_file_shows_not_jsonl_with_the_convert_hint(
    tmp_path: Path, settle
) -> None:
    path = tmp_path / "legacy.json"
    path.write_text(json.dumps([chat(i) for i in range(3)], indent=2), encoding="utf-8")
    app = open_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        banner = str(app.screen.query_one("#banner").render())
        assert "not JSONL" in banner and "tuner convert" in banner
        assert app.screen.query_one("#banner").display


async def test_invalid_utf8_line(tmp_path: Path, settle) -> None:
    path = tmp_path / "latin1.jsonl"
    rows = [json.dumps(chat(i)).encode() for i in range(11)]
    rows[2] = b'{"messages": [{"role": "user", "content": "caf\xe9"}]}'
    path.write_bytes(b"\n".join(rows) + b"\n")
    app = open_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "(not UTF-8)" in screen_text(app)
        app.screen.examples.go_to_line(3)
        await settle(pilot)
        text = preview_text(app)
        assert "invalid_utf8" in text and "caf�" in text


async def test_huge_line_is_capped_in_the_preview(tmp_path: Path, settle) -> None:
    path = tmp_path / "huge.jsonl"
    big = {"messages": [{"role": "user", "content": "x" * 5_000_000}, SYSTEM]}
    write(path, [big, chat(1)])

    app = open_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "too long to summarise" in screen_text(app)
        view = app.screen.query_one(ConversationView)
        rendered = "\n".join(s.text for s in view.body.render_lines(view.body.region.reset_offset))
        assert "line 1 · 5.0 MB" in rendered
        assert "MB more)" in rendered
        assert len(rendered) < 200_000
        await pilot.press("down")
        await settle(pilot)
        assert "Answer 1." in preview_text(app)


async def test_missing_file_and_directory_show_the_problem(tmp_path: Path, settle) -> None:
    for path, reason in (
        (tmp_path / "gone.jsonl", "no such file or directory"),
        (tmp_path, "is a directory"),
    ):
        app = build_app(tmp_path, open_file=path, services=services())
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            text = screen_text(app)
            assert f"Cannot read {path.name}: {reason}" in text
            assert "Traceback" not in text
            await pilot.press("end", "n", "u", "3")
            await settle(pilot)


async def test_file_removed_while_analysing(train: Path, settle) -> None:
    def vanish(path: Path, model: str | None, **kwargs: Any):
        path.unlink()
        return default_analyser(path, model, **kwargs)

    app = open_app(train, services=services(analyse=vanish))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "Cannot read train.jsonl: no such file or directory" in screen_text(app)


async def test_preference_file_preview(tmp_path: Path, settle) -> None:
    row = {
        "input": {"messages": [{"role": "user", "content": "Tea or coffee?"}]},
        "preferred_output": [{"role": "assistant", "content": "Tea, brewed for 3 minutes."}],
        "non_preferred_output": [{"role": "assistant", "content": "Whatever."}],
    }
    path = write(tmp_path / "dpo.jsonl", [row] * 3)
    app = open_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "U → A|A" in screen_text(app)
        text = preview_text(app)
        assert "INPUT" in text and "PREFERRED" in text and "REJECTED" in text
        assert "Tea, brewed" in text and "Whatever." in text


async def test_wide_layout_puts_the_list_beside_the_tabs(train: Path) -> None:
    app = open_app(train)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle_app(pilot)
        assert app.screen.has_class("-wide")
        examples = app.screen.examples
        tabs = app.screen.tabs
        assert examples.region.right <= tabs.region.x + 1
        assert examples.region.height > 20


async def test_a_json_file_is_converted_from_its_own_screen(datasets: Path, settle) -> None:
    from tests.helpers import wait_until

    source = datasets / "legacy.json"
    app = open_app(source, services=services())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.check_action("convert", ()) is True
        assert app.screen.check_action("upload", ()) is False  # convert it first
        await pilot.press("C")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, DatasetScreen) and app.screen.path.suffix == ".jsonl",
        )
        assert app.screen.path == (datasets / "legacy.jsonl").resolve()


async def test_uploading_again_asks_and_the_browser_can_upload(tmp_path: Path, settle) -> None:
    from tests.helpers import wait_until

    path = write(tmp_path / "good.jsonl", [chat(i) for i in range(12)])
    with Emulator(port=0, speed=500, api_key=TEST_KEY) as emu:
        app = build_app(tmp_path, connection=active_connection(emu))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.screen.action_upload()  # the browser's u (from the palette): highlight first
            await settle(pilot)
            app.open_dataset(path, upload=True)  # what u in the browser does for a dataset
            await wait_until(pilot, lambda: getattr(app.screen, "uploaded_file_id", None))
            first = app.screen.uploaded_file_id
            await pilot.press("u")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
            assert "uploaded already" in app.screen.question
            await pilot.press("n")
            await settle(pilot)
            with emu.state.lock:
                assert [f.id for f in emu.state.files.values()] == [first]
            await pilot.press("u")  # and yes: another copy, on purpose, not the one held
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
            await pilot.press("y")
            await wait_until(pilot, lambda: getattr(app.screen, "uploaded_file_id", None))
            with emu.state.lock:
                assert len(emu.state.files) == 2
            assert app.screen.uploaded_file_id != first


async def test_a_file_the_service_holds_from_an_earlier_upload_is_reused(
    tmp_path: Path, settle
) -> None:
    from tests.helpers import open_test_service, wait_until
    from tuner.api.files.checked_upload import upload_checked

    path = write(tmp_path / "good.jsonl", [chat(i) for i in range(12)])
    with Emulator(port=0, speed=500, api_key=TEST_KEY) as emu:
        service = open_test_service(emu)
        try:
            before = await upload_checked(service, path)  # `tuner upload good.jsonl`, earlier
        finally:
            await service.close()
        app = open_app(path, connection=active_connection(emu))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("u")
            await wait_until(pilot, lambda: getattr(app.screen, "uploaded_file_id", None))
            assert app.screen.uploaded_file_id == before.id
            (said,) = [m for m in notices(app) if m.startswith("Reusing ")]
            assert said.startswith(f"Reusing {before.id} (uploaded ")
            assert said.endswith(", identical) for good.jsonl (J: new job)")
            with emu.state.lock:
                assert [f.id for f in emu.state.files.values()] == [before.id]


async def test_a_long_problem_is_shown_whole(tmp_path: Path, settle) -> None:
    long_text = "x" * 300
    rows: list[Any] = [chat(i) for i in range(12)]
    rows[2] = {"messages": [{"role": "user", "content": "q"}], "note": long_text}
    path = write(tmp_path / "long.jsonl", rows)
    app = open_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        pane = app.screen.query_one(ProblemsPane)
        tree = pane.tree
        tree.root.children[0].expand()
        await settle(pilot)
        tree.move_cursor(tree.root.children[0].children[0])
        await settle(pilot)
        detail = str(pane.query_one("#problem-detail").render())
        assert detail.startswith("line 3: ") and len(detail) > 60


async def test_lines_past_the_findings_listed_per_code_are_marked_and_explained(
    tmp_path: Path, settle
) -> None:
    """The analysis lists the first 1,000 findings of a code and counts the rest; the screen
    still marks every line that has one, steps to it, counts it, and shows its finding."""
    rows = [{"messages": chat(i)["messages"][1:]} for i in range(1100)]  # no system message
    path = write(tmp_path / "nosys.jsonl", rows)
    app = open_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.report.count_of("missing_system_message") == 1100
        assert "Problems 1,100" in screen_text(app)
        await pilot.press("N")  # back from line 1 wraps to the last problem line
        await settle(pilot)
        assert screen.examples.line == 1100
        assert " ! " in screen_text(app)
        assert "missing_system_message" in preview_text(app)
