"""The service layer is cheap to import: no SDK, no httpx2, no Textual until a call needs them.

Every module found on disk under tuner/api (and the commands that use it) is checked, so a new
module cannot slip an SDK import onto the path to the first frame.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def api_modules() -> list[str]:
    """Every module of tuner.api, subpackages included, found on disk."""
    found = []
    for path in sorted((ROOT / "tuner" / "api").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


API_MODULES = [
    *api_modules(),
    "tuner.commands._service",
    "tuner.commands.upload",
    "tuner.commands.jobs",
    "tuner.commands.chat",
]


def test_every_api_module_is_listed() -> None:
    assert {"tuner.api.jobs.follower", "tuner.api.providers.openai", "tuner.api.service"} <= set(
        API_MODULES
    )


def test_api_modules_import_no_sdk_and_no_textual() -> None:
    code = (
        f"import {', '.join(API_MODULES)}\n"
        "import sys\n"
        "print(*(name in sys.modules for name in ('openai', 'httpx2', 'textual')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.split() == ["False", "False", "False"]
