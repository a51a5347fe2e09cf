"""Settings: profiles (add, edit, delete with confirm), masked key, connection test, prices."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Input, Label, ListView, Select, Static

from tests.helpers import notices, wait_until
from tests.ui.conftest import build_app
from tuner.config import Profile, Settings
from tuner.ui.modals import ConfirmModal, PromptModal
from tuner.ui.screens.settings import SettingsScreen
from tuner.ui.services import MemorySettingsStore, Services

FAKE_KEY = "test-only-key-0000"


async def open_settings(pilot, settle) -> SettingsScreen:
    await settle(pilot)
    await pilot.press("s")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SettingsScreen)
    return screen


def fill(screen: SettingsScreen, **values: str) -> None:
    for name, value in values.items():
        screen.query_one(f"#{name}", Input).value = value


async def test_add_a_profile_with_a_key(datasets: Path, settle) -> None:
    store = MemorySettingsStore()
    app = build_app(datasets, services=Services(settings_store=store))
    async with app.run_test() as pilot:
        screen = await open_settings(pilot, settle)
        await pilot.press("ctrl+n")
        fill(screen, name="work", base_url="http://127.0.0.1:9/v1", api_key=FAKE_KEY)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert store.settings.profiles["work"].base_url == "http://127.0.0.1:9/v1"
        assert store.settings.active_profile == "work"
        assert store.key_state(store.settings.profiles["work"]) == "key saved"
        assert screen.query_one("#api_key", Input).value == ""
        assert str(screen.query_one("#key-state", Static).render()) == "key saved"
        assert FAKE_KEY not in app.sub_title
        assert app.sub_title == "work · 127.0.0.1:9"


async def test_edit_and_rename(datasets: Path, settle) -> None:
    store = MemorySettingsStore(
        Settings(active_profile="a", profiles={"a": Profile(name="a", organization="org-1")})
    )
    app = build_app(datasets, services=Services(settings_store=store))
    async with app.run_test() as pilot:
        screen = await open_settings(pilot, settle)
        assert screen.query_one("#organization", Input).value == "org-1"
        fill(screen, name="b", project="proj-2")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert set(store.settings.profiles) == {"b"}
        assert store.settings.profiles["b"].project == "proj-2"
        assert store.settings.profiles["b"].organization == "org-1"
        assert store.settings.active_profile == "b"


async def test_azure_needs_an_endpoint(datasets: Path, settle) -> None:
    store = MemorySettingsStore()
    app = build_app(datasets, services=Services(settings_store=store))
    async with app.run_test(notifications=True) as pilot:
        screen = await open_settings(pilot, settle)
        fill(screen, name="az")
        screen.query_one("#kind", Select).value = "azure"
        await settle(pilot)
        assert not screen.query_one("#base_url", Input).parent.display
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert store.settings.profiles == {}
        assert any("endpoint" in n for n in notices(app))
        fill(screen, azure_endpoint="https://x.openai.azure.com", api_version="2025-04-01-preview")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert store.settings.profiles["az"].kind == "azure"


async def test_delete_asks_first(datasets: Path, settle) -> None:
    store = MemorySettingsStore(Settings(active_profile="a", profiles={"a": Profile(name="a")}))
    app = build_app(datasets, services=Services(settings_store=store))
    async with app.run_test() as pilot:
        screen = await open_settings(pilot, settle)
        screen.action_delete_profile()
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("escape")
        await settle(pilot)
        assert "a" in store.settings.profiles
        screen.action_delete_profile()
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert store.settings.profiles == {}
        assert store.settings.active_profile is None


async def test_connection_test_against_the_emulator(datasets: Path, settle) -> None:
    from tuner.emulator import Emulator

    with Emulator(port=0, speed=50.0, api_key=None) as emulator:
        store = MemorySettingsStore()
        app = build_app(datasets, services=Services(settings_store=store))
        async with app.run_test() as pilot:
            screen = await open_settings(pilot, settle)
            fill(screen, name="emu", base_url=emulator.base_url, api_key=FAKE_KEY)
            screen.action_test_connection()
            await settle(pilot)
            result = str(screen.query_one("#test-result", Static).render())
            assert result.startswith("Connected:"), result


async def test_connection_test_shows_a_readable_error(datasets: Path, settle) -> None:
    async def refuse(connection) -> str:
        raise RuntimeError("Incorrect API key provided")

    services = Services(settings_store=MemorySettingsStore(), test_connection=refuse)
    app = build_app(datasets, services=services)
    async with app.run_test() as pilot:
        screen = await open_settings(pilot, settle)
        fill(screen, name="x", api_key=FAKE_KEY)
        screen.action_test_connection()
        await settle(pilot)
        result = str(screen.query_one("#test-result", Static).render())
        assert result == "Failed: Incorrect API key provided"
        assert FAKE_KEY not in result


async def test_connection_test_without_a_key(datasets: Path, settle) -> None:
    app = build_app(datasets)
    async with app.run_test() as pilot:
        screen = await open_settings(pilot, settle)
        fill(screen, name="x")
        screen.action_test_connection()
        await settle(pilot)
        assert "No key" in str(screen.query_one("#test-result", Static).render())


async def test_default_model_and_price_override(datasets: Path, settle) -> None:
    store = MemorySettingsStore()
    app = build_app(datasets, services=Services(settings_store=store))
    async with app.run_test() as pilot:
        screen = await open_settings(pilot, settle)
        screen.query_one("#default-model", Select).value = "gpt-4.1-nano-2025-04-14"
        await settle(pilot)
        assert store.settings.default_model == "gpt-4.1-nano-2025-04-14"
        table = screen.query_one("#prices", DataTable)
        table.move_cursor(row=0)
        model = str(table.coordinate_to_cell_key((0, 0)).row_key.value)
        table.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PromptModal)
        await pilot.press(*"1.25", "enter")
        await settle(pilot)
        assert {"id": model, "training_price_per_1m": 1.25} in [
            dict(m) for m in store.settings.models
        ]
        assert table.get_row(model)[2] == "$1.25"
        table.focus()
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")  # empty: back to the catalog price
        await settle(pilot)
        assert store.settings.models == ()


async def test_bad_price_is_refused(datasets: Path, settle) -> None:
    store = MemorySettingsStore()
    app = build_app(datasets, services=Services(settings_store=store))
    async with app.run_test(notifications=True) as pilot:
        screen = await open_settings(pilot, settle)
        table = screen.query_one("#prices", DataTable)
        table.move_cursor(row=0)
        table.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PromptModal)
        await pilot.press(*"cheap", "enter")
        await settle(pilot)
        assert store.settings.models == ()
        assert any("Not a price" in n for n in notices(app))


async def test_the_first_field_is_one_tab_away_and_escape_leaves_a_field(
    datasets: Path, settle
) -> None:
    settings = Settings(active_profile="work", profiles={"work": Profile("work")})
    app = build_app(datasets, services=Services(settings_store=MemorySettingsStore(settings)))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_settings(pilot, settle)
        assert app.focused is screen.query_one("#profiles")
        await pilot.press("tab")
        assert app.focused is screen.query_one("#name", Input)
        await pilot.press("escape")  # out of the field: single keys work again
        assert not isinstance(app.focused, Input)
        await pilot.press("2")
        assert screen.query_one("#tabs").active == "models-tab"
        await pilot.press("1")
        assert screen.query_one("#tabs").active == "profiles-tab"
        await pilot.press("f")
        await settle(pilot)
        assert app.current_mode == "files"


async def test_a_together_profile_shows_its_own_fields_models_and_tests_its_connection(
    datasets: Path, settle
) -> None:
    """Each kind of profile is made and tested from here: Together's has a base URL (its own
    default), no organization or Azure fields, its own models and prices once active."""
    from tuner.emulator import Emulator

    store = MemorySettingsStore(env={})
    with Emulator(speed=100, api_key=None) as emu:
        app = build_app(datasets, services=Services(settings_store=store))
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await open_settings(pilot, settle)
            await pilot.press("ctrl+n")
            screen.query_one("#kind", Select).value = "together"
            await settle(pilot)
            shown = {
                name: bool(screen.query_one(f"#{name}", Input).parent.display)
                for name in ("base_url", "azure_endpoint", "api_version", "organization")
            }
            assert shown == {
                "base_url": True,
                "azure_endpoint": False,
                "api_version": False,
                "organization": False,
            }
            assert "api.together.ai" in screen.query_one("#base_url", Input).placeholder
            fill(screen, name="tg", base_url=emu.together_base_url, api_key="test-key")
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert store.settings.profiles["tg"].kind == "together"
            assert app.sub_title.startswith("tg · Together AI")
            # The Models tab now lists Together's models and defaults to one of them.
            models = screen.query_one("#default-model", Select)
            assert models.value == "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
            table = screen.query_one("#prices", DataTable)
            assert any("Llama" in str(key.value) for key in table.rows)
            screen.action_test_connection()
            await wait_until(
                pilot,
                lambda: "Connected" in str(screen.query_one("#test-result", Static).render()),
            )


async def test_a_new_azure_profile_starts_on_the_v1_api(datasets: Path, settle) -> None:
    store = MemorySettingsStore(env={})
    app = build_app(datasets, services=Services(settings_store=store))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_settings(pilot, settle)
        await pilot.press("ctrl+n")
        screen.query_one("#kind", Select).value = "azure"
        await settle(pilot)
        assert screen.query_one("#api_version", Input).value == "v1"
        fill(screen, name="az", azure_endpoint="https://r.openai.azure.com")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert store.settings.profiles["az"].api_version == "v1"
        assert app.sub_title.startswith("az · Azure OpenAI v1")


async def test_a_url_no_request_could_use_is_not_saved(datasets: Path, settle) -> None:
    """A `file://` URL would make the settings file unreadable at the next start; a password in
    the URL would be sent in place of the key. Both are refused in the form, saying why."""
    store = MemorySettingsStore()
    app = build_app(datasets, services=Services(settings_store=store))
    async with app.run_test(notifications=True) as pilot:
        screen = await open_settings(pilot, settle)
        for url, words in (
            ("file:///srv/models", "must start with http:// or https://"),
            ("http://me:hunter2@127.0.0.1:9/v1", "basic auth in place of the API key"),
        ):
            fill(screen, name="local", base_url=url)
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert store.settings.profiles == {}
            said = notices(app)
            assert any(words in text for text in said), said
            assert not any("hunter2" in text for text in said)


def two_profiles() -> MemorySettingsStore:
    return MemorySettingsStore(
        Settings(
            active_profile="home",
            profiles={
                "home": Profile(name="home", base_url="http://127.0.0.1:9/v1"),
                "work": Profile(name="work", base_url="http://127.0.0.2:9/v1"),
            },
        ),
        env={},
    )


def listed(screen: SettingsScreen) -> list[str]:
    view = screen.query_one("#profiles", ListView)
    return [str(item.query_one(Label).render()) for item in view.children]


async def test_enter_on_another_profile_switches_to_it(datasets: Path, settle) -> None:
    store = two_profiles()
    app = build_app(datasets, services=Services(settings_store=store))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot, settle)
        assert listed(screen) == ["home •", "work"]
        await pilot.press("down", "enter")
        await settle(pilot)
        assert store.settings.active_profile == "work"
        assert app.sub_title.startswith("work")
        assert listed(screen) == ["home", "work •"]
        assert screen.query_one("#name", Input).value == "work"


async def test_the_footer_key_uses_the_profile_in_the_form(datasets: Path, settle) -> None:
    store = two_profiles()
    app = build_app(datasets, services=Services(settings_store=store))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot, settle)
        footer = {key: b.binding.description for key, b in screen.active_bindings.items()}
        assert footer["ctrl+o"] == "Use profile"
        await pilot.press("down", "tab")  # into the form: the key still acts on its profile
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert store.settings.active_profile == "work"
        assert listed(screen) == ["home", "work •"]


async def test_a_switch_from_the_palette_shows_in_settings(datasets: Path, settle) -> None:
    store = two_profiles()
    app = build_app(datasets, services=Services(settings_store=store))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot, settle)
        await pilot.press("f")  # elsewhere, the palette's "Switch profile: work"
        await settle(pilot)
        app.switch_profile("work")
        await pilot.press("s")
        await settle(pilot)
        assert listed(screen) == ["home", "work •"]
        assert screen.query_one("#name", Input).value == "work"
        app.switch_profile("home")  # and while on the settings screen
        await settle(pilot)
        assert listed(screen) == ["home •", "work"]
        assert screen.query_one("#name", Input).value == "home"
