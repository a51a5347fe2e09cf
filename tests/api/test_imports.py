"""The service layer is cheap to import: no SDK, no httpx2, no Textual until a call needs them."""

from __future__ import annotations

import subprocess
import sys

API_MODULES = [
    "tuner.api",
    "tuner.api.errors",
    "tuner.api.client",
    "tuner.api.retry",
    "tuner.api.files",
    "tuner.api.jobs",
    "tuner.api.cursors",
    "tuner.api.metrics",
    "tuner.api.follower",
    "tuner.api.chat",
    "tuner.api.replay",
    "tuner.api.transcripts",
    "tuner.commands._service",
    "tuner.commands.upload",
    "tuner.commands.jobs",
]


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
