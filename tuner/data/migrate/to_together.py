"""One example in OpenAI's format made ready for Together AI, keeping what it teaches.

The two services read almost the same JSONL; the differences, and what is done about each
(Together's rules are in `together_rules`, `together_messages`, `together_content`,
`together_tools`; OpenAI's in `rules`, `message_rules`, `tool_rules`, `preference_rules`):

- `name` on a message: OpenAI renders it; Together's chat templates do not, so the model would
  never see it. Removed (there is no field to move it to without changing the text trained).
- `refusal` on an assistant message: OpenAI trains it as the reply when there is no content;
  Together reads only `content`. A refusal with no content becomes the content; one beside
  content is removed. `refusal` content parts become text parts.
- OpenAI's legacy `function_call` / `function` messages / `functions`: Together reads only
  `tool_calls`, `tool` messages and `tools`. Mapped one to one (a call gets an id, the function
  message answering it becomes a tool message with that id, each function a tool).
- `parallel_tool_calls` and unknown top-level keys: Together ignores them and its older clients
  refuse the file. Removed.
- System messages: OpenAI takes any number anywhere; Together one, first. Several are merged
  (in order, a blank line between) into one at the start; a single late one is moved there.
- Turn order: OpenAI takes two user (or assistant) messages in a row; Together needs them to
  alternate. Consecutive user messages are merged, and consecutive assistant replies when they
  are trained alike and call no tool; anything else stays as it is and the target's check
  decides (the caller drops what it still refuses).
- `weight`: OpenAI takes it on assistant messages only and never trains the others. On Together,
  any weight in a conversation turns on training of every message without one (system and user
  too). So an example that weights a reply gets weight 0 on its system, user and tool messages:
  Together then trains exactly what OpenAI trained.
- Images: Together takes them only as base64 data URLs and refuses an example that mixes text
  parts and plain strings, or uses part lists with no image. Plain strings become text parts
  beside images; text-only part lists become strings; an example with an image link is left out
  (tuner downloads nothing), and so is one with images for a model known not to take them.
- Tools for a model known to take none: an example that calls one is left out; tool definitions
  in an example that makes no call are removed. An empty `tools` list (Together refuses it) is
  removed.
- Preference examples have the same shape on both; their messages get the treatment above, and
  a `weight` (which preference training does not read) is removed.

Every change is noted (`LineNotes`); `None` means the example is left out, with its reason noted.
"""

from __future__ import annotations

from typing import Any

from tuner.data.migrate.content import (
    Abilities,
    as_parts,
    copy_messages,
    drop_preference_weights,
    image_urls,
    is_embedded_image,
    join_contents,
    makes_tool_calls,
    parts_text,
    role_of,
    text_part,
)
from tuner.data.migrate.notes import LineNotes

PREFERENCE_KEYS = ("input", "preferred_output", "non_preferred_output")
_INPUT_ROLES = ("system", "user", "tool")


def to_together(obj: dict[str, Any], notes: LineNotes, abilities: Abilities) -> Any:
    """`obj` as Together AI takes it (a new object; `obj` is not changed), or None to leave it
    out. An example in none of OpenAI's formats is returned as it is, for the check to judge."""
    if "messages" in obj:
        return _chat(obj, notes, abilities)
    if any(key in obj for key in PREFERENCE_KEYS):
        return _preference(obj, notes, abilities)
    return obj


# --------------------------------------------------------------------------- supervised


def _chat(obj: dict[str, Any], notes: LineNotes, abilities: Abilities) -> Any:
    _drop_keys(obj, ("messages", "tools", "functions"), notes)
    messages = obj["messages"]
    if not isinstance(messages, list):
        return {"messages": messages}
    tools = _tools(obj, notes)
    messages = _conversation(messages, notes)
    if _images(messages, notes, abilities) is None:
        return None
    _weigh_inputs(messages, notes)
    tools = _check_tools(messages, tools, notes, abilities)
    if tools is _LEAVE_OUT:
        return None
    result: dict[str, Any] = {"messages": messages}
    if tools is not None:
        result["tools"] = tools
    return result


def _drop_keys(
    obj: dict[str, Any], kept: tuple[str, ...], notes: LineNotes, where: str = ""
) -> None:
    extra = []
    for key in obj:
        if key in kept:
            continue
        if key == "parallel_tool_calls":
            notes.add("parallel_tool_calls_dropped")
        else:
            extra.append(f"'{where}{key}'")
    if extra:
        notes.add("extra_key_dropped", ", ".join(extra))


def _tools(obj: dict[str, Any], notes: LineNotes) -> Any:
    """The example's tools, with OpenAI's legacy `functions` added as tools (None: none)."""
    tools = obj.get("tools")
    if "functions" in obj:
        notes.add("functions_to_tools")
        functions = obj["functions"]
        if isinstance(functions, list):
            listed = tools if isinstance(tools, list) else []
            names = {
                tool["function"].get("name")
                for tool in listed
                if isinstance(tool, dict) and isinstance(tool.get("function"), dict)
            }
            added = [
                {"type": "function", "function": fn}
                for fn in functions
                if not (isinstance(fn, dict) and fn.get("name") in names)
            ]
            tools = [*listed, *added] if isinstance(tools, list) or tools is None else tools
    if isinstance(tools, list) and not tools:
        notes.add("empty_tools_dropped")
        return None
    return tools


def _conversation(messages: list[Any], notes: LineNotes) -> list[Any]:
    """Messages with OpenAI-only fields mapped or removed, one system message first, and
    consecutive turns of one role merged where that keeps what is trained."""
    messages = _fields(copy_messages(messages), notes)
    messages = _system_first(messages, notes)
    return _merge_turns(messages, notes)


def _fields(messages: list[Any], notes: LineNotes) -> list[Any]:
    """`name`, `refusal` and the legacy function calls, message by message."""
    result: list[Any] = []
    calls = 0
    last_call: str | None = None
    for message in messages:
        role = role_of(message)
        if role is None:
            result.append(message)
            continue
        if "name" in message and role != "function":
            del message["name"]
            notes.add("name_dropped")
        if role == "assistant":
            clean_reply(message, notes)
            call = message.get("function_call")
            existing = message.get("tool_calls")
            if isinstance(call, dict) and (existing is None or isinstance(existing, list)):
                calls += 1
                last_call = f"call_{calls}"
                del message["function_call"]
                function = {"name": call.get("name"), "arguments": call.get("arguments")}
                tool_call = {"id": last_call, "type": "function", "function": function}
                message["tool_calls"] = [*(existing or []), tool_call]
                notes.add("function_call_to_tool_calls")
        elif role == "function":
            content = message.get("content")
            message = {"role": "tool", "content": content if content is not None else ""}
            if last_call is not None:
                message["tool_call_id"] = last_call
            notes.add("function_call_to_tool_calls")
        result.append(message)
    return result


def clean_reply(message: dict[str, Any], notes: LineNotes) -> None:
    """An assistant message's `refusal` as Together reads it: the content when there is none,
    else removed; `refusal` parts as text parts. Changes `message` in place."""
    if "refusal" in message:
        refusal = message.pop("refusal")
        content = message.get("content")
        if isinstance(refusal, str) and refusal and content in (None, ""):
            message["content"] = refusal
            notes.add("refusal_to_content")
        else:
            notes.add("refusal_dropped")
    content = message.get("content")
    if isinstance(content, list) and any(
        isinstance(p, dict) and p.get("type") == "refusal" for p in content
    ):
        message["content"] = [
            text_part(p.get("refusal") if isinstance(p.get("refusal"), str) else "")
            if isinstance(p, dict) and p.get("type") == "refusal"
            else p
            for p in content
        ]
        notes.add("refusal_parts_to_text")


def _system_first(messages: list[Any], notes: LineNotes) -> list[Any]:
    systems = [i for i, m in enumerate(messages) if role_of(m) == "system"]
    if not systems or systems == [0]:
        return messages
    others = [m for i, m in enumerate(messages) if i not in set(systems)]
    first = dict(messages[systems[0]])
    if len(systems) == 1:
        notes.add("system_moved")
        return [first, *others]
    for index in systems[1:]:
        first["content"] = join_contents(first.get("content"), messages[index].get("content"))
    notes.add("system_merged")
    return [first, *others]


def _merge_turns(messages: list[Any], notes: LineNotes) -> list[Any]:
    result: list[Any] = []
    for message in messages:
        previous = result[-1] if result else None
        if previous is not None and _mergeable(previous, message):
            merged = dict(previous)
            merged["content"] = join_contents(previous["content"], message["content"])
            result[-1] = merged
            notes.add("turns_merged")
        else:
            result.append(message)
    return result


def _mergeable(first: Any, second: Any) -> bool:
    role = role_of(first)
    if role not in ("user", "assistant") or role_of(second) != role:
        return False
    if first.get("content") is None or second.get("content") is None:
        return False
    if role == "user":
        return True
    calls = first.get("tool_calls") or second.get("tool_calls")
    return not calls and first.get("weight", 1) == second.get("weight", 1)


def _images(messages: list[Any], notes: LineNotes, abilities: Abilities) -> list[Any] | None:
    """Contents as Together takes them around images; None when the example is left out."""
    urls = [url for m in messages if isinstance(m, dict) for url in image_urls(m.get("content"))]
    if urls:
        if abilities.images is False:
            notes.drop("images_unsupported")
            return None
        if not all(is_embedded_image(url) for url in urls):
            notes.drop("image_links")
            return None
        plain = [m for m in messages if isinstance(m, dict) and isinstance(m.get("content"), str)]
        for message in plain:
            message["content"] = as_parts(message["content"])
        if plain:
            notes.add("content_to_parts")
        return messages
    for message in messages:
        if isinstance(message, dict):
            text = parts_text(message.get("content"))
            if text is not None:
                message["content"] = text
                notes.add("parts_to_text")
    return messages


def _weigh_inputs(messages: list[Any], notes: LineNotes) -> None:
    """Weight 0 on the inputs of an example that weights a reply (see the module docstring)."""
    weighted = any(role_of(m) == "assistant" and m.get("weight") is not None for m in messages)
    if not weighted:
        return
    for message in messages:
        if role_of(message) in _INPUT_ROLES and message.get("weight") is None:
            message["weight"] = 0
            notes.add("inputs_weighted")


_LEAVE_OUT = object()


def _check_tools(messages: list[Any], tools: Any, notes: LineNotes, abilities: Abilities) -> Any:
    """The tools to keep, or `_LEAVE_OUT` when the model takes no tools and the example calls."""
    if abilities.tools is not False:
        return tools
    if makes_tool_calls(messages):
        notes.drop("tools_unsupported")
        return _LEAVE_OUT
    if tools is not None:
        notes.add("tools_dropped")
    return None


# --------------------------------------------------------------------------- preference


def _preference(obj: dict[str, Any], notes: LineNotes, abilities: Abilities) -> Any:
    _drop_keys(obj, PREFERENCE_KEYS, notes)
    result: dict[str, Any] = {key: obj[key] for key in PREFERENCE_KEYS if key in obj}
    given = obj.get("input")
    if isinstance(given, dict) and isinstance(given.get("messages"), list):
        _drop_keys(given, ("messages", "tools", "functions"), notes, "input.")
        messages = _conversation(given["messages"], notes)
        drop_preference_weights(messages, notes)
        if _images(messages, notes, abilities) is None:
            return None
        tools = _tools(given, notes)
        tools = _check_tools(messages, tools, notes, abilities)
        if tools is _LEAVE_OUT:
            return None
        result["input"] = {"messages": messages, **({"tools": tools} if tools is not None else {})}
    for key in ("preferred_output", "non_preferred_output"):
        output = obj.get(key)
        if isinstance(output, list):
            replies = copy_messages(output)
            for reply in replies:
                if role_of(reply) is not None:
                    if "name" in reply:
                        del reply["name"]
                        notes.add("name_dropped")
                    clean_reply(reply, notes)
                    text = parts_text(reply.get("content"))
                    if text is not None:
                        reply["content"] = text
                        notes.add("parts_to_text")
            drop_preference_weights(replies, notes)
            result[key] = replies
    return result
