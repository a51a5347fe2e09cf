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
