"""No module grows past what a newcomer reads in one sitting without saying why.

A long module usually holds several jobs, and the next change to one of them means reading all of
them. So a module over `MAX_LINES` must carry, in its docstring, a paragraph starting `Size:` that
gives the reason it reads best whole; the test names every module that has neither.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 450
MIN_REASON_WORDS = 8


def _line_count(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def _size_reason(path: Path) -> str:
    """The `Size:` paragraph of the module's docstring, or "" when it has none."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    for paragraph in doc.split("\n\n"):
        if paragraph.lstrip().startswith("Size:"):
            return paragraph.strip()
    return ""


def _oversized_without_reason(package: Path) -> list[str]:
    found = []
    for path in sorted(package.rglob("*.py")):
        lines = _line_count(path)
        if lines <= MAX_LINES:
            continue
        reason = _size_reason(path)
        if len(reason.split()) - 1 < MIN_REASON_WORDS:
            found.append(f"{path.relative_to(package.parent)} ({lines} lines)")
    return found


def test_every_long_module_says_why_it_is_long() -> None:
    assert _oversized_without_reason(ROOT / "tuner") == []


@pytest.mark.parametrize(
    ("doc", "flagged"),
    [
        ('"""Short summary.\n\nMore words."""', True),
        ('"""Summary.\n\nSize: long."""', True),
        (
            '"""Summary.\n\nSize: one state machine whose steps read in order, split it hides'
            ' the order."""',
            False,
        ),
    ],
)
def test_the_check_flags_a_long_module_without_a_reason(
    tmp_path: Path, doc: str, flagged: bool
) -> None:
    module = tmp_path / "pkg" / "long.py"
    module.parent.mkdir()
    module.write_text(doc + "\n" + "x = 1\n" * (MAX_LINES + 1), encoding="utf-8")
    (tmp_path / "pkg" / "short.py").write_text('"""Short."""\n', encoding="utf-8")
    assert bool(_oversized_without_reason(tmp_path / "pkg")) is flagged
