"""Counts are worded one way everywhere: the noun in the number it takes, thousands separated."""

from __future__ import annotations

from tuner.data.wording import noun, number, plural


def test_one_and_many() -> None:
    assert plural(1, "event") == "1 event"
    assert plural(0, "event") == "0 events"
    assert plural(2, "line") == "2 lines"
    assert plural(1597, "line") == "1,597 lines"
    assert plural(1, "entry", "entries") == "1 entry"
    assert plural(3, "entry", "entries") == "3 entries"


def test_the_parts_alone() -> None:
    assert number(1597) == "1,597" and number(12) == "12"
    assert noun(1, "turn") == "turn" and noun(5, "turn") == "turns"


def test_no_place_words_a_plural_of_its_own() -> None:
    """The ways a count was pluralised by hand before this helper: none is left in tuner."""
    import re
    from pathlib import Path

    import tuner

    pattern = re.compile(r"""(?:''|"")\s+if\s+\w[\w.()]*\s*==\s*1\s+else\s+(?:'s'|"s")""")
    root = Path(tuner.__file__).parent
    found = [
        f"{path.relative_to(root)}:{number}"
        for path in root.rglob("*.py")
        if "emulator" not in path.parts  # the emulator words its messages as the service does
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if pattern.search(line)
    ]
    assert found == []
