"""The layer rules of DESIGN.md, checked the way they can break: in a fresh interpreter.

import-linter (tests/test_lint.py) checks the static imports; these tests catch what it cannot:
a lazy import that runs at import time, or a dependency pulled in by a third-party module.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def _modules_after(code: str) -> set[str]:
    script = f"{code}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    return set(out.stdout.split())


ROOT = Path(__file__).resolve().parents[1]


def _modules(package: str, *, nested: bool = False) -> list[str]:
    """Every module of a tuner package (and of its sub-packages when `nested`), found on disk so
    a new module is checked too."""
    folder = ROOT.joinpath(*package.split("."))
    found = folder.rglob("*.py") if nested else folder.glob("*.py")
    return sorted(
        ".".join((package, *p.relative_to(folder).with_suffix("").parts))
        for p in found
        if p.stem != "__init__"
    )


DATA_MODULES = _modules("tuner.data", nested=True)
API_MODULES = _modules("tuner.api", nested=True)  # the service packages and features too


@pytest.mark.parametrize("module", DATA_MODULES)
def test_data_layer_imports_neither_textual_nor_openai(module: str) -> None:
    loaded = _modules_after(f"import {module}")
    assert "textual" not in loaded
    assert "openai" not in loaded
    assert "tuner.api" not in loaded


@pytest.mark.parametrize("module", API_MODULES)
def test_api_layer_imports_no_textual(module: str) -> None:
    loaded = _modules_after(f"import {module}")
    assert "textual" not in loaded


def test_the_lists_are_not_empty() -> None:
    assert "tuner.data.analysis.range_check" in DATA_MODULES
    assert "tuner.api.jobs.follower" in API_MODULES
    assert "tuner.data.eval.graders" in DATA_MODULES


def test_cli_help_does_not_import_the_heavy_stack() -> None:
    loaded = _modules_after("import tuner.cli; tuner.cli.build_parser()")
    for heavy in ("textual", "openai", "tiktoken"):
        assert heavy not in loaded, heavy


def test_spawned_workers_do_not_start_tuner_again() -> None:
    """multiprocessing's spawn re-runs `python -m tuner`'s main module as `__mp_main__`."""
    code = "import runpy; runpy.run_module('tuner', run_name='__mp_main__'); print('ok')"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "ok"
