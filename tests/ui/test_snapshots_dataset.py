"""Snapshots of the dataset screen's three tabs at 80x24 and 120x40, on a fixed file.

The file is written by the test with fixed contents under a fixed name; the screen shows the
name only (never the temporary folder), and nothing on it depends on the clock.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import settle as settle_app
from tests.ui.conftest import build_app
from tuner.ui.services import MemorySettingsStore, Services

SIZES = [(80, 24), (120, 40)]
SYSTEM = {"role": "system", "content": "You are Lale Market's support assistant. Be brief."}
QUESTIONS = [
    "Where is my order LM-1042?",
    "Can I change the delivery time?",
    "My tomatoes were missing. What now?",
    "Do you deliver to Sarıyer today?",
    "How do I use a discount code?",
    "Can I pay at the door?",
    "I want to return some yogurt.",
    "Is the shop open on Sunday?",
    "Why was I charged twice?",
    "How do I delete my account?",
    "Do you sell gluten-free bread?",
    "Can someone else receive my order?",
]


def examples() -> list[str]:
    rows: list[object] = []
    for i, question in enumerate(QUESTIONS):
        answer = f"Thanks for asking. Here is what to do about that (case {i + 1})."
        rows.append(
            {
                "messages": [
                    SYSTEM,
                    {"role": "user", "content": question},
                    {"role": "assistant", "content": answer * (1 + i % 4)},
                ]
            }
        )
    rows[1] = {
        "tools": [{"type": "function", "function": {"name": "get_order", "parameters": {}}}],
        "messages": [
            SYSTEM,
            {"role": "user", "content": QUESTIONS[0]},
            {
                "role": "assistant",
                "weight": 0,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_order", "arguments": '{"id": "LM-1042"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": '{"status": "on the way"}'},
            {
                "role": "assistant",
                "content": "Your order LM-1042 is on the way and arrives by 18:00.",
            },
            {"role": "user", "content": "Thanks!"},
            {"role": "assistant", "content": "You're welcome."},
        ],
    }
    rows[4] = '{"messages": [{"role": "user", "content": "unfinished"'
    rows[8] = rows[0]
    return [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]


def snapshot_app(tmp_path: Path):
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "support.jsonl"
    path.write_text("".join(line + "\n" for line in examples()), encoding="utf-8")
    services = Services(settings_store=MemorySettingsStore())
    return build_app(folder, open_file=path, services=services)


def tab(key: str, *, line: int = 2):
    async def run_before(pilot) -> None:
        await settle_app(pilot)
        pilot.app.screen.examples.go_to_line(line)
        await settle_app(pilot)
        if key:
            await pilot.press(key)
        await settle_app(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_preview(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    assert snap_compare(snapshot_app(tmp_path), terminal_size=size, run_before=tab(""))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_problems(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    assert snap_compare(snapshot_app(tmp_path), terminal_size=size, run_before=tab("2"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_stats(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    assert snap_compare(snapshot_app(tmp_path), terminal_size=size, run_before=tab("3"))


def test_raw_json(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(snapshot_app(tmp_path), terminal_size=(80, 24), run_before=tab("r", line=1))
