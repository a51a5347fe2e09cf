"""Which service's rules a file is checked against, and how that is said to the user.

A settings profile has a kind (`openai`, `azure`, `together`). Azure OpenAI runs OpenAI's
fine-tuning API, so it takes OpenAI's data rules and model table; Together AI has rules and models
of its own. Every data tool that depends on the service (the validator, the catalog, the token
counter) takes one of these names, so the switch is made once, by the caller, from the profile.
"""

from __future__ import annotations

OPENAI = "openai"
AZURE = "azure"
TOGETHER = "together"

SERVICE_KINDS: tuple[str, ...] = (OPENAI, AZURE, TOGETHER)

# What a report says it checked against: people know the service by its name, not its kind.
_RULES_LABELS = {
    OPENAI: "OpenAI rules",
    AZURE: "OpenAI rules (Azure OpenAI)",
    TOGETHER: "Together AI rules",
}
_SERVICE_NAMES = {OPENAI: "OpenAI", AZURE: "Azure OpenAI", TOGETHER: "Together AI"}


class UnknownService(ValueError):
    """A service kind tuner has no rules for; the message names the kinds it has."""


def rules_family(service: str) -> str:
    """The rule set and model table `service` uses: `openai` (OpenAI and Azure) or `together`.

    Raises `UnknownService` for anything else: checking a file against the wrong service's rules
    would pass files that service refuses.
    """
    if service in (OPENAI, AZURE):
        return OPENAI
    if service == TOGETHER:
        return TOGETHER
    raise UnknownService(
        f"tuner has no data rules for the service {service!r}; it knows " + ", ".join(SERVICE_KINDS)
    )


def rules_label(service: str) -> str:
    """`OpenAI rules`, `OpenAI rules (Azure OpenAI)` or `Together AI rules`."""
    rules_family(service)
    return _RULES_LABELS[service]


def service_name(service: str) -> str:
    """The service as people call it: `OpenAI`, `Azure OpenAI`, `Together AI`."""
    rules_family(service)
    return _SERVICE_NAMES[service]
