"""Helpers for the UI tests: a fixed dataset folder, an app factory, and fake data callables.

Waiting, examples and the emulator connection live in `tests.helpers`, shared with the other
test folders.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests import helpers
from tests.helpers import chat_line
from tuner.config import Settings
from tuner.ui.app import TunerApp, make_app
from tuner.ui.services import (
    ConversionSummary,
    MemorySettingsStore,
    Services,
    ValidationSummary,
)
from tuner.ui.session import ActiveConnection

Settle = Callable[[Pilot[Any]], Awaitable[None]]


@pytest.fixture
def settle() -> Settle:
    """Wait until no worker runs (see `tests.helpers.settle`)."""
    return helpers.settle


def write_datasets(root: Path) -> Path:
    """A small fixed folder: the same names and sizes on every run (for snapshots too)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "chat").mkdir()
    (root / "chat" / "train.jsonl").write_text(
        "".join(chat_line(f"Soru {i}?", f"Yanıt {i}.") + "\n" for i in range(12)),
        encoding="utf-8",
    )
    (root / "chat" / "notes.md").write_text("not a dataset\n", encoding="utf-8")
    (root / "legacy.json").write_text(
        '[\n  {"messages": [{"role": "user", "content": "hi"},\n'
        '    {"role": "assistant", "content": "hello"},]},\n]\n',
        encoding="utf-8",
    )
    (root / "prompts.txt").write_text("Merhaba\nNasılsın?\n", encoding="utf-8")
    return root


@pytest.fixture
def datasets(tmp_path: Path) -> Path:
    return write_datasets(tmp_path / "datasets")


class FakeServices:
    """Records calls; validation and conversion answers are set per test. Used where the test
    is about the screen's handling of an answer, not about the checks themselves."""

    def __init__(self) -> None:
        self.validated: list[Path] = []
        self.converted: list[tuple[Path, Path, bool]] = []
        self.summary = ValidationSummary(valid=False, errors=2, warnings=1, first_problem="x")
        self.conversion = ConversionSummary(1)

    def validate(self, path: Path, model: str | None, **_: object) -> ValidationSummary:
        self.validated.append(path)
        return self.summary

    def convert(self, src: Path, dst: Path, force: bool) -> ConversionSummary:
        self.converted.append((src, dst, force))
        dst.write_text(chat_line("hi", "hello") + "\n", encoding="utf-8")
        return self.conversion


def build_app(
    root: Path,
    *,
    settings: Settings | None = None,
    services: Services | None = None,
    **kwargs: Any,
) -> TunerApp:
    services = services or Services(settings_store=MemorySettingsStore(settings))
    kwargs.setdefault("connection", ActiveConnection(label="test"))
    return make_app(root, services=services, **kwargs)
