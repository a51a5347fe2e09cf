"""What screens may ask of the app (`TunerHost`) is what they ask, and the app has all of it.

The Protocol is the one list of the app's members that screens, widgets and palette providers
depend on. No type checker runs in the suite, so these tests keep the list honest: a screen that
reaches for something new fails here until the Protocol names it, and an app that drops a
member fails here too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from textual.app import App

from tests.ui.conftest import build_app
from tuner.ui.app_protocol import TunerHost, app_host

UI = Path(__file__).resolve().parents[2] / "tuner" / "ui"


def _host_members() -> set[str]:
    return {name for name in vars(TunerHost) if not name.startswith("_")} | set(
        TunerHost.__annotations__
    )


def _asked_of_the_app() -> dict[str, set[str]]:
    """Each member read from `self.tuner` (or from a local holding it) in tuner/ui, by module."""
    asked: dict[str, set[str]] = {}
    for path in sorted(UI.rglob("*.py")):
        if path.name == "app.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        holders = {"tuner"}  # `app = self.tuner` makes `app` a holder too
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "tuner"
            ):
                holders.update(t.id for t in node.targets if isinstance(t, ast.Name))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute):
                continue
            owner = node.value
            via_self = isinstance(owner, ast.Attribute) and owner.attr == "tuner"
            via_local = isinstance(owner, ast.Name) and owner.id in holders - {"tuner"}
            if via_self or via_local:
                asked.setdefault(path.name, set()).add(node.attr)
    return asked


def test_screens_ask_only_what_the_protocol_names() -> None:
    asked = _asked_of_the_app()
    assert len(asked) >= 8  # the screens, a widget and the palette
    members = _host_members()
    outside = {module: sorted(names - members) for module, names in asked.items()}
    assert not {m: n for m, n in outside.items() if n}, outside


async def test_the_app_has_everything_the_protocol_names(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    async with app.run_test():
        assert app_host(app) is app
        missing = sorted(name for name in _host_members() if not hasattr(app, name))
    assert not missing


async def test_a_widget_in_another_app_is_told_so() -> None:
    with pytest.raises(RuntimeError, match="is not tuner's app"):
        app_host(App())
