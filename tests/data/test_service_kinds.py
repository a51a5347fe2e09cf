"""Service kinds: which rule set each profile kind uses and how a report names it."""

from __future__ import annotations

import pytest

from tuner.data.service_kinds import (
    SERVICE_KINDS,
    UnknownService,
    rules_family,
    rules_label,
    service_name,
)


def test_the_kinds_are_the_settings_profile_kinds() -> None:
    from tuner.config import KINDS

    assert SERVICE_KINDS == KINDS


@pytest.mark.parametrize(
    ("kind", "family", "label", "name"),
    [
        ("openai", "openai", "OpenAI rules", "OpenAI"),
        ("azure", "openai", "OpenAI rules (Azure OpenAI)", "Azure OpenAI"),
        ("together", "together", "Together AI rules", "Together AI"),
    ],
)
def test_each_kind(kind: str, family: str, label: str, name: str) -> None:
    assert (rules_family(kind), rules_label(kind), service_name(kind)) == (family, label, name)


@pytest.mark.parametrize("kind", ["mistral", "", "OpenAI"])
def test_an_unknown_kind_names_the_known_ones(kind: str) -> None:
    with pytest.raises(UnknownService, match="it knows openai, azure, together"):
        rules_label(kind)
