"""Together AI's rules for what a message holds: text, or a list of text and image parts.

Together takes a message's `content` as a string, or for vision models as a list of parts of
type `text` and `image_url`. Its documentation ("Vision fine-tuning") and its SDK's checker
(together-py `lib/utils/files.py` and `lib/constants.py`) agree on the limits: images only in
user messages, each a base64 `data:image/...` URL of a JPEG, PNG or WEBP of at most 10 MB, at
most 10 images per example. The SDK's checker also refused an example that mixes plain-text and
part-list messages, and one that uses part lists without any image; those rules live with the
conversation rules in `together_messages`, which see every message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tuner.data.jsonl.json_values import json_type, short_json
from tuner.data.rules.problems import Problem, error, warning

MAX_IMAGES_PER_EXAMPLE = 10
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_BASE64_IMAGE_LENGTH = len("data:image/jpeg;base64,") + 4 * MAX_IMAGE_BYTES // 3
IMAGE_PREFIXES = tuple(f"data:image/{kind};base64," for kind in ("jpeg", "png", "webp"))
PART_TYPES = ("text", "image_url")


@dataclass(slots=True)
class ContentFacts:
    """What one content value was: a list of parts (`parts`) and how many images it holds."""

    parts: bool = False
    images: int = 0


def check_content(
    content: Any,
    *,
    role: str,
    label: str,
    line: int,
    index: int | None,
    problems: list[Problem],
) -> ContentFacts:
    """Check one content value (`label` names it: "message 2 (user)", "'prompt'"); a string,
    or a list of text and image parts with images only where `role` is `user`."""
    facts = ContentFacts()
    if type(content) is str:
        if not content:
            problems.append(warning("empty_content", f"{label} has empty content", line, index))
        return facts
    if not isinstance(content, list):
        problems.append(
            error(
                "invalid_content_part",
                f"{label} has content that is a JSON {json_type(content)}; Together takes a "
                "string, or a list of text and image parts",
                line,
                index,
            )
        )
        return facts
    facts.parts = True
    if not content:
        problems.append(
            error(
                "missing_content",
                f"{label} has an empty content list; give it text",
                line,
                index,
            )
        )
        return facts
    for part_index, part in enumerate(content):
        issue = _part_issue(part, role)
        if issue is not None:
            problems.append(
                error(
                    "invalid_content_part",
                    f"{label} content part {part_index}: {issue}",
                    line,
                    index,
                )
            )
        elif part.get("type") == "image_url":
            facts.images += 1
    return facts


def _part_issue(part: Any, role: str) -> str | None:
    if not isinstance(part, dict):
        return f"is a JSON {json_type(part)}, not an object with a 'type'"
    kind = part.get("type")
    if kind not in PART_TYPES:
        return f"type {short_json(kind)}; Together takes 'text' and 'image_url' parts"
    if kind == "text":
        if not isinstance(part.get("text"), str):
            return "a 'text' part needs a string 'text'"
        return None
    if role != "user":
        return "only user messages may hold images on Together"
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, dict) else None
    if not isinstance(url, str):
        return "an 'image_url' part needs 'image_url': {'url': 'data:image/...;base64,...'}"
    if not url.startswith(IMAGE_PREFIXES):
        return (
            f"the image {short_json(url[:60])} is not a base64 JPEG, PNG or WEBP data URL; "
            "Together takes no links: download the image and embed it as "
            "data:image/jpeg;base64,..."
        )
    if len(url) > MAX_BASE64_IMAGE_LENGTH:
        size = (len(url) * 3 // 4) / (1024 * 1024)
        return f"the image is about {size:,.1f} MB; Together takes images of at most 10 MB"
    return None
