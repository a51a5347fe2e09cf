"""JSON for a terminal: the exact text of every string, and no byte a terminal would act on.

`json.dumps(..., ensure_ascii=False)` keeps non-ASCII text readable and escapes the C0 controls
(ESC becomes `\\u001b`), but writes DEL and the C1 controls (0x7f-0x9f, where 0x9b is CSI on an
8-bit terminal) as they are. Those are escaped here too, so `--json` output can be printed
safely and `json.loads` still gives back the exact text a service sent.
"""

from __future__ import annotations

import json
import re
from typing import Any, TextIO

# DEL and C1: only ever inside a JSON string, where `\u00XX` means the same character.
_RAW_CONTROLS = re.compile("[\x7f-\x9f]")


def _escaped(text: str) -> str:
    return _RAW_CONTROLS.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def json_text(value: Any, *, indent: int | None = None) -> str:
    """`value` as JSON (non-ASCII kept, every control character escaped)."""
    return _escaped(json.dumps(value, ensure_ascii=False, indent=indent))


def write_json(value: Any, out: TextIO, *, indent: int | None = None) -> None:
    """`value` as JSON written to `out` piece by piece, as `json.dump` does (a big report is
    never one string in memory), escaped as `json_text` is."""
    encoder = json.JSONEncoder(ensure_ascii=False, indent=indent)
    for chunk in encoder.iterencode(value):
        out.write(_escaped(chunk))
