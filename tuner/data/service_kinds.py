"""Which service's rules a file is checked against, and how that is said to the user.

A settings profile has a kind (`openai`, `azure`, `together`). Azure OpenAI runs OpenAI's
fine-tuning API, so it takes OpenAI's data rules and model table; Together AI has rules and models
of its own. Every data tool that depends on the service (the validator, the catalog, the token
counter) takes the kind and asks its facts (`tuner.config.service_facts`), the one table of what
differs between services; these are the data layer's names for them.
"""

from __future__ import annotations

from tuner.config.service_facts import (
    SERVICE_FACTS,
    ModelTable,
    RulesFamily,
    ServiceFacts,
    UnknownService,
    facts_for,
)

OPENAI = "openai"
AZURE = "azure"
TOGETHER = "together"

SERVICE_KINDS: tuple[str, ...] = tuple(SERVICE_FACTS)

__all__ = [
    "AZURE",
    "OPENAI",
    "SERVICE_KINDS",
    "TOGETHER",
    "ModelTable",
    "RulesFamily",
    "ServiceFacts",
    "UnknownService",
    "facts_for",
    "rules_family",
    "rules_label",
    "service_name",
]


def rules_family(service: str) -> RulesFamily:
    """The rule set and model table `service` uses: OpenAI's (OpenAI and Azure) or Together's.

    Raises `UnknownService` for anything else: checking a file against the wrong service's rules
    would pass files that service refuses.
    """
    return facts_for(service).rules


def rules_label(service: str) -> str:
    """`OpenAI rules`, `OpenAI rules (Azure OpenAI)` or `Together AI rules`."""
    return facts_for(service).rules_label


def service_name(service: str) -> str:
    """The service as people call it: `OpenAI`, `Azure OpenAI`, `Together AI`."""
    return facts_for(service).name
