"""The app shell: start-up, screen keys, the registry, help, theme, palette, keymap, status."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandPalette

from tests.ui.conftest import build_app
from tuner.config import Profile, Settings
from tuner.data.data_files import walk_data_files
from tuner.ui.app import make_app
from tuner.ui.screens.dataset import DatasetScreen
from tuner.ui.screens.files import FilesScreen
from tuner.ui.screens.help import HelpScreen
from tuner.ui.screens.settings import SettingsScreen
from tuner.ui.services import MemorySettingsStore, Services
from tuner.ui.widgets.conversation import ConversationView


def footer_keys(app) -> set[str]:
    return {b.key for b in (a.binding for a in app.screen.active_bindings.values()) if b.show}


async def test_starts_on_the_file_browser(datasets: Path, settle) -> None:
    app = build_app(datasets)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert isinstance(app.screen, FilesScreen)
        assert app.current_mode == "files"


async def test_screen_keys_switch_modes_and_keep_state(datasets: Path, settle) -> None:
    app = build_app(datasets)
    async with app.run_test() as pilot:
        await settle(pilot)
        files = app.screen
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        await pilot.press("escape", "f")  # escape leaves any input first
        await settle(pilot)
        assert app.screen is files


async def test_the_dataset_key_waits_for_an_open_file(datasets: Path, settle) -> None:
    app = build_app(datasets)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert "d" not in footer_keys(app)  # no dataset opened yet
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, FilesScreen)


async def test_opening_a_file_enables_the_dataset_key(datasets: Path, settle) -> None:
    app = build_app(datasets)
    async with app.run_test() as pilot:
        await settle(pilot)
        app.open_dataset(datasets / "chat" / "train.jsonl")
        await settle(pilot)
        assert isinstance(app.screen, DatasetScreen)
        assert app.current_file() == (datasets / "chat" / "train.jsonl").resolve()
        await pilot.press("f")
        await settle(pilot)
        assert "d" in footer_keys(app)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, DatasetScreen)
        # Opening another file replaces the dataset screen, also from the dataset screen.
        app.open_dataset(datasets / "prompts.txt")
        await settle(pilot)
        assert app.screen.path.name == "prompts.txt"


async def test_open_file_argument_opens_the_dataset(datasets: Path, settle) -> None:
    app = build_app(datasets, open_file=datasets / "chat" / "train.jsonl")
    async with app.run_test() as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DatasetScreen)
        view = app.screen.query_one(ConversationView)
        shown = "\n".join(s.text for s in view.body.render_lines(view.body.region.reset_offset))
        assert "Yanıt 0" in shown


async def test_help_opens_and_closes(datasets: Path, settle) -> None:
    app = build_app(datasets)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("q")  # q closes help rather than quitting
        await settle(pilot)
        assert isinstance(app.screen, FilesScreen)


async def test_quit_keys(datasets: Path, settle) -> None:
    for key in ("q", "ctrl+q"):
        app = build_app(datasets)
        async with app.run_test() as pilot:
            await settle(pilot)
            await pilot.press(key)
            await pilot.pause()
            assert not app.is_running


async def test_theme_toggle_is_saved(datasets: Path, settle) -> None:
    store = MemorySettingsStore()
    app = build_app(datasets, services=Services(settings_store=store))
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark"
        await pilot.press("ctrl+t")
        assert app.theme == "textual-light"
        assert store.settings.theme == "light"
        await pilot.press("ctrl+t")
        assert store.settings.theme == "dark"


async def test_saved_light_theme_is_used(datasets: Path, settle) -> None:
    app = build_app(datasets, settings=Settings(theme="light"))
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.theme == "textual-light"


async def test_keymap_remaps_by_binding_id(datasets: Path, settle) -> None:
    app = build_app(datasets)
    async with app.run_test() as pilot:
        await settle(pilot)
        app.set_keymap({"screen.settings": "o"})
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)


async def test_keys_table_in_settings_remaps_at_start(datasets: Path, settle) -> None:
    app = build_app(datasets, settings=Settings(keys={"screen.settings": "o"}))
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)


async def test_every_binding_has_an_id() -> None:
    from tuner.ui.modals import ConfirmModal, PromptModal, ReportModal
    from tuner.ui.widgets.data_tree import DataTree

    for cls in (
        FilesScreen,
        SettingsScreen,
        HelpScreen,
        ConfirmModal,
        PromptModal,
        ReportModal,
        DataTree,
    ):
        for binding in getattr(cls, "BINDINGS", []):
            assert binding.id, f"{cls.__name__}: {binding.key} has no id"
    from tuner.ui.app import TunerApp

    assert all(b.id for b in TunerApp.BINDINGS)


async def test_status_line_names_the_profile_never_the_key(datasets: Path, settle) -> None:
    settings = Settings(
        active_profile="work",
        profiles={"work": Profile(name="work", base_url="http://127.0.0.1:1/v1")},
    )
    store = MemorySettingsStore(settings)
    store.save_api_key("work", "test-key-not-real-1234")
    app = make_app(datasets, services=Services(settings_store=store))
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.sub_title == "work · 127.0.0.1:1"  # where it goes, never the key
        assert "test-key" not in app.sub_title
        assert app.connection.connection is not None


async def test_status_line_without_profile(datasets: Path, settle) -> None:
    app = make_app(datasets, services=Services(settings_store=MemorySettingsStore()))
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.sub_title == "no profile · OpenAI · no key"
        assert app.session.problem is not None and "No API key" in app.session.problem


async def test_a_key_from_the_environment_names_where_it_goes(
    datasets: Path, settle, monkeypatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    app = make_app(datasets, services=Services(settings_store=MemorySettingsStore()))
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.sub_title == "no profile · 127.0.0.1:9 · key from env"


async def test_palette_lists_files_and_opens_one(datasets: Path, settle) -> None:
    app = build_app(datasets)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"open train")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DatasetScreen)
        assert app.screen.path.name == "train.jsonl"


async def test_palette_switches_profile_and_model(datasets: Path, settle) -> None:
    settings = Settings(profiles={"a": Profile(name="a"), "b": Profile(name="b")})
    store = MemorySettingsStore(settings)
    app = build_app(datasets, services=Services(settings_store=store))
    async with app.run_test() as pilot:
        await settle(pilot)
        for query in ("switch profile: b", "default model for estimates: gpt-4.1-nano"):
            await pilot.press("ctrl+p")
            await settle(pilot)
            assert isinstance(app.screen, CommandPalette)
            await pilot.press(*query)
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
        assert store.settings.active_profile == "b"
        assert app.sub_title.startswith("b")
        assert store.settings.default_model == "gpt-4.1-nano-2025-04-14"


async def test_palette_commands_follow_the_screen(datasets: Path, settle) -> None:
    from tuner.ui.commands import ScreenCommands, WorkCommands

    app = build_app(datasets)
    async with app.run_test() as pilot:
        await settle(pilot)
        work = [c.text for c in WorkCommands(app.screen).commands()]
        assert "Validate current file" in work and "Upload current file" in work
        assert "Cancel this job" not in work
        screens = [c.text for c in ScreenCommands(app.screen).commands()]
        assert {"Go to settings", "Go to jobs", "Open chat"} <= set(screens)
        assert "Go to dataset" not in screens  # until a file is open


def test_walk_is_bounded(tmp_path: Path) -> None:
    deep = tmp_path
    for depth in range(8):
        deep = deep / f"d{depth}"
        deep.mkdir()
        (deep / "x.jsonl").write_text("{}\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "y.jsonl").write_text("{}\n")
    found = walk_data_files(tmp_path)
    assert len(found) == 4
    assert all(".git" not in p.parts for p in found)


async def test_the_palette_reaches_work_on_other_screens(datasets: Path, settle) -> None:
    from tuner.ui.commands import ScreenCommands, WorkCommands
    from tuner.ui.screens.job import JobScreen

    app = build_app(datasets)
    async with app.run_test() as pilot:
        await settle(pilot)
        texts = [c.text for c in ScreenCommands(app.screen).commands()]
        assert "Chat: replay a prompt file" in texts and "Chat: compare with another model" in texts
        work = [c.text for c in WorkCommands(app.screen).commands()]
        assert {"Convert JSON to JSONL", "Upload current file", "Validate current file"} <= set(
            work
        )
        assert "Cancel this job" in [c.text for c in WorkCommands(JobScreen("ftjob-x")).commands()]
