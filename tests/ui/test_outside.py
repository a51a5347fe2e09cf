"""Outside text as widget content: `Text`, never markup; an input draws control characters."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Input

from tests.helpers import screen_lines
from tuner.ui.outside import CONTROLS_SHOWN, outside, outside_line


def test_markup_is_characters_and_controls_are_drawn() -> None:
    text = outside("[/]x[b]y[@click=app.quit]q\n\x1b[2J", "bold")
    assert isinstance(text, Text)
    assert text.plain == "[/]x[b]y[@click=app.quit]q\n␛[2J"
    assert not text.spans and str(text.style) == "bold"
    assert outside_line("a\nb\x9b").plain == "a␊b\\x9b"


def test_an_input_draws_its_controls_one_for_one() -> None:
    drawn = CONTROLS_SHOWN(Text("a\x1b[2Jb\x9bc"))
    assert drawn.plain == "a␛[2Jb\ufffdc"  # the same length: the cursor stays where it is
    plain = Text("nothing to draw [/]")
    assert CONTROLS_SHOWN(plain).plain == "nothing to draw [/]"


async def test_an_input_keeps_its_value_exact_and_draws_it_visible() -> None:
    value = "dir/\x1b]0;t x\x1b[2J.jsonl"

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield Input(value, highlighter=CONTROLS_SHOWN)

    app = Host()
    async with app.run_test(size=(60, 5)) as pilot:
        field = app.query_one(Input)
        await pilot.pause()
        row = "".join(screen_lines(app))
        assert "dir/␛]0;t x␛[2J.jsonl" in row and "\x1b" not in row
        assert field.value == value
