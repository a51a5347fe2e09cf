"""A crash never shows a key: no local variables in the report, keys scrubbed, exit code 1.

And a broken secrets file, the way it used to crash the settings screen, is one line naming the
file and line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from tests.helpers import screen_text, wait_until
from tests.ui.conftest import build_app
from tuner.api.errors import register_secret
from tuner.config import Profile, Settings, save_settings, secrets_path
from tuner.data.fit_text import short_path
from tuner.ui.app import make_app
from tuner.ui.crash import crash_report
from tuner.ui.services import ConfigSettingsStore, Services

KEY = "test-key-very-secret-0042"


def test_the_report_has_no_locals_and_no_keys() -> None:
    register_secret(KEY)

    def fails(api_key: str) -> None:
        secret_copy = api_key  # a local holding the key
        raise RuntimeError(f"request with {secret_copy} failed")

    try:
        fails(KEY)
    except RuntimeError:
        text = crash_report().plain
    assert "RuntimeError" in text and "fails" in text
    assert KEY not in text and "─ locals ─" not in text and "api_key = '" not in text


def test_the_report_draws_a_services_escapes() -> None:
    """The report is printed to the terminal after the app: an error quoting a service's words
    shows their control characters, never sends them."""
    try:
        raise RuntimeError("refused: \x1b]0;title\x07\x1b[2J")
    except RuntimeError:
        text = crash_report().plain
    assert "refused: ␛]0;title␇␛[2J" in text and "\x1b" not in text


async def test_a_crash_exits_non_zero_and_prints_no_key(
    datasets: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    register_secret(KEY)
    app = build_app(datasets)

    async def boom() -> None:
        api_key = KEY  # noqa: F841 - must not appear in the report
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        async with app.run_test() as pilot:
            app.call_later(boom)
            await pilot.pause()
    assert app.return_code == 1
    shown = capsys.readouterr().err  # the report, printed as the app ends
    assert "RuntimeError" in shown and "boom" in shown
    assert KEY not in shown


async def test_a_broken_secrets_file_is_one_line_in_settings(datasets: Path) -> None:
    save_settings(Settings(active_profile="work", profiles={"work": Profile("work")}))
    path = secrets_path()
    path.write_text(f'[profiles.work]\napi_key = "{KEY}"\n[unclosed\n', encoding="utf-8")
    app = make_app(datasets, services=Services(settings_store=ConfigSettingsStore()))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        state = None
        await wait_until(pilot, lambda: app.screen.query_one("#key-state", Static))
        state = str(app.screen.query_one("#key-state", Static).render())
        assert f"{short_path(path)}:3" in state and "invalid TOML" in state  # its name kept
        assert KEY not in screen_text(app)
    assert app.return_code in (0, None)
