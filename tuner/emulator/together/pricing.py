"""What a job costs and how many tokens it trains, under the emulator's price assumption.

Tokens are estimated as characters / 4 per non-blank line (the same estimate the emulator's
chat replies use); prices come from `catalog.PRICE_BANDS`. The same figures answer
`POST /fine-tunes/estimate-price` and fill a job's `token_count` and `total_price`, so an
estimate and the job it precedes agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..chat import approx_tokens
from . import catalog
from .store import TogetherState

NANODOLLARS = 1_000_000_000


@dataclass(frozen=True)
class Estimate:
    train_tokens: int  # tokens trained over all epochs
    eval_tokens: int  # tokens evaluated over all evaluations
    dollars: float

    @property
    def nanodollars(self) -> int:
        """`total_price` on a job is an integer count of nano-dollars."""
        return round(self.dollars * NANODOLLARS)


def file_tokens(state: TogetherState, file_id: str | None) -> tuple[int, int]:
    """(examples, approximate tokens) of a stored file; (0, 0) for none."""
    stored = state.files.get(file_id) if file_id else None
    if stored is None:
        return 0, 0
    lines = [line for line in stored.read().splitlines() if line.strip()]
    return len(lines), sum(approx_tokens(line.decode("utf-8", "replace")) for line in lines)


def estimate(
    state: TogetherState,
    model: catalog.TogetherModel,
    training_file: str,
    validation_file: str | None,
    n_epochs: int,
    n_evals: int,
    *,
    full: bool,
    dpo: bool,
) -> Estimate:
    """Trained and evaluated tokens and their price. Evaluations are billed as training."""
    _, train = file_tokens(state, training_file)
    _, valid = file_tokens(state, validation_file)
    train_tokens = train * n_epochs
    eval_tokens = valid * n_evals
    price = (train_tokens + eval_tokens) * model.price_per_token(full, dpo)
    return Estimate(train_tokens, eval_tokens, round(price, 6))
