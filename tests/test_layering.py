"""The layer rules of DESIGN.md, checked the way they can break: in a fresh interpreter.

import-linter (tests/test_lint.py) checks the static imports; these tests catch what it cannot:
a lazy import that runs at import time, or a dependency pulled in by a third-party module.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


def _modules_after(code: str) -> set[str]:
    script = f"{code}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    return set(out.stdout.split())


DATA_MODULES = [
    "tuner.data.problems",
    "tuner.data.lines",
    "tuner.data.rules",
    "tuner.data.file_rules",
    "tuner.data.convert",
    "tuner.data.encodings",
    "tuner.data.tokens",
    "tuner.data.catalog",
    "tuner.data.estimate",
    "tuner.data.stats",
    "tuner.data.analysis",
]


@pytest.mark.parametrize("module", DATA_MODULES)
def test_data_layer_imports_neither_textual_nor_openai(module: str) -> None:
    loaded = _modules_after(f"import {module}")
    assert "textual" not in loaded
    assert "openai" not in loaded
    assert "tuner.api" not in loaded


def test_cli_help_does_not_import_the_heavy_stack() -> None:
    loaded = _modules_after("import tuner.cli; tuner.cli.build_parser()")
    for heavy in ("textual", "openai", "tiktoken"):
        assert heavy not in loaded, heavy
