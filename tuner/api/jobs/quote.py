"""A service's own price for a job before it starts, and its refusal, said one way.

Together prices a job before it starts (`estimate_price`) and says whether the account may
start it at all. The new-job form, `tuner jobs create` and `tuner migrate` ask at the same
point (after the upload, which the price needs, before the create) and refuse in the same
words; each adds what it leaves behind (the files it uploaded).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tuner.api.errors import ErrorKind, ServiceError

if TYPE_CHECKING:
    from tuner.api.jobs.spec import JobSpec
    from tuner.api.service import FineTuningService
    from tuner.api.types import PriceEstimate


class QuoteRefused(ServiceError):
    """The service priced the job and will not start it (over the account's limit, say)."""

    def __init__(self, service_name: str, quote: PriceEstimate) -> None:
        reason = quote.note or "over the account's limit"
        super().__init__(
            ErrorKind.INVALID_REQUEST,
            f"{service_name} would not start this job: {reason} "
            f"(its estimate: ${quote.dollars:,.2f})",
        )
        self.quote = quote


async def service_quote(service: FineTuningService, spec: JobSpec) -> PriceEstimate | None:
    """The service's own price for `spec` where it prices jobs before they start (None where
    it does not). Raises `QuoteRefused` when it would not start the job."""
    if not service.capabilities.price_estimate:
        return None
    quote = await service.estimate_price(spec)
    if quote is not None and not quote.allowed:
        raise QuoteRefused(service.capabilities.service, quote)
    return quote
