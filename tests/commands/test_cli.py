"""`tuner` itself: what `--help` shows, and the sub-commands that open the app (`settings`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tuner import cli


def test_help_shows_the_app_first_then_the_commands(capsys) -> None:
    """`tuner --help` used to show only the commands: the app could not be found from help."""
    with pytest.raises(SystemExit) as caught:
        cli.main(["--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "usage: tuner [PATH] [--demo] [--profile NAME]"
    assert lines[1].strip() == "tuner COMMAND [options]"
    app, commands = out.split("\ncommands:\n")  # what the app does, then the commands
    assert "file browser" in app and "dataset screen" in app
    assert "--demo" in app and "emulated service" in app and "--profile NAME" in app
    for command in ("validate", "convert", "upload", "jobs", "chat", "settings", "emulator"):
        assert f"\n    {command}  " in commands, command
    with pytest.raises(SystemExit):
        cli.main(["-h"])
    assert capsys.readouterr().out == out


def test_settings_is_a_command(monkeypatch) -> None:
    args = cli.build_parser().parse_args(["settings", "--profile", "work"])
    assert args.command == "settings" and args.profile == "work"
    calls: list[tuple[list[str], dict[str, Any]]] = []

    def fake_run_app(argv: list[str], **kwargs: Any) -> int:
        calls.append((list(argv), kwargs))
        return 0

    monkeypatch.setattr("tuner.app_entry.run_app", fake_run_app)
    assert cli.main(["settings"]) == 0
    assert cli.main(["settings", "--profile", "work"]) == 0
    assert calls == [
        ([], {"start_mode": "settings"}),
        (["--profile", "work"], {"start_mode": "settings"}),
    ]


def test_settings_takes_no_path(capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["settings", str(Path.cwd())])
    assert caught.value.code == 2
