"""What moving a training file to another service changed, said once per kind of change.

A conversion (`tuner.data.migrate.convert`) changes a file line by line; each line's conversion
notes what it did in a `LineNotes` (a code per kind of change, and whether the line was left out). A
`ChangeLog` folds those notes into one `Change` per code: the first few lines it concerned, how
many, and one sentence in the user's terms saying what was done and why. Nothing is changed without
a note, so the list of changes is the whole difference between the two files.

The log keeps a handful of line numbers per code whatever the file's size: a million changed
lines cost the same memory as ten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tuner.data import wording

# How many line numbers a change keeps (and shows) before "and N more".
LINES_KEPT = 5

# code -> (sentence, the examples were left out). The sentence may name {target} (the service
# the file goes to), {model} and {detail} (what the first line concerned said).
MESSAGES: dict[str, tuple[str, bool]] = {
    # -- toward Together AI
    "name_dropped": (
        "removed 'name' from messages: {target}'s chat templates do not render it, so the "
        "model would never see it",
        False,
    ),
    "refusal_to_content": (
        "an assistant message's 'refusal' became its content: OpenAI trained the refusal as the "
        "reply, and {target} reads only 'content'",
        False,
    ),
    "refusal_dropped": (
        "removed 'refusal' from assistant messages that also have content: {target} does not "
        "read it (the content is the reply it trains)",
        False,
    ),
    "refusal_parts_to_text": (
        "content parts of type 'refusal' became text parts: {target} takes only text and image "
        "parts",
        False,
    ),
    "function_call_to_tool_calls": (
        "OpenAI's legacy 'function_call' became 'tool_calls', and the 'function' message "
        "answering it a 'tool' message: {target} reads only tool calls",
        False,
    ),
    "functions_to_tools": (
        "the legacy 'functions' list became 'tools' (the same definitions): {target} ignores "
        "'functions'",
        False,
    ),
    "parallel_tool_calls_dropped": (
        "removed 'parallel_tool_calls': {target} does not read it",
        False,
    ),
    "extra_key_dropped": (
        "removed keys {target} does not read ({detail}): they train nothing, and some of its "
        "clients refuse a file that has them",
        False,
    ),
    "empty_tools_dropped": (
        "removed empty 'tools' lists: {target} refuses them (an example with no tools leaves "
        "the key out)",
        False,
    ),
    "system_merged": (
        "several system messages were merged into one at the start, joined by a blank line: "
        "{target} takes one system message, first",
        False,
    ),
    "system_moved": (
        "a system message that was not first was moved to the start: {target} takes a system "
        "message only first",
        False,
    ),
    "turns_merged": (
        "consecutive messages of the same role were merged into one, joined by a blank line: "
        "{target} needs user and assistant turns to alternate",
        False,
    ),
    "inputs_weighted": (
        "examples that give an assistant message a 'weight' got weight 0 on their system, user "
        "and tool messages: with any weight {target} trains every message without one, while "
        "OpenAI trained only the replies",
        False,
    ),
    "content_to_parts": (
        "in examples with images, plain-text contents became text parts: {target} refuses an "
        "example that mixes the two",
        False,
    ),
    "parts_to_text": (
        "content given as a list of text parts became plain text: {target} takes part lists "
        "only in examples with images",
        False,
    ),
    "preference_weight_dropped": (
        "removed 'weight' from the messages of preference examples: preference training reads "
        "none (on Together a weight would turn on training of the inputs)",
        False,
    ),
    # -- toward OpenAI
    "instruction_to_messages": (
        "instruction examples ('prompt' and 'completion') became a user message and an "
        "assistant reply: {target} trains chat models on conversations only",
        False,
    ),
    "input_weights_dropped": (
        "removed weight 0 from system, user and tool messages: {target} never trains those, so "
        "the meaning is the same",
        False,
    ),
    "input_training_lost": (
        "these examples trained system, user or tool messages on Together (a weight of 1, or "
        "no weight beside weighted messages); {target} trains only assistant replies, so those "
        "messages are now context only",
        False,
    ),
    "tool_call_ids_added": (
        "tool calls without an 'id' got one (call_1, call_2, ...), and the tool messages "
        "answering them its 'tool_call_id': {target} needs both",
        False,
    ),
    # -- examples left out, toward either
    "blank_line": ("blank lines were left out: they are not examples", True),
    "invalid_line": (
        "lines that are not a JSON object were left out (first: {detail})",
        True,
    ),
    "text_not_convertible": (
        "plain-text examples ('text') were left out: they have no prompt and no reply, and "
        "{target} trains chat models on conversations only",
        True,
    ),
    "image_links": (
        "examples whose images are links were left out: {target} takes images only as base64 "
        "data URLs (data:image/jpeg;base64,...), and tuner downloads nothing",
        True,
    ),
    "images_unsupported": (
        "examples with images were left out: {target} does not fine-tune {model} on images",
        True,
    ),
    "tools_unsupported": (
        "examples with tool calls were left out: {target} does not fine-tune {model} with tools",
        True,
    ),
    "tools_dropped": (
        "tool definitions were removed from examples that make no call: {target} does not "
        "fine-tune {model} with tools",
        False,
    ),
    "over_token_limit": (
        "examples longer than {model} trains on were left out: {target} would cut them off or "
        "refuse them (first: {detail})",
        True,
    ),
    "refused_by_target": (
        "examples that {target} would refuse, and that tuner has no faithful conversion for, "
        "were left out (first: {detail})",
        True,
    ),
}


@dataclass(frozen=True, slots=True)
class Change:
    """One kind of change made to a file: its `code` (stable, for scripts), the first lines it
    concerned (1-based, of the original file), how many lines in all, and the sentence that says
    what was done and why. `dropped` is True when those examples were left out."""

    code: str
    message: str
    lines: tuple[int, ...]
    count: int
    dropped: bool = False

    def where(self) -> str:
        """`line 4`, `lines 4, 9, 12`, `lines 4, 9, 12, 15, 20 and 7 more`."""
        shown = ", ".join(str(line) for line in self.lines)
        noun = wording.noun(self.count, "line")
        more = self.count - len(self.lines)
        return f"{noun} {shown}" + (f" and {more:,} more" if more > 0 else "")

    def describe(self) -> str:
        """`lines 4, 9: removed 'name' from messages: ...`: the one way a change is shown."""
        return f"{self.where()}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "lines": list(self.lines),
            "count": self.count,
            "message": self.message,
            "dropped": self.dropped,
        }


@dataclass(slots=True)
class LineNotes:
    """What the conversion of one line did: the codes of its changes in order, a detail for
    some, and the code it was left out for (None: it was written)."""

    codes: list[str] = field(default_factory=list)
    details: dict[str, str] = field(default_factory=dict)
    dropped: str | None = None

    def add(self, code: str, detail: str | None = None) -> None:
        if code not in MESSAGES:  # pragma: no cover - a programming error, caught by the tests
            raise KeyError(code)
        if code not in self.codes:
            self.codes.append(code)
        if detail is not None:
            self.details.setdefault(code, detail)

    def drop(self, code: str, detail: str | None = None) -> None:
        """Leave the line out, for `code`'s reason."""
        self.add(code, detail)
        self.dropped = code

    @property
    def changed(self) -> bool:
        return bool(self.codes)


@dataclass(slots=True)
class _Tally:
    lines: list[int] = field(default_factory=list)
    count: int = 0
    detail: str | None = None


class ChangeLog:
    """Folds every line's notes into one `Change` per code, in the order codes first appear.

    `context` fills the sentences: `target` (the service's name) and `model`."""

    def __init__(self, **context: Any) -> None:
        self.context = context
        self._tallies: dict[str, _Tally] = {}

    def record(self, line: int, notes: LineNotes) -> None:
        """Fold in one line's notes. A line left out counts only for why it was left out: what
        was done to it on the way does not reach the file."""
        codes = [notes.dropped] if notes.dropped is not None else notes.codes
        for code in codes:
            tally = self._tallies.setdefault(code, _Tally())
            tally.count += 1
            if len(tally.lines) < LINES_KEPT:
                tally.lines.append(line)
            if tally.detail is None and code in notes.details:
                tally.detail = notes.details[code]

    def changes(self) -> list[Change]:
        found = []
        for code, tally in self._tallies.items():
            sentence, dropped = MESSAGES[code]
            values = {"target": "the service", "model": "the model", **self.context}
            message = sentence.format(detail=tally.detail or "", **values)
            found.append(Change(code, message, tuple(tally.lines), tally.count, dropped))
        return found
