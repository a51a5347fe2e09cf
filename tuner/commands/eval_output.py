"""What `tuner eval` and `tuner eval record` tell the person at the terminal around a run: the
estimate and the yes it waits for, the progress line, what the judge cost.

Kept apart from the commands' arguments and steps (`tuner.commands.eval`) because this is the
part that talks to a terminal: it decides whether to ask (stdin a terminal), redraws one stderr
line in place, and words money. Names and labels from the user or a service go through
`visible_line`.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, TextIO

from tuner.data.visible_text import visible_line

if TYPE_CHECKING:
    from tuner.api.eval.plan import EvalEstimate
    from tuner.api.eval.run import RunTotals


def confirm_cost(args: argparse.Namespace, estimate: EvalEstimate, command: str) -> int | None:
    """Show the estimate on stderr; None to go on, else the exit code of a refusal (above
    `--max-cost`, a price unknown under `--max-cost`, no `--yes` off a terminal, a no)."""
    from tuner.api.eval.plan import estimate_lines

    for line in estimate_lines(estimate):
        print(line, file=sys.stderr)
    if not estimate.to_pay:
        return None
    if args.max_cost is not None:
        if estimate.unpriced:
            names = ", ".join(visible_line(name) for name in estimate.unpriced)
            print(
                f"tuner {command}: the price of {names} is not known, so --max-cost "
                f"{args.max_cost:g} cannot be checked; set its price in settings.toml",
                file=sys.stderr,
            )
            return 1
        if estimate.dollars > args.max_cost:
            print(
                f"tuner {command}: estimated ${estimate.dollars:,.4f} is above --max-cost "
                f"${args.max_cost:g}; nothing was asked",
                file=sys.stderr,
            )
            return 1
    if args.yes:
        return None
    if not sys.stdin.isatty():
        print(
            f"tuner {command}: add --yes to run without asking (nothing was asked)", file=sys.stderr
        )
        return 1
    answer = input("Run it? [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        print(f"tuner {command}: not run", file=sys.stderr)
        return 1
    return None


class ProgressLine:
    """`model 34/60 · model 30/60 · 2 failed` on one terminal line, redrawn in place."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.shown = 0

    def __call__(self, totals: RunTotals) -> None:
        parts = []
        for progress in totals.models.values():
            failed = f" ({progress.failed} failed)" if progress.failed else ""
            name = visible_line(progress.label.split("@")[0])[-24:]
            parts.append(f"{name} {progress.done}/{progress.total}{failed}")
        text = " · ".join(parts)
        self.stream.write("\r" + text.ljust(self.shown))
        self.shown = len(text)
        self.stream.flush()

    def end(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def judge_spend(totals: RunTotals) -> str:
    """`N requests (M cached), $X`: what the judge cost, after the scores."""
    spend = totals.judge
    money = f"${spend.dollars:,.4f}" + (" + unpriced" if spend.unpriced else "")
    return f"{spend.requests:,} requests ({spend.cached:,} cached), {money}"


def spend_json(spend: Any) -> dict[str, Any]:
    """The judge's spend in `--json`."""
    return {
        "requests": spend.requests,
        "cached": spend.cached,
        "tokens_in": spend.tokens_in,
        "tokens_out": spend.tokens_out,
        "dollars": round(spend.dollars, 6),
    }
