"""Every `from tuner.x import name` names something that exists, deferred imports included.

Many of tuner's imports sit inside functions, to keep the first frame fast. Python checks such an
import only when the function runs, so a name moved to another module breaks a path that no test
may happen to take. This reads every import of tuner, its tests, scripts and benchmarks with
`ast` and checks each name against the module it is taken from (an attribute, or a submodule).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("tuner", "tests", "scripts", "benchmarks")


def tuner_imports() -> dict[tuple[str, str], str]:
    """(module, name) -> the first place (`file:line`) that imports it."""
    found: dict[tuple[str, str], str] = {}
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "__snapshots__" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module):
                    continue
                if node.module == "tuner" or node.module.startswith("tuner."):
                    for alias in node.names:
                        place = f"{path.relative_to(ROOT)}:{node.lineno}"
                        found.setdefault((node.module, alias.name), place)
    return found


def exists(module: str, name: str) -> bool:
    if name == "*":
        return True
    if importlib.util.find_spec(module) is None:
        return False
    loaded = importlib.import_module(module)
    if hasattr(loaded, name):
        return True
    is_package = hasattr(loaded, "__path__")
    return is_package and importlib.util.find_spec(f"{module}.{name}") is not None


def test_every_imported_name_exists() -> None:
    missing = [
        f"{place}: from {module} import {name}"
        for (module, name), place in sorted(tuner_imports().items())
        if not exists(module, name)
    ]
    assert missing == []


def test_the_walk_sees_deferred_imports() -> None:
    imports = tuner_imports()
    # `tuner.cli` imports its commands inside functions, so `--help` stays fast.
    assert any(place.startswith("tuner/cli.py") for place in imports.values())
    assert len(imports) > 500
