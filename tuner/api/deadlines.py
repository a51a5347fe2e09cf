"""The dates a user of OpenAI fine-tuning must see: when new jobs close, when models retire.

Three deadlines matter and no screen of the service shows them together: OpenAI stops taking new
fine-tuning jobs for everyone on 2027-01-06 (`OPENAI_FINE_TUNING_CLOSES`); each fine-tuned model
serves only until its base model retires (the catalog's `shutdown` dates, which a user can
update in settings.toml); and the data sits on a service they will leave (`tuner backup`).

The closing date is OpenAI's own platform's. It applies to an OpenAI-shaped profile training an
OpenAI model: the API itself, or a gateway that forwards to it. Azure OpenAI keeps fine-tuning,
and Together trains its own models, so neither is told about it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal

from tuner.data.catalog.lookup import OPENAI_FINE_TUNING_CLOSES
from tuner.data.wording import plural

if TYPE_CHECKING:
    from tuner.config.service_facts import ServiceFacts
    from tuner.data.catalog.lookup import Catalog

# A retirement this close is marked wherever the model is shown.
NEAR_DAYS = 30
MOVE_HINT = "tuner migrate moves a job's data and settings to another service"

# How OpenAI's own model names begin: a model named otherwise, on an OpenAI-shaped host, is not
# OpenAI's (a compatible host serving open models), and OpenAI's closing does not concern it.
OPENAI_MODEL_PREFIXES = ("gpt-", "o1", "o3", "o4", "davinci", "babbage")

Urgency = Literal["past", "near", "later"]


def days_until(day: date, today: date) -> int:
    return (day - today).days


def closes_for(facts: ServiceFacts, model: str | None = None) -> bool:
    """Whether OpenAI's closing applies to a profile of a service with `facts` training
    `model`: a service it applies to (OpenAI, or a gateway in front of it), and an OpenAI
    model when one is named (a compatible host serving open models is not closing)."""
    if not facts.openai_closing:
        return False
    if model is None:
        return True
    return model.removeprefix("ft:").startswith(OPENAI_MODEL_PREFIXES)


def jobs_closing_note(today: date) -> str:
    """One line for the new-job form, the jobs list and `tuner jobs create` on OpenAI."""
    days = days_until(OPENAI_FINE_TUNING_CLOSES, today)
    closes = f"{OPENAI_FINE_TUNING_CLOSES:%Y-%m-%d}"
    if days > 1:
        return f"OpenAI stops taking new fine-tuning jobs on {closes}: {days} days left"
    if days == 1:
        return f"OpenAI stops taking new fine-tuning jobs on {closes}: today is the last day"
    return (
        f"OpenAI stopped taking new fine-tuning jobs on {closes}: a new job here is refused; "
        f"fine-tuned models serve until their base model retires, and {MOVE_HINT}"
    )


def jobs_closed(today: date) -> bool:
    return today >= OPENAI_FINE_TUNING_CLOSES


@dataclass(frozen=True, slots=True)
class Retirement:
    """When a model (or the base of a fine-tuned one) stops serving, as tuner's catalog says."""

    base: str
    on: date
    days: int  # from today; negative once past

    @property
    def urgency(self) -> Urgency:
        if self.days <= 0:
            return "past"
        return "near" if self.days <= NEAR_DAYS else "later"

    def words(self, *, fine_tuned: bool = True) -> str:
        """For a fine-tune, what its user must plan around: `stops answering in 38 days
        (2027-01-14)`, `stops answering today (...)`, `stopped answering 2026-10-23`. For a
        base model itself: `retired 2026-10-23`, `retires 2026-12-01 (in 2 days)`, `retires
        2027-06-01`."""
        when = f"{self.on:%Y-%m-%d}"
        if fine_tuned:
            if self.days < 0:
                return f"stopped answering {when}"
            if self.days == 0:
                return f"stops answering today ({when})"
            return f"stops answering in {plural(self.days, 'day')} ({when})"
        if self.urgency == "past":
            return f"retired {when}"
        if self.urgency == "near":
            return f"retires {when} (in {plural(self.days, 'day')})"
        return f"retires {when}"

    def when(self) -> str:
        """The short form a table cell has room for: `in 38 days`, `today`, `2026-10-23`."""
        if self.days < 0:
            return f"{self.on:%Y-%m-%d}"
        return "today" if self.days == 0 else f"in {plural(self.days, 'day')}"


def retirement(
    model: str, catalog: Catalog, today: date, dates: Mapping[str, date] | None = None
) -> Retirement | None:
    """When `model` (a base, or a fine-tune of one) stops answering. The service's own model
    list (`dates`, by model id: `FineTuningService.shutdown_dates`) wins where it names the
    model or its base; else the catalog of the profile's service (OpenAI's and Azure's dates
    differ for the same model). None when neither knows a date."""
    info = catalog.resolve(model).info
    base = info.id if info is not None else model
    known = dates or {}
    on = known.get(model) or known.get(base) or (info.shutdown if info is not None else None)
    if on is None:
        return None
    return Retirement(base, on, days_until(on, today))


def stopping_soon(retirements: Iterable[Retirement]) -> str | None:
    """The jobs screen's warning when fine-tunes of the profile stop answering within
    `NEAR_DAYS`: how many, when (the first day), and the keys that help; None otherwise.
    Each item is one fine-tune's retirement."""
    near = [r for r in retirements if 0 <= r.days <= NEAR_DAYS]
    if not near:
        return None
    first = min(near, key=lambda r: r.days)
    count = plural(len(near), "fine-tune")
    verb = "stops" if len(near) == 1 else "stop"
    when = "today" if first.days == 0 else f"in {plural(first.days, 'day')}"
    return (
        f"{count} {verb} answering {when} ({first.on:%Y-%m-%d}): "
        "b back up · r record its answers · m move it"
    )
