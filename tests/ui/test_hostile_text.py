"""Hostile text through every screen: shown as the characters it is, never markup, never control.

A service's names, events, errors and replies, and a user's file names and contents, may hold
markup (`[/]` crashed the markup parser, `[@click=app.quit]` would act when clicked, `[link=…]`
would make a link) and escape sequences (`ESC ] 0 ;` retitles the window, `ESC [ 2 J` clears the
screen, C1 `0x9b` is CSI on 8-bit terminals). Here such text comes from the emulator through the
real SDKs, wherever the emulator accepts it as the real services do:

- Together takes any suffix of up to 40 characters, so a fine-tuned model's name holds it all
  (the jobs list, the job screen, chat's titles and model picker, transcripts, the move plan);
- both services keep an uploaded file's name as sent (a name has no `/`), so the new-job form's
  file list and the job header show it;
- an OpenAI job fails with the training-file checker's words (the header, the log, the
  announcement), and a base model's reply quotes the question (streamed, replayed, reopened);
- the dataset screen reads a local file whose name and contents hold the same.

What the terminal would draw is read from the screen's composed strips (`drawn`): it must hold
the literal text, and no character a terminal acts on.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from tests.helpers import BASE_MODEL, TEST_KEY, notices, screen_text, settle, wait_until
from tuner.api.types import Checkpoint, JobStatus
from tuner.config import Profile, Settings
from tuner.data.visible_text import visible_line
from tuner.emulator import Emulator
from tuner.emulator.checks import together_training_file_checker
from tuner.ui.app import TunerApp, make_app
from tuner.ui.modals.backup import BackupModal
from tuner.ui.modals.export_chat import EditReplyModal, ExportModal
from tuner.ui.modals.migrate import MigrateModal
from tuner.ui.modals.pick_file import PickFileModal
from tuner.ui.modals.pick_model import PickModelModal
from tuner.ui.modals.transcripts import TranscriptsModal
from tuner.ui.screens.chat import ChatScreen
from tuner.ui.screens.dataset import DatasetScreen
from tuner.ui.screens.files import FilesScreen
from tuner.ui.screens.help import HelpScreen
from tuner.ui.screens.job import JobScreen
from tuner.ui.screens.job_requests import DetailsLoaded
from tuner.ui.screens.jobs import JobsScreen
from tuner.ui.screens.new_job import NewJobScreen
from tuner.ui.screens.settings import SettingsScreen
from tuner.ui.services import MemorySettingsStore, Services
from tuner.ui.widgets.problems_pane import ProblemsPane

pytest.importorskip("tuner.api.providers.together")

ESCAPES = "\x1b]0;t\x07\x9b"  # retitle the window, ring, and an 8-bit CSI
SUFFIX = f"[/]x[b]y{ESCAPES}[@click=app.quit]q"  # 34 characters: Together takes up to 40
QUESTION = f"[/]x[b]y{ESCAPES}[@click=app.quit]q[link=http://e.x]l"
ERROR = "[/]bad[b]y \x1b]52;c;aGk=\x07\x1b[2J\x9b[@click=app.quit]quit"
UPLOADED = "[b]f[@click=app.quit]q\x1b]0;t.jsonl"  # a file the services keep by this name
DATASET = "[b]d[link=e.x]l\x1b[2J.jsonl"
PROMPTS = "[b]p\x1b[2J.txt"
FAIL_MARK = "fail-me"

TOGETHER_BASE = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
QWEN = "Qwen/Qwen2.5-7B-Instruct"
# What a terminal acts on: C0 controls but newline and tab, DEL, C1.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def shown(text: str) -> str:
    """`text` as the screen must draw it (one line)."""
    return visible_line(text)


def drawn(app: TunerApp) -> str:
    """What the terminal would show now (every widget and layer, toasts included), exactly the
    characters that would be sent."""
    return screen_text(app)


def assert_clean(app: TunerApp, *literal: str) -> str:
    """Nothing a terminal acts on is drawn, and each of `literal` is drawn as written."""
    text = drawn(app)
    found = CONTROL.findall(text)
    assert not found, f"control characters drawn: {found!r}"
    for piece in literal:
        assert piece in text, f"{piece!r} not drawn in:\n{text}"
    return text


def chat_line(user: str, answer: str) -> str:
    messages = [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]
    return json.dumps({"messages": messages}, ensure_ascii=False)


def checker(content: bytes) -> str | None:
    """The service's verdict: a file marked to fail fails with `ERROR`, others by the rules."""
    if FAIL_MARK.encode() in content:
        return ERROR
    return together_training_file_checker(content)


@pytest.fixture
def emu() -> Any:
    with Emulator(speed=500, api_key=TEST_KEY, training_file_checker=checker) as emulator:
        yield emulator


@pytest.fixture
def frozen_emu() -> Any:
    """Nearly frozen: jobs move only when the test calls `advance`."""
    with Emulator(speed=0.001, api_key=TEST_KEY, training_file_checker=checker) as emulator:
        yield emulator


def write_files(root: Path) -> Path:
    """The user's folder: a dataset whose name and lines hold markup and escapes, a clean file
    with a hostile name (the one uploaded), a prompt file asking the hostile question."""
    root.mkdir(parents=True, exist_ok=True)
    rows = [
        chat_line(QUESTION, "Yanıt [/]a\x1b[2J"),
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": "Soru"},
                    {"role": "[@click=app.quit]quit", "content": "x"},
                    {"role": "assistant", "content": "Yanıt"},
                ]
            }
        ),
        "not json [/]x \x1b[2J\x9b",
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": "Hava?"},
                    {
                        "role": "assistant",
                        "tool_calls": [
                            {
                                "id": "call_[/]\x1b[2J",
                                "type": "function",
                                "function": {"name": "f[/]\x1b]0;t\x07", "arguments": "{}"},
                            }
                        ],
                    },
                ]
            }
        ),
        *(chat_line(f"Soru {i} [b]x", f"Yanıt {i}.") for i in range(10)),
    ]
    (root / DATASET).write_text("".join(row + "\n" for row in rows), encoding="utf-8")
    clean = "".join(chat_line(f"Soru {i} [/]x\x1b[2J", f"Yanıt {i}.") + "\n" for i in range(12))
    (root / UPLOADED).write_text(clean, encoding="utf-8")
    (root / PROMPTS).write_text(f"{QUESTION}\nİkinci soru [b]\x1b[2J\n", encoding="utf-8")
    return root


def settings_store(emu: Emulator, active: str) -> MemorySettingsStore:
    """A Together profile ("tg") and an OpenAI one ("oa"), both on the emulator."""
    profiles = {
        "tg": Profile(name="tg", kind="together", base_url=emu.together_base_url),
        "oa": Profile(name="oa", kind="openai", base_url=emu.base_url),
    }
    settings = Settings(active_profile=active, profiles=profiles)
    return MemorySettingsStore(settings, keys=dict.fromkeys(profiles, TEST_KEY), env={})


def hostile_app(root: Path, emu: Emulator, active: str) -> TunerApp:
    services = Services(settings_store=settings_store(emu, active), poll_scale=0.01)
    return make_app(root, services=services)


async def together_job(emu: Emulator, root: Path) -> tuple[str, str]:
    """(job id, file id): a Together job on the hostile-named file, with the hostile suffix, run
    to success. The `together` SDK sends the suffix (tuner would refuse it; the service does
    not)."""
    from together import AsyncTogether

    from tests.helpers import open_together_service

    service = open_together_service(emu)
    try:
        uploaded = await service.upload_file(root / UPLOADED)
    finally:
        await service.close()
    client = AsyncTogether(api_key=TEST_KEY, base_url=emu.together_base_url)
    try:
        limits = await client.fine_tuning.model_limits(model_name=TOGETHER_BASE)
        job = await client.fine_tuning.create(
            training_file=uploaded.id,
            model=TOGETHER_BASE,
            suffix=SUFFIX,
            model_limits=limits,
            train_on_inputs="auto",
        )
    finally:
        await client.close()
    emu.advance(3600)
    return str(job.id), uploaded.id


async def failing_openai_job(emu: Emulator, root: Path) -> str:
    """An OpenAI job on a hostile-named file that the service fails with `ERROR` (once the
    clock moves on)."""
    from tests.helpers import open_test_service
    from tuner.api.jobs.spec import JobSpec

    path = root / "upload" / f"{FAIL_MARK}{UPLOADED}"
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        "".join(chat_line(f"{FAIL_MARK} {i}", "a") + "\n" for i in range(12)), encoding="utf-8"
    )
    service = open_test_service(emu)
    try:
        uploaded = await service.upload_file(path)
        return (await service.create_job(JobSpec(BASE_MODEL, uploaded.id))).id
    finally:
        await service.close()


async def highlight_role_problem(pilot: Pilot[Any], pane: ProblemsPane) -> None:
    """Put the problems tree's cursor on the finding that quotes the `[@click=…]` role."""
    leaf = next(
        leaf
        for group in pane.tree.root.children
        for leaf in group.children
        if "click" in leaf.label.plain
    )
    assert leaf.parent is not None
    leaf.parent.expand()
    await pilot.pause()
    pane.tree.move_cursor(leaf)
    await wait_until(pilot, lambda: "has role" in str(pane.query_one("#problem-detail").render()))


async def shown_screen(pilot: Pilot[Any], kind: type) -> Any:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, kind))
    return pilot.app.screen


# -- files, palette, dataset ---------------------------------------------------------------------


async def test_files_and_dataset_show_hostile_names_and_contents(
    tmp_path: Path, emu: Emulator
) -> None:
    root = write_files(tmp_path / "data")
    app = hostile_app(root, emu, "tg")
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        files = await shown_screen(pilot, FilesScreen)
        await wait_until(pilot, lambda: files.tree.root.children)
        await settle(pilot)
        assert_clean(app, "[b]d[link=e.x]l␛[2J.jsonl", "[b]p␛[2J.txt")
        # The palette finds the file by its name and shows it as written.
        await pilot.press("ctrl+p")
        await shown_screen(pilot, CommandPalette)
        await pilot.press(*"link")
        await wait_until(pilot, lambda: "[link=e.x]l" in drawn(app))
        assert_clean(app, "[b]d[link=e.x]l␛[2J.jsonl")
        await pilot.press("escape")
        await shown_screen(pilot, FilesScreen)

        app.open_dataset(root / DATASET)
        screen = await shown_screen(pilot, DatasetScreen)
        await wait_until(pilot, lambda: screen.report is not None)
        await settle(pilot)
        # The title, the list's first words, the preview of the first line.
        assert_clean(app, shown(f"Dataset · {DATASET}"), shown(QUESTION)[:40], "Yanıt [/]a␛[2J")
        await pilot.press("r")  # the line's JSON
        await settle(pilot)
        assert_clean(app, "raw JSON")
        await pilot.press("r", "down", "down")  # the line that is not JSON
        await settle(pilot)
        assert_clean(app, "not json [/]x ␛[2J\\x9b")
        await pilot.press("down")  # the tool call's name and id
        await settle(pilot)
        assert_clean(app, "f[/]␛]0;t␇", "call_[/]␛[2J")
        await pilot.press("2")  # the problems, and the one highlighted, whole
        await settle(pilot)
        pane = screen.query_one(ProblemsPane)
        await highlight_role_problem(pilot, pane)
        assert_clean(app, "[@click=app.quit]quit")
        await pilot.press("3")  # the statistics
        await settle(pilot)
        assert_clean(app, "tokens")
        await pilot.press("question_mark")  # help names the screen by its file
        await shown_screen(pilot, HelpScreen)
        assert_clean(app, "[b]d[link=e.x]l␛[2J.jsonl")
        await pilot.press("escape")
        await shown_screen(pilot, DatasetScreen)
        assert app.is_running


async def test_a_click_on_a_name_holding_a_click_action_does_nothing(tmp_path: Path) -> None:
    """`[@click=app.quit]` in a problem quoting a file's role: drawn as written, and clicking it
    quits nothing."""
    root = write_files(tmp_path / "data")
    app = make_app(
        root, open_file=root / DATASET, services=Services(settings_store=MemorySettingsStore())
    )
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        screen = await shown_screen(pilot, DatasetScreen)
        await wait_until(pilot, lambda: screen.report is not None)
        await pilot.press("2")
        await settle(pilot)
        pane = screen.query_one(ProblemsPane)
        await highlight_role_problem(pilot, pane)
        detail = pane.query_one("#problem-detail", Static)
        shown_detail = str(detail.render())
        region = detail.region
        rows = drawn(app).splitlines()[region.y : region.bottom]
        clicked = 0
        for y, row in enumerate(rows):
            # Every letter of every "quit" drawn: markup would have made one of them the action.
            line = row[region.x : region.right]
            starts = [i for i in range(len(line)) if line.startswith("quit", i)]
            for x in (start + i for start in starts for i in range(4)):
                await pilot.click(detail, offset=(x, y))
                clicked += 1
                assert app.is_running and app.return_code is None
        assert clicked
        assert isinstance(app.screen, DatasetScreen)
        assert "[@click=app.quit]quit" in shown_detail


# -- Together: a model named with markup and escapes ---------------------------------------------


async def test_a_hostile_model_name_through_jobs_job_form_chat_and_dialogs(
    tmp_path: Path, emu: Emulator
) -> None:
    root = write_files(tmp_path / "data")
    _, file_id = await together_job(emu, root)
    model_shown = shown(SUFFIX)
    app = hostile_app(root, emu, "tg")
    # Wide enough for the model's whole name in the jobs list.
    async with app.run_test(size=(260, 50), notifications=True) as pilot:
        await shown_screen(pilot, FilesScreen)
        # The jobs list: the model's name in its row (wide: every column).
        await pilot.press("j")
        jobs = await shown_screen(pilot, JobsScreen)
        await wait_until(pilot, lambda: jobs.table.row_count == 1)
        await settle(pilot)
        assert_clean(app, model_shown)

        # The backup dialog: the files saved, named by the service.
        await pilot.press("b")
        backup = await shown_screen(pilot, BackupModal)
        await pilot.press("enter")
        await wait_until(pilot, lambda: backup.summary is not None, timeout=60)
        assert_clean(app, "Backup complete")
        await pilot.press("escape")
        await shown_screen(pilot, JobsScreen)

        # The job: header, log, chart, checkpoints.
        await pilot.press("enter")
        job = await shown_screen(pilot, JobScreen)
        await wait_until(pilot, lambda: job.job is not None and job.job.finished)
        await settle(pilot)
        assert_clean(app, model_shown)
        for tab in ("2", "3", "1"):
            await pilot.press(tab)
            await settle(pilot)
            assert_clean(app)

        # The move dialog: OpenAI refuses the job's own suffix (the refusal quotes it), and
        # with another one the plan names the job's file.
        await pilot.press("m")
        move = await shown_screen(pilot, MigrateModal)
        await wait_until(pilot, lambda: "suffix may hold only" in drawn(app))
        assert_clean(app, "Cannot move", "suffix may hold only")
        move.query_one("#migrate-suffix", Input).value = "copy"
        await wait_until(pilot, lambda: move.plan is not None, timeout=60)
        assert_clean(app, "oa · OpenAI", f"({shown(UPLOADED)})")
        await pilot.press("escape")
        await shown_screen(pilot, JobScreen)

        # Chat with the model, compared with a base model that quotes the question.
        await pilot.press("o")
        chat = await shown_screen(pilot, ChatScreen)
        await wait_until(pilot, lambda: chat.threads and SUFFIX in chat.threads[0].model)
        await settle(pilot)
        assert_clean(app, model_shown)
        await pilot.press("ctrl+o")  # the picker lists the model by its name
        picker = await shown_screen(pilot, PickModelModal)
        await wait_until(pilot, lambda: picker.models)
        assert_clean(app, "[/]x[b]y␛]0;t␇", "[@click=app.quit]q-")  # the name wraps here
        await pilot.press("escape")
        await shown_screen(pilot, ChatScreen)
        await chat.compare_with(QWEN)
        await wait_until(pilot, lambda: len(chat.threads) == 2)
        chat.prompt.value = QUESTION
        await pilot.pause()
        assert_clean(app, "[/]x[b]y␛]0;t")  # the message box draws what is typed
        assert chat.prompt.value == QUESTION  # and sends it exactly
        chat.prompt.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: all(p.replies() for p in chat.panes) and not chat.busy)
        await settle(pilot)
        assert_clean(app, 'You asked about "[/]x[b]y␛]0;t␇\\x9b[@click=app.quit]q')

        # A prompt file, replayed: the file's name and its lines.
        await pilot.press("ctrl+r")
        pick = await shown_screen(pilot, PickFileModal)
        await wait_until(pilot, lambda: pick.query_one(Input).placeholder)
        await wait_until(pilot, lambda: "[b]p␛[2J.txt" in drawn(app))  # the likeliest file
        assert_clean(app, "[b]p␛[2J.txt")
        await pilot.press("enter")
        await shown_screen(pilot, ChatScreen)
        await wait_until(pilot, lambda: chat.replay is not None and not chat.busy, timeout=60)
        await wait_until(pilot, lambda: chat.replay.state.value == "done")
        await settle(pilot)
        assert_clean(app, "[b]p␛[2J.txt", "İkinci soru [b]␛[2J")

        # The saved conversation, listed and reopened.
        await pilot.press("ctrl+l")
        history = await shown_screen(pilot, TranscriptsModal)
        await wait_until(pilot, lambda: history.query_one("OptionList").option_count)
        assert_clean(app, shown(SUFFIX)[:20])
        await pilot.press("enter")
        await shown_screen(pilot, ChatScreen)
        await wait_until(
            pilot, lambda: any("reopened" in str(n.render()) for n in chat.query(".note"))
        )
        await settle(pilot)
        assert_clean(app, 'You asked about "[/]x[b]y␛]0;t␇')

        # Export: the exchanges listed, a reply opened for correcting.
        await pilot.press("ctrl+y")
        export = await shown_screen(pilot, ExportModal)
        assert_clean(app, "[/]x[b]y␛]0;t␇")
        await pilot.press("e")
        await shown_screen(pilot, EditReplyModal)
        assert_clean(app, "[/]x[b]y␛]0;t␇")
        await pilot.press("escape")
        await shown_screen(pilot, ExportModal)
        await pilot.press("escape")
        await shown_screen(pilot, ChatScreen)
        assert export.is_attached is False

        # The new-job form from the dataset: the local path, and the service's files by name.
        app.open_dataset(root / UPLOADED)
        dataset = await shown_screen(pilot, DatasetScreen)
        await wait_until(pilot, lambda: dataset.report is not None)
        await pilot.press("J")
        form = await shown_screen(pilot, NewJobScreen)
        await settle(pilot)
        assert_clean(app, shown(UPLOADED))  # the path field draws the file's name
        form.query_one("#train-pick", Select).value = file_id  # listed by the service
        await settle(pilot)
        assert_clean(app, shown(UPLOADED))
        await pilot.press("escape")

        # Settings: both profiles, the service's models.
        await pilot.press("s")
        await shown_screen(pilot, SettingsScreen)
        await settle(pilot)
        assert_clean(app, "tg", "oa")
        assert app.is_running


# -- OpenAI: a job failed with hostile words -----------------------------------------------------


async def test_a_hostile_error_through_the_job_screen_and_its_announcement(
    tmp_path: Path, frozen_emu: Emulator
) -> None:
    emu = frozen_emu
    root = write_files(tmp_path / "data")
    job_id = await failing_openai_job(emu, root)
    app = hostile_app(root, emu, "oa")
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        await shown_screen(pilot, FilesScreen)
        app.open_job(job_id)
        job = await shown_screen(pilot, JobScreen)
        await wait_until(pilot, lambda: job.job is not None)
        emu.advance(3600)  # the service fails it, in the checker's words, while watched
        await wait_until(pilot, lambda: job.job is not None and job.job.status is JobStatus.FAILED)
        await wait_until(pilot, lambda: notices(app))
        await settle(pilot)
        error = shown(ERROR)
        assert any(error in notice for notice in notices(app))
        await wait_until(pilot, lambda: app.screen.query("Toast"))
        # The header, the log, and the notification of the job's end.
        text = assert_clean(app, f"invalid_training_file: {error}", f"error {error}")
        assert f"{job_id} failed: [/]bad[b]y" in text
        await pilot.press("escape")
        jobs = await shown_screen(pilot, JobsScreen)
        await wait_until(pilot, lambda: jobs.table.row_count == 1)
        assert_clean(app)
        assert app.is_running


async def test_checkpoint_rows_show_a_model_name_as_written(tmp_path: Path, emu: Emulator) -> None:
    """The checkpoints' model names come from the service; neither emulated service names one
    with markup (OpenAI's suffix rules refuse it, Together's checkpoints have no model name), so
    the rows are fed a checkpoint whose name does, on a real job's screen."""
    root = write_files(tmp_path / "data")
    job_id = await failing_openai_job(emu, root)
    emu.advance(3600)  # failed: nothing more is read after the screen has loaded it
    app = hostile_app(root, emu, "oa")
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        app.open_job(job_id)
        screen = await shown_screen(pilot, JobScreen)
        await wait_until(pilot, lambda: screen.job is not None and screen.job.finished)
        await settle(pilot)
        name = f"ft:{BASE_MODEL}:org:{SUFFIX}:ckpt-step-10"
        assert screen.job is not None
        screen.post_message(DetailsLoaded(screen.job, [Checkpoint("ckpt-1", 10, 0, name)]))
        await pilot.press("3")
        await wait_until(pilot, lambda: screen.checkpoint_table.row_count == 1)
        await settle(pilot)
        assert_clean(app, model_shown := shown(SUFFIX))
        assert model_shown in str(screen.query_one("#job-line", Static).render())
