"""One example in one of Together AI's formats made ready for OpenAI (or Azure OpenAI).

OpenAI takes conversations (`messages`) and preference examples only. The differences, and what
is done about each (rules in `rules`, `message_rules`, `tool_rules`, `preference_rules` against
Together's `together_rules`, `together_messages`, `together_tools`):

- Instruction examples (`prompt`, `completion`): Together trains the completion after the prompt.
  A user message holding the prompt and an assistant reply holding the completion teach the
  same; the chat markup around them is OpenAI's.
- Plain-text examples (`text`): Together trains on all of the text, with no prompt and no
  reply. A chat model has nothing to learn from that as a conversation (the text as a reply to
  nothing would teach it to say the text unprompted), so such an example is left out, said.
- `weight` on system, user or tool messages: OpenAI takes a weight on assistant messages only
  and never trains the others. Weight 0 on them meant the same on Together, so it is removed.
  Weight 1 on them (or none, beside weighted messages: Together then trains every message
  without a weight) trained those inputs on Together; OpenAI cannot, so the weight is removed
  and the loss is said.
- Tool calls: OpenAI needs an `id` on every call and a `tool_call_id` on every tool message;
  Together needs neither. Missing ids are made up (`call_1`, ...) and given, in order, to the
  tool messages that answer the call.
- Preference examples have the same shape on both; a `weight` in them (which preference
  training does not read) is removed.
- Images or tools for a model known not to take them: as toward Together, left out.

Every change is noted (`LineNotes`); `None` means the example is left out, with its reason noted.
"""

from __future__ import annotations

from typing import Any

from tuner.data.migrate.content import (
    Abilities,
    copy_messages,
    drop_preference_weights,
    image_urls,
    makes_tool_calls,
    role_of,
)
from tuner.data.migrate.notes import LineNotes

PREFERENCE_KEYS = ("input", "preferred_output", "non_preferred_output")
_INPUT_ROLES = ("system", "user", "tool")


def to_openai(
    obj: dict[str, Any], notes: LineNotes, abilities: Abilities, *, from_together: bool = False
) -> Any:
    """`obj` as OpenAI takes it (a new object; `obj` is not changed), or None to leave it out.
    An example in none of Together's formats is returned as it is, for the check to judge.
    `from_together`: the file was trained on Together, where a weight anywhere meant training
    every message without one (an OpenAI file's weights never did)."""
    if "messages" in obj:
        result = dict(obj)
        if isinstance(obj["messages"], list):
            messages = copy_messages(obj["messages"])
            _weights(messages, notes, from_together)
            _tool_call_ids(messages, notes)
            result["messages"] = messages
            if not _able(messages, notes, abilities):
                return None
        return result
    if any(key in obj for key in PREFERENCE_KEYS):
        return _preference(obj, notes, abilities)
    if "prompt" in obj or "completion" in obj:
        return _instruction(obj, notes, abilities)
    if "text" in obj:
        notes.drop("text_not_convertible")
        return None
    return obj


def _weights(messages: list[Any], notes: LineNotes, from_together: bool) -> None:
    weighted = from_together and any(
        isinstance(m, dict) and m.get("weight") is not None for m in messages
    )
    for message in messages:
        if role_of(message) not in _INPUT_ROLES:
            continue
        if "weight" in message:
            weight = message.pop("weight")
            notes.add("input_weights_dropped" if weight in (0, None) else "input_training_lost")
        elif weighted:
            notes.add("input_training_lost")


def _tool_call_ids(messages: list[Any], notes: LineNotes) -> None:
    """Give every tool call an id and every tool message the id of the call it answers."""
    taken = {
        call.get("id")
        for m in messages
        if role_of(m) == "assistant" and isinstance(m.get("tool_calls"), list)
        for call in m["tool_calls"]
        if isinstance(call, dict)
    }
    number = 0
    waiting: list[str] = []  # ids of the last assistant's calls not yet answered
    for message in messages:
        role = role_of(message)
        if role == "assistant" and isinstance(message.get("tool_calls"), list):
            calls = []
            waiting = []
            for call in message["tool_calls"]:
                if isinstance(call, dict) and not isinstance(call.get("id"), str):
                    number += 1
                    while f"call_{number}" in taken:
                        number += 1
                    call = {"id": f"call_{number}", **call}
                    notes.add("tool_call_ids_added")
                if isinstance(call, dict) and isinstance(call.get("id"), str):
                    waiting.append(call["id"])
                calls.append(call)
            message["tool_calls"] = calls
        elif role == "tool":
            answered = message.get("tool_call_id")
            if isinstance(answered, str):
                if answered in waiting:
                    waiting.remove(answered)
            elif waiting:
                message["tool_call_id"] = waiting.pop(0)
                notes.add("tool_call_ids_added")


def _able(messages: list[Any], notes: LineNotes, abilities: Abilities) -> bool:
    """False (noted) when the model is known not to take the example's images or tool calls."""
    if abilities.images is False and any(
        True for m in messages if isinstance(m, dict) for _ in image_urls(m.get("content"))
    ):
        notes.drop("images_unsupported")
        return False
    if abilities.tools is False and makes_tool_calls(messages):
        notes.drop("tools_unsupported")
        return False
    return True


def _instruction(obj: dict[str, Any], notes: LineNotes, abilities: Abilities) -> Any:
    extra = [f"'{key}'" for key in obj if key not in ("prompt", "completion")]
    if extra:
        notes.add("extra_key_dropped", ", ".join(extra))
    messages = [
        {"role": "user", "content": obj.get("prompt")},
        {"role": "assistant", "content": obj.get("completion")},
    ]
    notes.add("instruction_to_messages")
    if not _able(messages, notes, abilities):
        return None
    return {"messages": messages}


def _preference(obj: dict[str, Any], notes: LineNotes, abilities: Abilities) -> Any:
    result = dict(obj)
    given = obj.get("input")
    if isinstance(given, dict) and isinstance(given.get("messages"), list):
        messages = copy_messages(given["messages"])
        drop_preference_weights(messages, notes)
        _tool_call_ids(messages, notes)
        if not _able(messages, notes, abilities):
            return None
        result["input"] = {**given, "messages": messages}
    for key in ("preferred_output", "non_preferred_output"):
        if isinstance(obj.get(key), list):
            replies = copy_messages(obj[key])
            drop_preference_weights(replies, notes)
            result[key] = replies
    return result
