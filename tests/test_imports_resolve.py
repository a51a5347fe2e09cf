"""Every `from tuner.x import name` names something that exists, deferred imports included.

Many of tuner's imports sit inside functions, to keep the first frame fast. Python checks such an
import only when the function runs, so a name moved to another module breaks a path that no test
may happen to take. This reads every import of tuner, its tests, scripts and benchmarks with
`ast` and checks each name against the module it is taken from (an attribute, or a submodule),
and that a class or function is taken from the module that defines it.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
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


def borrowed_from(module: str, name: str) -> str | None:
    """Where a class or function of tuner taken from `module` is defined, when that is another
    module that does not list it in its `__all__` (a name left behind by a move); else None."""
    if name == "*" or importlib.util.find_spec(module) is None:
        return None
    loaded = importlib.import_module(module)
    found = getattr(loaded, name, None)
    if not (inspect.isclass(found) or inspect.isfunction(found)):
        return None  # a submodule, a constant: nothing says where it was made
    home = getattr(found, "__module__", "")
    if home == module or not home.startswith("tuner") or name in getattr(loaded, "__all__", ()):
        return None
    return home


def test_every_name_is_taken_from_where_it_is_defined() -> None:
    """One import path per name: after a move, an import through a module that merely imports
    the name itself still works, and hides that the name has moved (a package's `__all__`
    says which names it hands on on purpose)."""
    borrowed = [
        f"{place}: from {module} import {name} (defined in {home})"
        for (module, name), place in sorted(tuner_imports().items())
        if (home := borrowed_from(module, name)) is not None
    ]
    assert borrowed == []


def test_a_borrowed_name_is_seen() -> None:
    # `cell_width` is made in fit_text and only used by the column printer.
    assert borrowed_from("tuner.commands.chat_columns", "cell_width") == "tuner.data.fit_text"
    assert borrowed_from("tuner.data.fit_text", "cell_width") is None


def test_the_walk_sees_deferred_imports() -> None:
    imports = tuner_imports()
    # `tuner.cli` imports its commands inside functions, so `--help` stays fast.
    assert any(place.startswith("tuner/cli.py") for place in imports.values())
    assert len(imports) > 500
