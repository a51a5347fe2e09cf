"""Together AI's rules for a conversation: roles, turn order, message keys, weights, images.

Sources, each rule naming its own below:
- docs: Together's "Data preparation" page: roles system, user, assistant; "the conversation
  must start with system or user and alternate user and assistant afterwards"; per-message
  `weight` of 0 or 1 only, weight 0 masked; and "if any message in the conversation has a weight
  field, the train-on-inputs setting will be automatically set to true to respect provided
  weights" (so messages without a weight, system and user ones too, are then trained).
- docs: "Function calling": assistant `tool_calls` in place of content, results in `tool`
  messages (so a run of tool messages sits between an assistant's call and its next turn).
- SDK: together-python `utils/files.py` (`validate_messages`: role required and one of the
  possible roles, consecutive equal roles refused, weight an integer 0 or 1), together-py
  `lib/utils/files.py` (roles system/user/assistant/tool, at least one assistant message,
  content required except on an assistant with tool calls, tool calls only on assistants,
  images only with weight 0, at most 10 images, no mixing of text and part-list messages, part
  lists only with an image).

What Together does with OpenAI-only message fields: `name` is not rendered by the chat
templates (the model never sees it) and `refusal` is not read, so both are warned about as
ignored; `function_call` (OpenAI's legacy call) is not read either, and since the call it holds
would then not be trained, it is an error; the legacy `function` role is refused.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from tuner.data.jsonl.json_values import json_type, short_json
from tuner.data.rules.messages import no_role, not_a_message
from tuner.data.rules.problems import Problem, error, warning
from tuner.data.rules.together_content import MAX_IMAGES_PER_EXAMPLE, check_content
from tuner.data.rules.together_tools import check_tool_calls
from tuner.data.wording import noun

ROLES = ("system", "user", "assistant", "tool")
_ROLE_LIST = "system, user, assistant, tool"
_KNOWN_KEYS = frozenset({"role", "content", "weight", "tool_calls", "tool_call_id"})
# Keys OpenAI's format has and Together does not read, with what that means for the user.
_IGNORED = {
    "name": "Together's chat templates do not render it, so the model never sees it",
    "refusal": "Together does not read it",
    "tool_call_id": "Together reads it only on tool messages",
}


@dataclass(slots=True)
class Conversation:
    """What the rules learnt about a list of messages: each role (None where unusable)."""

    roles: list[str | None] = field(default_factory=list)
    weighted: bool = False
    trained: bool = False  # some message will be trained on (by weight, or an assistant)


def check_conversation(
    messages: Any,
    line: int,
    problems: list[Problem],
    *,
    tool_names: set[str] | None = None,
    require_assistant: bool = True,
    where: str = "'messages'",
) -> Conversation:
    """Check a conversation (an example's `messages`, or a preference example's input)."""
    conversation = Conversation()
    if not isinstance(messages, list) or not messages:
        what = "empty" if isinstance(messages, list) else f"a JSON {json_type(messages)}"
        problems.append(
            error(
                "missing_messages_list",
                f"{where} is {what}; it must be a non-empty list of messages",
                line,
            )
        )
        return conversation
    ignored: dict[str, list[int]] = {}
    parts = plain = images = 0
    for index, message in enumerate(messages):
        role = _check_message(message, index, line, problems, tool_names, ignored)
        conversation.roles.append(role)
        if role is None:
            continue
        content = message.get("content")
        if content is not None:
            facts = check_content(
                content,
                role=role,
                label=f"message {index} ({role})",
                line=line,
                index=index,
                problems=problems,
            )
            parts += facts.parts
            plain += not facts.parts
            images += facts.images
            if facts.images and message.get("weight") not in (None, 0):
                problems.append(
                    error(
                        "invalid_weight",
                        f"message {index} (user) holds an image and has weight "
                        f"{short_json(message['weight'])}; Together trains no message with an "
                        "image: give it weight 0",
                        line,
                        index,
                    )
                )
        if message.get("weight") is not None:
            conversation.weighted = True
    _check_turn_order(messages, conversation.roles, line, problems)
    _check_images(parts, plain, images, line, problems)
    for key, indices in ignored.items():
        problems.append(_ignored_key(key, indices, line))
    if require_assistant and "assistant" not in conversation.roles:
        problems.append(
            error(
                "example_missing_assistant_message",
                "no assistant message: add the reply the model should learn",
                line,
            )
        )
    _check_weights(messages, conversation, line, problems)
    return conversation


def _check_message(
    message: Any,
    index: int,
    line: int,
    problems: list[Problem],
    tool_names: set[str] | None,
    ignored: dict[str, list[int]],
) -> str | None:
    """Check one message's role, keys and body; return its role, or None when unusable."""
    label = f"message {index}"
    if not isinstance(message, dict):
        problems.append(not_a_message(message, label, line, index))
        return None
    role = message.get("role")
    if role is None:
        problems.append(no_role(label, _ROLE_LIST, line, index))
        return None
    if not isinstance(role, str) or role not in ROLES:
        problems.append(_unrecognized_role(role, label, line, index))
        return None
    label = f"{label} ({role})"
    for key in message:
        if key in _KNOWN_KEYS and (key != "tool_call_id" or role == "tool"):
            continue
        if key == "function_call" and role == "assistant":
            problems.append(
                error(
                    "unsupported_key",
                    f"{label} has 'function_call', OpenAI's legacy form of a call; Together "
                    "reads only 'tool_calls', so this call would not be trained: write it as "
                    '"tool_calls": [{"type": "function", "function": {...}}]',
                    line,
                    index,
                )
            )
        else:
            ignored.setdefault(str(key), []).append(index)
    weight = message.get("weight")  # Together's checker drops keys whose value is null
    if weight is not None and (type(weight) is not int or weight not in (0, 1)):
        problems.append(
            error(
                "invalid_weight",
                f"{label} has weight {short_json(weight)}; Together takes 0 (not trained) "
                "or 1 (trained)",
                line,
                index,
            )
        )
    has_calls = False
    if message.get("tool_calls") is not None:
        if role == "assistant":
            has_calls = check_tool_calls(
                message["tool_calls"], tool_names, label, line, index, problems
            )
        else:
            problems.append(
                error(
                    "message_unrecognized_key",
                    f"{label} has 'tool_calls', which only assistant messages take",
                    line,
                    index,
                )
            )
    if message.get("content") is None and not has_calls:
        extra = " (or 'tool_calls')" if role == "assistant" else ""
        verb = "has a null 'content'" if "content" in message else "has no 'content'"
        problems.append(
            error(
                "missing_content" if "content" in message else "message_missing_key",
                f"{label} {verb}; give it text content{extra}",
                line,
                index,
            )
        )
    return role


def _unrecognized_role(role: object, label: str, line: int, index: int) -> Problem:
    if role == "function":
        detail = (
            "Together has no 'function' role (OpenAI's legacy form): answer an assistant's "
            "'tool_calls' with 'tool' messages"
        )
    elif role == "developer":
        detail = "Together has no 'developer' role; use 'system'"
    elif isinstance(role, str):
        close = difflib.get_close_matches(role.lower(), ROLES, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        detail = f"Together takes {_ROLE_LIST}{hint}"
    else:
        detail = f"the role must be a string, one of {_ROLE_LIST}"
    return error("unrecognized_role", f"{label} has role {short_json(role)}; {detail}", line, index)


def _ignored_key(key: str, indices: list[int], line: int) -> Problem:
    first = indices[0]
    others = len(indices) - 1
    more = f" (and {others:,} more {noun(others, 'message')})" if others else ""
    why = _IGNORED.get(key)
    if why is None:
        close = difflib.get_close_matches(key, sorted(_KNOWN_KEYS), n=1, cutoff=0.75)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        why = f"Together reads only role, content, weight, tool_calls, tool_call_id{hint}"
    return warning(
        "ignored_key",
        f"message {first}{more} has {short_json(key)}: {why}",
        line,
        first,
    )


def _check_turn_order(
    messages: list[Any], roles: list[str | None], line: int, problems: list[Problem]
) -> None:
    """System (first only) or user first, then user and assistant in turn, tool results only
    after an assistant's tool calls; the first break is reported, at the message at fault."""
    if None in roles:
        return  # an unusable message already has its error; the order would only repeat it
    previous: str | None = None
    previous_calls = False
    for index, role in enumerate(roles):
        fault = _turn_fault(index, role, previous, previous_calls)
        if fault is not None:
            problems.append(
                error(
                    "invalid_turn_order",
                    f"message {index} ({role}) {fault}; Together needs the conversation to "
                    "start with system or user and then alternate user and assistant",
                    line,
                    index,
                )
            )
            return
        if role == "assistant":
            previous_calls = bool(messages[index].get("tool_calls"))
        elif role != "tool":
            previous_calls = False
        previous = role
    return


def _turn_fault(index: int, role: str | None, previous: str | None, calls: bool) -> str | None:
    if role == "system":
        return None if index == 0 else "comes after the start"
    if previous is None:
        return None if role == "user" else "opens the conversation"
    if role == "user":
        return "follows another user message" if previous == "user" else None
    if role == "assistant":
        if previous in ("user", "tool"):
            return None
        return f"follows {'another assistant' if previous == 'assistant' else 'the system'} message"
    # a tool result answers the assistant's tool calls, alone or with others
    if previous == "tool" or (previous == "assistant" and calls):
        return None
    return "does not answer an assistant message's 'tool_calls'"


def _check_images(parts: int, plain: int, images: int, line: int, problems: list[Problem]) -> None:
    if images > MAX_IMAGES_PER_EXAMPLE:
        problems.append(
            error(
                "too_many_images",
                f"the example holds {images} images; Together takes at most "
                f"{MAX_IMAGES_PER_EXAMPLE} per example",
                line,
            )
        )
    if parts and plain:
        problems.append(
            error(
                "mixed_content_kinds",
                "some messages give their content as a list of parts and others as plain text; "
                "Together's checker refuses the mix: use one form for every message",
                line,
            )
        )
    elif parts and not images:
        problems.append(
            error(
                "parts_without_image",
                "the messages give their content as lists of parts but hold no image; Together "
                "takes part lists only for examples with images: give the content as plain text",
                line,
            )
        )


def _check_weights(
    messages: list[Any], conversation: Conversation, line: int, problems: list[Problem]
) -> None:
    """Weights change what Together trains: with any weight, every message without one is
    trained (the service turns train_on_inputs on), the user's and the system's too."""
    roles = conversation.roles
    if not conversation.weighted:
        conversation.trained = "assistant" in roles
        return
    unweighted_inputs = [
        index
        for index, (message, role) in enumerate(zip(messages, roles, strict=True))
        if role in ("system", "user", "tool") and message.get("weight") is None
    ]
    conversation.trained = any(
        isinstance(message, dict) and message.get("weight") != 0 for message in messages
    )
    if not conversation.trained:
        problems.append(
            warning(
                "nothing_trained",
                "every message has weight 0, so nothing in this example is trained; set weight "
                "1 on the replies to learn",
                line,
            )
        )
    elif unweighted_inputs:
        shown = ", ".join(str(i) for i in unweighted_inputs[:5])
        more = "…" if len(unweighted_inputs) > 5 else ""
        problems.append(
            warning(
                "inputs_trained",
                f"this example gives weights, so Together also trains on every message without "
                f"one, including messages {shown}{more} (system, user or tool): give them weight "
                "0 to train on the replies only",
                line,
                unweighted_inputs[0],
            )
        )
