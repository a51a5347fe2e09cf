"""What an evaluation will ask, and what that will cost, before anything is asked.

An evaluation of a held-out file on two models and a judge is a few thousand requests: the user
sees the requests, tokens and dollars per model and for the judge first, and confirms (or
`--max-cost` refuses). Prompt tokens are counted exactly with the model's encoding where tuner
knows it; a reply's length cannot be known before it is written, so it is estimated from the
reference's (the answer the model is expected to give), which is labelled as an estimate.
Requests the reply cache already answers cost nothing and are counted apart, so a re-grade of a
finished run shows $0 and asks nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tuner.api.chat.request import ChatRequest
from tuner.api.eval.asking import request_key
from tuner.data.chat_cost import price_turn
from tuner.data.eval.graders import GraderKind, GraderSpec
from tuner.data.eval.judge import (
    judge_messages,
    judge_response_format,
    pairwise_messages,
    pairwise_response_format,
)
from tuner.data.visible_text import visible_line
from tuner.data.wording import plural

if TYPE_CHECKING:
    from tuner.api.eval.reply_cache import ReplyCache
    from tuner.api.eval.targets import EvalTarget
    from tuner.data.eval.examples import EvalExample
    from tuner.data.tokens.count import TokenCounter

# A reply's length when the example has no reference to estimate it from.
UNKNOWN_REPLY_TOKENS = 256
# What a judge writes: a score or a winner and a sentence of reason.
JUDGE_REPLY_TOKENS = 60


@dataclass(frozen=True, slots=True)
class EvalPlan:
    """Everything a run asks: the examples, the models (the first is the baseline), the graders,
    and the judge and embedder models when a grader needs one. Replies are asked at
    `temperature` (0 by default: an evaluation should measure the model, not the dice)."""

    examples: tuple[EvalExample, ...]
    targets: tuple[EvalTarget, ...]
    graders: tuple[GraderSpec, ...]
    judge: EvalTarget | None = None
    embedder: EvalTarget | None = None
    rubric: str | None = None
    temperature: float | None = 0.0
    max_tokens: int | None = None

    def request(self, target: EvalTarget, example: EvalExample) -> ChatRequest:
        """The chat request that asks `target` for `example`'s reply."""
        return ChatRequest(
            target.model,
            [dict(message) for message in example.prompt],
            temperature=self.temperature,
            max_tokens=self.max_tokens,
        )

    def uses(self, kind: GraderKind) -> bool:
        return any(spec.kind is kind for spec in self.graders)

    def params(self) -> dict[str, Any]:
        """The sampling parameters every reply is asked with (for the run's record)."""
        return {
            name: value
            for name, value in (("temperature", self.temperature), ("max_tokens", self.max_tokens))
            if value is not None
        }


@dataclass(frozen=True, slots=True)
class CostLine:
    """One model's part of a run: `requests` in all, `cached` of them answered from the cache
    (free), and the tokens and dollars of the rest (`dollars` None: the price is not known)."""

    role: str  # "model", "judge", "embeddings"
    label: str
    requests: int
    cached: int
    tokens_in: int
    tokens_out: int
    dollars: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "model": self.label,
            "requests": self.requests,
            "cached": self.cached,
            "tokens_in": self.tokens_in,
            "tokens_out_estimated": self.tokens_out,
            "dollars": self.dollars,
        }


@dataclass(frozen=True, slots=True)
class EvalEstimate:
    """The cost of a run before it starts."""

    lines: tuple[CostLine, ...]

    @property
    def dollars(self) -> float:
        """The known part of the total, in US dollars."""
        return sum(line.dollars or 0.0 for line in self.lines)

    @property
    def unpriced(self) -> tuple[str, ...]:
        """Models with requests to pay for whose price tuner does not know."""
        return tuple(
            line.label
            for line in self.lines
            if line.dollars is None and line.requests > line.cached
        )

    @property
    def to_pay(self) -> bool:
        """Whether anything at all will be asked of a service (nothing is when all is cached)."""
        return any(line.requests > line.cached for line in self.lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "lines": [line.to_json() for line in self.lines],
            "dollars": round(self.dollars, 6),
            "unpriced": list(self.unpriced),
        }


def estimate_lines(estimate: EvalEstimate, names: Mapping[str, str] | None = None) -> list[str]:
    """The estimate as `tuner eval` prints it and the Eval screen shows it, a line per model:
    its role, requests (cached), tokens in and out, dollars; then the total. Model labels pass
    through `visible_line`; `names` gives shorter ones for some (the screen's A, B, …)."""
    names = names or {}
    lines = []
    for item in estimate.lines:
        cached = f" ({item.cached:,} cached)" if item.cached else ""
        money = "price unknown" if item.dollars is None else f"${item.dollars:,.4f}"
        name = names.get(item.label) or visible_line(item.label)
        lines.append(
            f"{item.role:<10} {name}: {plural(item.requests, 'request')}{cached}, "
            f"{item.tokens_in:,} tokens in, ~{item.tokens_out:,} out, {money}"
        )
    total = f"${estimate.dollars:,.4f}"
    if estimate.unpriced:
        total += " + the unpriced models"
    lines.append(f"estimated cost: {total}" if estimate.to_pay else "nothing to pay: all cached")
    return lines


class _Tally:
    def __init__(self, role: str, target: EvalTarget) -> None:
        from tuner.data.tokens.count import counter_for_model

        self.role, self.target = role, target
        self.counter: TokenCounter = counter_for_model(target.model, target.catalog)[0]
        self.requests = self.cached = self.tokens_in = self.tokens_out = 0

    def add(self, messages: Sequence[Any], reply_tokens: int, cached: bool) -> None:
        self.requests += 1
        if cached:
            self.cached += 1
            return
        self.tokens_in += self.counter.count_chat({"messages": list(messages)}).total
        self.tokens_out += reply_tokens

    def line(self) -> CostLine:
        target = self.target
        dollars = price_turn(target.catalog, target.model, self.tokens_in, self.tokens_out).dollars
        if self.requests == self.cached:
            dollars = 0.0
        return CostLine(
            self.role,
            target.label,
            self.requests,
            self.cached,
            self.tokens_in,
            self.tokens_out,
            dollars,
        )


def estimate_eval(plan: EvalPlan, cache: ReplyCache | None) -> EvalEstimate:
    """Requests, tokens and dollars per model, for the judge and for the embeddings."""
    lines: list[CostLine] = []
    replies: dict[tuple[str, str], str | None] = {}  # (label, ident) -> the cached reply
    for target in plan.targets:
        tally = _Tally("model", target)
        for example in plan.examples:
            request = plan.request(target, example)
            hit = _cached(cache, target, request)
            replies[(target.label, example.ident)] = hit
            guess = _reply_tokens(tally.counter, example.reference)
            tally.add(request.api_messages(), guess, hit is not None)
        lines.append(tally.line())
    if plan.judge is not None and (plan.uses(GraderKind.JUDGE) or plan.uses(GraderKind.PAIRWISE)):
        lines.append(_judge_line(plan, plan.judge, cache, replies).line())
    if plan.embedder is not None and plan.uses(GraderKind.COSINE):
        lines.append(_embeddings_line(plan, plan.embedder))
    return EvalEstimate(tuple(lines))


def _judge_line(
    plan: EvalPlan,
    judge: EvalTarget,
    cache: ReplyCache | None,
    replies: dict[tuple[str, str], str | None],
) -> _Tally:
    tally = _Tally("judge", judge)
    structured = judge.service.capabilities.structured_output
    baseline = plan.targets[0]
    for example in plan.examples:
        reference = example.reference
        guess = reference if reference is not None else ""
        for target in plan.targets:
            reply = replies.get((target.label, example.ident))
            shown = reply if reply is not None else guess
            if plan.uses(GraderKind.JUDGE) and reference is not None:
                messages = judge_messages(example.prompt, reference, shown, plan.rubric)
                fmt = judge_response_format() if structured else None
                hit = reply is not None and _cached_judge(cache, judge, messages, fmt)
                tally.add(messages, JUDGE_REPLY_TOKENS, hit)
            if plan.uses(GraderKind.PAIRWISE) and target is not baseline:
                first = replies.get((baseline.label, example.ident))
                first_shown = first if first is not None else guess
                fmt = pairwise_response_format() if structured else None
                for a, b in ((first_shown, shown), (shown, first_shown)):
                    messages = pairwise_messages(example.prompt, reference, a, b, plan.rubric)
                    known = reply is not None and first is not None
                    hit = known and _cached_judge(cache, judge, messages, fmt)
                    tally.add(messages, JUDGE_REPLY_TOKENS, hit)
    return tally


def _embeddings_line(plan: EvalPlan, embedder: EvalTarget) -> CostLine:
    from tuner.data.tokens.count import counter_for_model

    counter = counter_for_model(embedder.model, embedder.catalog)[0]
    requests = tokens = 0
    for example in plan.examples:
        if example.reference is None:
            continue
        reference_tokens = counter.count_text(example.reference)
        # The reference once, and each model's reply (about as long as the reference).
        requests += 1 + len(plan.targets)
        tokens += reference_tokens * (1 + len(plan.targets))
    dollars = price_turn(embedder.catalog, embedder.model, tokens, 0).dollars
    return CostLine("embeddings", embedder.label, requests, 0, tokens, 0, dollars)


def _cached(cache: ReplyCache | None, target: EvalTarget, request: ChatRequest) -> str | None:
    if cache is None:
        return None
    hit = cache.get(request_key(target.service_id, request))
    return hit.text if hit is not None else None


def _cached_judge(
    cache: ReplyCache | None,
    judge: EvalTarget,
    messages: list[dict[str, str]],
    response_format: dict[str, Any] | None,
) -> bool:
    request = ChatRequest(judge.model, messages, temperature=0, response_format=response_format)
    return _cached(cache, judge, request) is not None


def _reply_tokens(counter: TokenCounter, reference: str | None) -> int:
    if reference is None:
        return UNKNOWN_REPLY_TOKENS
    return counter.count_text(reference)
