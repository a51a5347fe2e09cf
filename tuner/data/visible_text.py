"""The one sanitiser: text from outside tuner, on its way to a terminal or a widget.

A service's names, events, replies and error messages, and a user's own files, are data. Sent to
a terminal as they are, a reply holding `ESC ] 52 ; c ; ... BEL` writes the user's clipboard,
`ESC [ 2 J` clears the screen, `ESC ] 0 ; ... BEL` retitles the window and `ESC ] 8 ;; url` makes
a link. So every control character other than newline and tab is drawn as a visible stand-in
instead (the Unicode control pictures: ESC as `␛`, BEL as `␇`), and the user sees that it was
there while nothing acts on it.

Only what is shown changes: `--json` output (JSON escapes control characters itself),
transcripts, exports and backups keep the exact text. Markup is the other half of the same rule:
the UI puts this text into widgets as `rich.text.Text` (`tuner.ui.outside`), never as markup, and
the commands print it as plain text.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, and the C1 controls (0x9b is CSI on 8-bit terminals).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_OR_BREAK = re.compile("[\x00-\x1f\x7f-\x9f]")

# U+2400 + code is the control picture of C0 code `code`; U+2421 of DEL. C1 has no pictures:
# its characters are written as the escape a programmer would type, `\x9b`.
_PICTURES: dict[int, str] = {code: chr(0x2400 + code) for code in range(0x20)}
_PICTURES[0x7F] = "\u2421"
_PICTURES.update({code: f"\\x{code:02x}" for code in range(0x80, 0xA0)})


def _picture(match: re.Match[str]) -> str:
    return _PICTURES[ord(match.group())]


def visible(text: str) -> str:
    """`text` with every control character but newline and tab made visible (ESC as `␛`).

    A CRLF line end is a plain line end; a carriage return anywhere else (which would let a
    reply overwrite what is already on the line) is shown as `␍`."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(_picture, text.replace("\r\n", "\n"))


def visible_line(text: str) -> str:
    """`text` for a place that holds one line (a table cell, a title, a name in a sentence):
    newlines and tabs are made visible too, so a name cannot break a row or forge one."""
    if not _CONTROL_OR_BREAK.search(text):
        return text
    return _CONTROL_OR_BREAK.sub(_picture, text)


# One visible character for every control character: C0 and DEL by their pictures, C1 (which
# has none) by the replacement character.
_ONE_FOR_ONE: dict[int, str] = {
    code: (picture if len(picture) == 1 else "\ufffd") for code, picture in _PICTURES.items()
}


def visible_in_place(text: str) -> str:
    """`text` for a field being edited: every control character (newline and tab too) drawn as
    exactly one visible character, so each character stays at its index and a cursor counted
    in characters still points where it did. The value edited keeps the real characters."""
    if not _CONTROL_OR_BREAK.search(text):
        return text
    return text.translate(_ONE_FOR_ONE)
