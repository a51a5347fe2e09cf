"""The README's fresh-machine commands are the ones CI runs: a drift here would lie to users."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def test_readme_opens_with_the_two_commands() -> None:
    first_lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:6]
    assert "```sh" in first_lines
    install_and_start, install_and_test = _readme_commands()[:2]
    assert install_and_start.endswith("tuner --demo")
    assert "pytest" in install_and_test


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert ci_lines[-1] == _readme_commands()[1]


def test_readme_shows_the_screenshots_that_exist() -> None:
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = set(re.findall(r"\(screenshots/([\w.-]+\.svg)\)", text))
    on_disk = {p.name for p in (ROOT / "screenshots").glob("*.svg")}
    assert shown, "the README shows no screenshot"
    assert shown <= on_disk, f"missing: {shown - on_disk}"
    screens = {"files", "dataset", "new-job", "jobs", "job", "chat", "settings", "help"}
    assert {name.removesuffix(".svg") for name in shown} >= screens


def test_readme_says_the_python_pyproject_requires() -> None:
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (version,) = re.findall(r">=\s*(\d+\.\d+)", project["requires-python"])
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"tuner needs Python {version} or newer." in text


def _command_rows() -> list[str]:
    """The commands of the README's table of headless commands (`tuner jobs create ...`)."""
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^\| `(tuner [^`]+)` \|", text, flags=re.MULTILINE)


def test_every_headless_row_that_talks_to_a_service_shows_its_profile() -> None:
    import argparse

    from tuner.cli import build_parser
    from tuner.commands.eval import diff_parser, record_parser

    EVAL_SUBCOMMANDS = {"record": record_parser, "diff": diff_parser}

    def options(parser: argparse.ArgumentParser, words: list[str]) -> set[str]:
        """The option strings of the sub-command `words` names (`jobs`, `create`)."""
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction) and words:
                chosen = action.choices.get(words[0])
                if chosen is not None:
                    return options(chosen, words[1:])
        return {flag for action in parser._actions for flag in action.option_strings}

    rows = _command_rows()
    assert len(rows) >= 12
    for row in rows:
        words = [w for w in row.split()[1:] if w.isidentifier() or w.isalpha()][:2]
        parser = build_parser()
        if words[:1] == ["eval"] and words[1:] and words[1] in EVAL_SUBCOMMANDS:
            # `eval record` and `eval diff` are parsed by their own parsers (see tuner.cli).
            parser, words = EVAL_SUBCOMMANDS[words[1]](), []
        if "--profile" in options(parser, words):
            assert "--profile" in row, row


def test_the_readme_and_help_give_the_demo_s_together_url(capsys) -> None:
    import pytest

    from tuner.cli import main
    from tuner.commands.emulator import TOGETHER_PATH
    from tuner.emulator import Emulator

    emulator = Emulator(port=8765)  # not started: only its addresses are read
    assert emulator.together_base_url == f"http://127.0.0.1:8765{TOGETHER_PATH}"
    with pytest.raises(SystemExit):
        main(["emulator", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert f"Together AI http://127.0.0.1:PORT{TOGETHER_PATH} (as the demo's" in shown
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"Together's `http://127.0.0.1:PORT{TOGETHER_PATH}`" in text
    assert "/together/v1`" not in text  # the SDK adds /v1 itself: a profile's URL has none
