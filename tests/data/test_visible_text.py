"""The one sanitiser: control characters from outside are drawn, never sent."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tuner.data.visible_text import visible, visible_in_place, visible_line

HOSTILE = "a\x1b]0;title\x07b\x1b[2Jc\x1b]52;c;aGk=\x07d\x1b]8;;http://x\x07e\x9bf\x7f"


def test_escape_sequences_are_drawn_as_pictures() -> None:
    shown = visible(HOSTILE)
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert shown.startswith("a␛]0;title␇b␛[2Jc")
    assert "\\x9b" in shown and "␡" in shown


def test_newline_and_tab_stay_in_text_but_not_in_a_line() -> None:
    assert visible("one\n\ttwo") == "one\n\ttwo"
    assert visible_line("one\n\ttwo") == "one␊␉two"


def test_a_crlf_is_a_line_end_and_a_lone_cr_is_shown() -> None:
    assert visible("a\r\nb") == "a\nb"
    assert visible("done 10%\rdone 100%") == "done 10%␍done 100%"


def test_plain_text_is_returned_as_it_is() -> None:
    text = "İndirim [bold]x[/] ünlü 🙂"
    assert visible(text) is text
    assert visible_line(text) is text


@given(st.text())
def test_nothing_a_terminal_acts_on_survives(text: str) -> None:
    for shown in (visible(text), visible_line(text)):
        assert not any(ord(c) < 0x20 and c not in "\n\t" for c in shown)
        assert not any(0x7F <= ord(c) <= 0x9F for c in shown)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in visible_line(text))


def test_in_place_keeps_every_character_at_its_index() -> None:
    text = "a\x1b[2J\nb\t\x9bc"
    shown = visible_in_place(text)
    assert shown == "a␛[2J␊b␉\ufffdc"
    assert len(shown) == len(text)
    plain = "[bold]x[/]"
    assert visible_in_place(plain) is plain


@given(st.text())
def test_in_place_leaves_nothing_a_terminal_acts_on(text: str) -> None:
    shown = visible_in_place(text)
    assert len(shown) == len(text)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in shown)
