"""Together's rules for content parts and images: where, what kind, how big, how many."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest

from tuner.data.rules.check import check_example
from tuner.data.rules.problems import Problem, Severity
from tuner.data.rules.together_content import MAX_BASE64_IMAGE_LENGTH, MAX_IMAGES_PER_EXAMPLE

E = Severity.ERROR
PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG fake image bytes").decode()


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def image(url: str = PNG) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url}}


def vision(user_parts: list[Any], **assistant: Any) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": [text("Describe images.")]},
            {"role": "user", "content": user_parts},
            {"role": "assistant", "content": [text("A cat.")], **assistant},
        ]
    }


def problems(obj: Any) -> list[Problem]:
    return check_example(orjson.dumps(obj), 9, "together").problems


def only(obj: Any, code: str) -> Problem:
    found = [p for p in problems(obj) if p.code == code]
    assert len(found) == 1, [p.code for p in problems(obj)]
    assert found[0].line == 9 and found[0].severity is E
    return found[0]


def test_a_vision_example_passes() -> None:
    assert problems(vision([text("What is this?"), image()])) == []


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("https://example.com/cat.png", "Together takes no links"),
        ("data:image/gif;base64,R0lGOD", "not a base64 JPEG, PNG or WEBP"),
    ],
)
def test_images_are_embedded_jpeg_png_or_webp(url: str, fragment: str) -> None:
    problem = only(vision([image(url)]), "invalid_content_part")
    assert problem.message_index == 1 and fragment in problem.message


def test_an_image_of_more_than_10_mb() -> None:
    url = "data:image/jpeg;base64," + "A" * MAX_BASE64_IMAGE_LENGTH
    assert "at most 10 MB" in only(vision([image(url)]), "invalid_content_part").message


def test_only_users_send_images() -> None:
    obj = vision([image()])
    obj["messages"][2]["content"] = [text("See:"), image()]
    problem = only(obj, "invalid_content_part")
    assert problem.message_index == 2 and "only user messages" in problem.message


def test_at_most_ten_images_per_example() -> None:
    assert problems(vision([image()] * MAX_IMAGES_PER_EXAMPLE)) == []
    only(vision([image()] * (MAX_IMAGES_PER_EXAMPLE + 1)), "too_many_images")


@pytest.mark.parametrize(
    ("part", "fragment"),
    [
        ({"type": "audio", "audio": {}}, "takes 'text' and 'image_url' parts"),
        ({"type": "text", "text": 5}, "needs a string 'text'"),
        ({"type": "image_url", "image_url": "x"}, "needs 'image_url'"),
        ("bare string", "not an object"),
    ],
)
def test_part_shapes(part: Any, fragment: str) -> None:
    problem = only(vision([image(), part]), "invalid_content_part")
    assert fragment in problem.message


def test_a_message_with_an_image_is_not_trained() -> None:
    obj = vision([image()])
    obj["messages"][1]["weight"] = 1
    assert "give it weight 0" in only(obj, "invalid_weight").message
    obj["messages"][1]["weight"] = 0
    # the unweighted system message is then trained: said, not refused
    assert [(p.code, p.message_index) for p in problems(obj)] == [("inputs_trained", 0)]


def test_part_lists_and_plain_text_do_not_mix() -> None:
    obj = vision([image()])
    obj["messages"][2]["content"] = "A cat."
    only(obj, "mixed_content_kinds")


def test_part_lists_are_for_examples_with_images() -> None:
    only(vision([text("Just text.")]), "parts_without_image")


def test_an_empty_part_list() -> None:
    assert "empty content list" in only(vision([]), "missing_content").message
