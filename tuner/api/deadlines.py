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

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal

from tuner.data.catalog import OPENAI_FINE_TUNING_CLOSES
from tuner.data.wording import plural

if TYPE_CHECKING:
    from tuner.data.catalog import Catalog

# A retirement this close is marked wherever the model is shown.
NEAR_DAYS = 30
MOVE_HINT = "tuner migrate moves a job's data and settings to another service"

Urgency = Literal["past", "near", "later"]


def days_until(day: date, today: date) -> int:
    return (day - today).days


def closes_for(kind: str, model: str | None = None) -> bool:
    """Whether OpenAI's closing applies to a profile of `kind` training `model`: an OpenAI-
    shaped profile (OpenAI, or a gateway in front of it), and an OpenAI model when one is
    named (a compatible host serving open models is not closing)."""
    if kind != "openai":
        return False
    if model is None:
        return True
    base = model.removeprefix("ft:")
    return base.startswith(("gpt-", "o1", "o3", "o4", "davinci", "babbage"))


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
        """`base retired 2026-10-23`, `base retires 2026-12-01 (in 2 days)`,
        `base retires 2027-06-01`; without "base" for a base model itself."""
        who = "base " if fine_tuned else ""
        when = f"{self.on:%Y-%m-%d}"
        if self.urgency == "past":
            return f"{who}retired {when}"
        if self.urgency == "near":
            return f"{who}retires {when} (in {plural(self.days, 'day')})"
        return f"{who}retires {when}"


def retirement(model: str, catalog: Catalog, today: date) -> Retirement | None:
    """The retirement of `model`'s base model, when the catalog knows its date."""
    info = catalog.resolve(model).info
    if info is None or info.shutdown is None:
        return None
    return Retirement(info.id, info.shutdown, days_until(info.shutdown, today))
