"""The search bar alone: it scans the file, owns its matches, steps through them, ends."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import collector, host_app, notices, wait_until
from tuner.ui.widgets.search_bar import SearchBar


async def test_search_steps_and_ends(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text(
        "".join(
            f'{{"n": {i}, "w": "{"apple" if i % 3 == 0 else "pear"}"}}\n' for i in range(1, 13)
        ),
        encoding="utf-8",
    )
    bar = SearchBar(path)
    app = host_app(bar)
    hook, seen = collector(SearchBar.Found, SearchBar.Ended)
    async with app.run_test(size=(80, 5), message_hook=hook) as pilot:
        bar.opened = True
        await pilot.press(*"apple", "enter")
        await wait_until(pilot, lambda: bar.done)
        assert bar.matches == [3, 6, 9, 12] and bar.active
        assert "4 matches" in str(bar.query_one("#search-count").render())
        assert bar.step(3, 1) == (6, False)
        assert bar.step(12, 1) == (3, True)  # wrapped around
        assert bar.step(3, -1) == (12, True)
        assert bar.first_from(7) == 9
        await pilot.press("enter")  # the same query again: "next match"
        await wait_until(
            pilot, lambda: any(isinstance(m, SearchBar.Found) and m.next_requested for m in seen)
        )
        bar.close()
        assert not bar.opened and bar.active  # closing keeps the matches
        bar.end()
        await wait_until(pilot, lambda: isinstance(seen[-1], SearchBar.Ended))
        assert not bar.active and bar.matches == []


async def test_a_file_that_cannot_be_searched_is_said(tmp_path: Path) -> None:
    """The file went away after the screen opened it: the bar says the search failed, and
    a notice says why, instead of a traceback or a count that never comes."""
    bar = SearchBar(tmp_path / "gone.jsonl")
    app = host_app(bar)
    async with app.run_test(size=(80, 5)) as pilot:
        bar.opened = True
        await pilot.press(*"apple", "enter")
        await wait_until(
            pilot, lambda: "search failed" in str(bar.query_one("#search-count").render())
        )
        said = notices(app)
        assert said == ["Could not search gone.jsonl: no such file or directory"]
