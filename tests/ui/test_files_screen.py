"""The file browser: filtering, facts, validation badges, conversion, opening, bad inputs."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from tests.helpers import notices, wait_until
from tests.ui.conftest import FakeServices, build_app
from tuner.ui.modals import ConfirmModal, ReportModal
from tuner.ui.screens.dataset import DatasetScreen
from tuner.ui.screens.files import FilesScreen, count_file
from tuner.ui.services import ConversionSummary, MemorySettingsStore, Services
from tuner.ui.widgets.data_tree import DataTree, FileFacts, facts_text


def fake_services() -> tuple[Services, FakeServices]:
    fake = FakeServices()
    services = Services(
        settings_store=MemorySettingsStore(), validate=fake.validate, convert=fake.convert
    )
    return services, fake


def visible_names(tree: DataTree) -> list[str]:
    names = []
    stack = list(tree.root.children)
    while stack:
        node = stack.pop(0)
        names.append(node.data.path.name)
        stack[0:0] = list(node.children)
    return names


async def move_to(pilot, name: str, settle) -> None:
    """Expand folders and put the cursor on the node called `name`."""
    tree = pilot.app.screen.query_one(DataTree)
    for _ in range(3):
        for node in list(tree.root.children):
            if node.allow_expand and not node.is_expanded:
                node.expand()
        await settle(pilot)
    node = next(n for n in _walk(tree.root) if n.data.path.name == name)
    tree.move_cursor(node)
    await settle(pilot)


def _walk(node):
    for child in node.children:
        yield child
        yield from _walk(child)


async def test_lists_only_data_files_until_all_is_toggled(datasets: Path, settle) -> None:
    app = build_app(datasets)
    async with app.run_test() as pilot:
        await settle(pilot)
        await move_to(pilot, "train.jsonl", settle)
        tree = app.screen.query_one(DataTree)
        names = visible_names(tree)
        assert {"chat", "train.jsonl", "legacy.json", "prompts.txt"} <= set(names)
        assert "notes.md" not in names
        await pilot.press("a")
        await move_to(pilot, "notes.md", settle)
        assert "notes.md" in visible_names(tree)


async def test_counts_lines_and_shows_details(datasets: Path, settle) -> None:
    app = build_app(datasets)
    async with app.run_test() as pilot:
        await settle(pilot)
        await move_to(pilot, "train.jsonl", settle)
        tree = app.screen.query_one(DataTree)
        facts = tree.facts[(datasets / "chat" / "train.jsonl").resolve()]
        assert facts.lines == 12 and facts.size
        info = str(app.screen.query_one("#info").render())
        assert "train.jsonl" in info and "12" in info
        # A small dataset is checked by itself, just after the first frames: a badge without v.
        await wait_until(pilot, lambda: facts.validation is not None)
        assert "warning" in str(app.screen.query_one("#info").render())


async def test_validate_shows_a_badge(datasets: Path, settle) -> None:
    services, fake = fake_services()
    app = build_app(datasets, services=services)
    async with app.run_test() as pilot:
        await settle(pilot)
        await move_to(pilot, "train.jsonl", settle)
        train = (datasets / "chat" / "train.jsonl").resolve()
        await wait_until(pilot, lambda: fake.validated == [train])  # small: checked by itself
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert fake.validated == [train, train]
        info = str(app.screen.query_one("#info").render())
        assert "✗ 2 errors" in info and "1 warning" in info


async def test_validate_with_the_real_rules(datasets: Path, settle) -> None:
    (datasets / "chat" / "train.jsonl").write_text('{"mesages": []}\nnot json\n')
    app = build_app(datasets)
    async with app.run_test() as pilot:
        await settle(pilot)
        await move_to(pilot, "train.jsonl", settle)
        await pilot.press("v")
        await settle(pilot)
        facts = app.screen.query_one(DataTree).facts[(datasets / "chat" / "train.jsonl").resolve()]
        assert facts.validation is not None and facts.validation.errors >= 2


async def test_validate_on_a_folder_says_what_to_do(datasets: Path, settle) -> None:
    services, fake = fake_services()
    app = build_app(datasets, services=services)
    async with app.run_test(notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert fake.validated == []
        assert any("Highlight a file" in n for n in notices(app))


async def test_validation_failure_is_a_notification(datasets: Path, settle) -> None:
    def broken(path: Path, model: str | None, **_: object):
        raise OSError(13, "Permission denied")

    services = Services(settings_store=MemorySettingsStore(), validate=broken)
    app = build_app(datasets, services=services)
    async with app.run_test(notifications=True) as pilot:
        await settle(pilot)
        await move_to(pilot, "prompts.txt", settle)
        await pilot.press("v")
        await settle(pilot)
        assert app.is_running
        messages = notices(app)
        assert any("Could not validate prompts.txt: permission denied" in m for m in messages)
        facts = app.screen.query_one(DataTree).facts[(datasets / "prompts.txt").resolve()]
        assert not facts.validating


async def test_a_cancelled_check_no_longer_shows_its_file_as_being_checked(
    datasets: Path, settle
) -> None:
    """The check's thread is not stopped by the cancel (the app closing): the badge is."""
    fake = FakeServices()
    release = threading.Event()

    def held(path: Path, model: str | None, **_: object):
        if path.name == "prompts.txt":
            release.wait(60)
        return fake.validate(path, model)

    services = Services(settings_store=MemorySettingsStore(), validate=held)
    app = build_app(datasets, services=services)
    try:
        async with app.run_test(notifications=True) as pilot:
            await settle(pilot)
            await move_to(pilot, "prompts.txt", settle)
            screen = app.screen
            facts = screen.query_one(DataTree).facts[(datasets / "prompts.txt").resolve()]
            await pilot.press("v")
            await wait_until(pilot, lambda: facts.validating)
            screen.workers.cancel_group(screen, "validate")
            await wait_until(pilot, lambda: not facts.validating)
            assert facts.validation is None and not notices(app)
    finally:
        release.set()


async def test_enter_opens_the_file(datasets: Path, settle) -> None:
    app = build_app(datasets)
    async with app.run_test() as pilot:
        await settle(pilot)
        await move_to(pilot, "train.jsonl", settle)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DatasetScreen)
        assert app.last_dataset == (datasets / "chat" / "train.jsonl").resolve()


async def test_convert_writes_and_opens_the_result(datasets: Path, settle) -> None:
    app = build_app(datasets)  # the real converter
    async with app.run_test() as pilot:
        await settle(pilot)
        await move_to(pilot, "legacy.json", settle)
        await pilot.press("C")
        await settle(pilot)
        assert (datasets / "legacy.jsonl").exists()
        assert isinstance(app.screen, DatasetScreen)
        assert app.screen.path.name == "legacy.jsonl"


async def test_convert_asks_before_overwriting(datasets: Path, settle) -> None:
    services, fake = fake_services()
    (datasets / "legacy.jsonl").write_text("old\n")
    app = build_app(datasets, services=services)
    async with app.run_test() as pilot:
        await settle(pilot)
        await move_to(pilot, "legacy.json", settle)
        await pilot.press("C")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await settle(pilot)
        assert fake.converted == []
        assert (datasets / "legacy.jsonl").read_text() == "old\n"
        await pilot.press("C")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert fake.converted and fake.converted[0][2] is True


async def test_convert_reports_what_it_skipped(datasets: Path, settle) -> None:
    services, fake = fake_services()
    fake.conversion = ConversionSummary(1, ("line 3, column 5: not an object",))
    app = build_app(datasets, services=services)
    async with app.run_test() as pilot:
        await settle(pilot)
        await move_to(pilot, "legacy.json", settle)
        await pilot.press("C")
        await settle(pilot)
        assert isinstance(app.screen, ReportModal)
        assert "line 3, column 5" in "\n".join(app.screen.lines)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DatasetScreen)


async def test_convert_broken_json_shows_the_problem(datasets: Path, settle) -> None:
    (datasets / "legacy.json").write_text('[\n  {"messages": [ nope\n')
    app = build_app(datasets)  # the real converter
    async with app.run_test(notifications=True) as pilot:
        await settle(pilot)
        await move_to(pilot, "legacy.json", settle)
        await pilot.press("C")
        await settle(pilot)
        assert app.is_running
        if isinstance(app.screen, ReportModal):
            assert app.screen.report_title == "Nothing converted"
        else:
            assert any("Could not convert" in n for n in notices(app))
        assert isinstance(app.screen, ReportModal | FilesScreen)


async def test_convert_needs_a_json_file(datasets: Path, settle) -> None:
    services, fake = fake_services()
    app = build_app(datasets, services=services)
    async with app.run_test(notifications=True) as pilot:
        await settle(pilot)
        await move_to(pilot, "prompts.txt", settle)
        assert app.screen.check_action("convert", ()) is False  # no C in the footer here
        await pilot.press("C")
        await settle(pilot)
        assert fake.converted == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read every file")
async def test_unreadable_files_and_folders(datasets: Path, settle) -> None:
    secret = datasets / "secret.jsonl"
    secret.write_text("{}\n")
    secret.chmod(0)
    closed = datasets / "closed"
    closed.mkdir()
    closed.chmod(0)
    try:
        app = build_app(datasets)
        async with app.run_test() as pilot:
            await settle(pilot)
            await move_to(pilot, "secret.jsonl", settle)
            facts = app.screen.query_one(DataTree).facts[secret.resolve()]
            assert facts.problem and "cannot read" in facts.problem
            assert app.is_running
    finally:
        secret.chmod(0o644)
        closed.chmod(0o755)


async def test_broken_link_and_fifo_do_not_hang(datasets: Path, settle) -> None:
    (datasets / "gone.jsonl").symlink_to(datasets / "nowhere.jsonl")
    os.mkfifo(datasets / "pipe.jsonl")
    app = build_app(datasets)
    async with app.run_test() as pilot:
        await settle(pilot)
        await move_to(pilot, "pipe.jsonl", settle)
        facts = app.screen.query_one(DataTree).facts
        assert facts[(datasets / "pipe.jsonl").resolve()].problem == "not a regular file"
        gone = next(f for p, f in facts.items() if p.name in ("gone.jsonl", "nowhere.jsonl"))
        assert gone.problem and gone.problem.startswith("cannot read")
        assert "not a regular file" in str(app.screen.query_one("#info").render())


def test_count_file_reports_unreadable(tmp_path: Path) -> None:
    assert count_file(tmp_path / "missing.jsonl").problem.startswith("cannot read")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert count_file(empty).lines == 0


def test_labels() -> None:
    assert "…" in facts_text(FileFacts(size=10)).plain
    assert "3 ln" in facts_text(FileFacts(size=10, lines=3)).plain


async def test_a_new_file_appears_without_reload(datasets: Path, settle) -> None:
    app = build_app(datasets)
    async with app.run_test() as pilot:
        await settle(pilot)
        tree = app.screen.query_one(DataTree)
        assert "fresh.jsonl" not in visible_names(tree)
        (datasets / "fresh.jsonl").write_text('{"messages": []}\n', encoding="utf-8")
        await wait_until(pilot, lambda: "fresh.jsonl" in visible_names(tree))


async def test_the_demo_opens_with_its_datasets_in_sight(tmp_path: Path, settle) -> None:
    from tuner.demo import copy_demo_data
    from tuner.ui.session import ActiveConnection

    folder = copy_demo_data(tmp_path)
    app = build_app(folder, connection=ActiveConnection("demo · emulator", demo=True))
    async with app.run_test(size=(80, 24)) as pilot:
        tree = app.screen.query_one(DataTree)
        await wait_until(pilot, lambda: "train.jsonl" in visible_names(tree))
        assert {"support-bot", "prompts", "metin.txt"} <= set(visible_names(tree))
