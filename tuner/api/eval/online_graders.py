"""The graders that need a service: a judge model's rating, a judge's pairwise preference, and the
cosine of two embeddings.

Their requests go through the same `ask` / `paced` as the evaluated models' (reply cache, 429
pacing, retries), so re-grading a finished run asks the judge nothing again either. The judge
asks for structured output where its service has it (`Capabilities.structured_output`); a
service that refuses the response format once is asked without it from then on, and the lenient
parser (`tuner.data.eval.judge`) reads the JSON out of its prose. An answer it cannot read is
"judge failed" (no score), never a zero. Pairwise asks both orders (the first model's reply as A,
then as B) and counts a win only when both agree, which cancels a judge's taste for position.

What the judge and the embedder cost is kept in `Spend`, apart from the evaluated models'.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tuner.api.chat.request import ChatRequest
from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.eval.asking import Answer, ask, paced
from tuner.api.eval.pacing import AdaptiveLimit
from tuner.api.eval.reply_cache import CachedReply, reply_key
from tuner.data.chat_cost import price_turn
from tuner.data.eval.graders import Score, cosine
from tuner.data.eval.judge import (
    PairOutcome,
    combine_verdicts,
    judge_messages,
    judge_response_format,
    pairwise_messages,
    pairwise_response_format,
    parse_judgement,
    parse_preference,
)

if TYPE_CHECKING:
    from tuner.api.eval.reply_cache import ReplyCache
    from tuner.api.eval.targets import EvalTarget
    from tuner.data.eval.examples import EvalExample

# Words in a refusal that say the service does not take the response format.
_FORMAT_WORDS = ("response_format", "json_schema", "structured")


@dataclass
class Spend:
    """Requests, tokens and dollars of one helper model (the judge or the embedder)."""

    requests: int = 0
    cached: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    dollars: float = 0.0
    unpriced: int = 0

    def add(self, target: EvalTarget, answer: Answer) -> None:
        self.requests += 1
        if answer.cached:
            self.cached += 1
            return
        self.tokens_in += answer.prompt_tokens or 0
        self.tokens_out += answer.completion_tokens or 0
        cost = price_turn(
            target.catalog, target.model, answer.prompt_tokens, answer.completion_tokens
        ).dollars
        if cost is None:
            self.unpriced += 1
        else:
            self.dollars += cost


@dataclass
class Judge:
    """A model that rates replies (`rate`) and picks the better of two (`prefer`)."""

    target: EvalTarget
    cache: ReplyCache | None
    limit: AdaptiveLimit
    rubric: str | None = None
    spend: Spend = field(default_factory=Spend)

    def __post_init__(self) -> None:
        self.structured = self.target.service.capabilities.structured_output

    async def _ask(self, messages: list[dict[str, str]], response_format: dict) -> Answer:
        while True:
            request = ChatRequest(
                self.target.model,
                messages,
                temperature=0,
                response_format=response_format if self.structured else None,
            )
            try:
                answer = await ask(
                    self.target.service,
                    request,
                    service_id=self.target.service_id,
                    limit=self.limit,
                    cache=self.cache,
                )
            except ServiceError as error:
                refused_format = error.kind is ErrorKind.INVALID_REQUEST and any(
                    word in error.message.lower() for word in _FORMAT_WORDS
                )
                if self.structured and refused_format:
                    self.structured = False  # from now on, JSON in prose
                    continue
                raise
            self.spend.add(self.target, answer)
            return answer

    async def rate(self, example: EvalExample, reply: str) -> Score:
        """The judge's rating of `reply` against the example's reference, in 0..1; a missing
        score (with why) when it has no reference or its answer cannot be read."""
        if example.reference is None:
            return Score.missing("no reference")
        messages = judge_messages(example.prompt, example.reference, reply, self.rubric)
        try:
            answer = await self._ask(messages, judge_response_format())
        except ServiceError as error:
            return Score.missing(f"judge failed: {error.message}")
        judgement = parse_judgement(answer.text)
        if judgement.score is None:
            return Score.missing(judgement.failure or "judge failed")
        return Score(judgement.score)

    async def prefer(
        self, example: EvalExample, first: str, other: str
    ) -> tuple[PairOutcome | None, str | None]:
        """The first model's outcome against the other on this example, asked in both orders;
        (None, why) when either answer could not be read."""
        reference = example.reference
        try:
            as_a = await self._ask(
                pairwise_messages(example.prompt, reference, first, other, self.rubric),
                pairwise_response_format(),
            )
            as_b = await self._ask(
                pairwise_messages(example.prompt, reference, other, first, self.rubric),
                pairwise_response_format(),
            )
        except ServiceError as error:
            return None, f"judge failed: {error.message}"
        one, two = parse_preference(as_a.text), parse_preference(as_b.text)
        outcome = combine_verdicts(one, two)
        if outcome is None:
            return None, one.failure or two.failure or "judge failed"
        return outcome, None


@dataclass
class Embedder:
    """A model that embeds texts for the `cosine` grader; each text's vector is cached."""

    target: EvalTarget
    cache: ReplyCache | None
    limit: AdaptiveLimit
    spend: Spend = field(default_factory=Spend)
    # Set by the first refusal no retry can change (not an embeddings model, say): every later
    # example is left ungraded with this reason instead of asking again.
    broken: str | None = None

    def _key(self, text: str) -> str:
        message = [{"role": "input", "content": text}]
        return reply_key(self.target.service_id, self.target.model, message, {"embeddings": 1})

    async def vector(self, text: str) -> tuple[float, ...]:
        key = self._key(text)
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            self.spend.requests += 1
            self.spend.cached += 1
            return tuple(json.loads(hit.text))
        service, model = self.target.service, self.target.model
        answer, latency = await paced(self.limit, lambda: service.embed(model, [text]))
        vector = answer.vectors[0]
        tokens = answer.prompt_tokens
        self.spend.add(self.target, Answer("", tokens, 0, latency))
        if self.cache is not None:
            self.cache.put(key, CachedReply(json.dumps(vector), tokens, 0, latency))
        return vector

    async def cosine(self, example: EvalExample, reply: str) -> Score:
        """The cosine of the reply's and the reference's embeddings (0..1)."""
        if example.reference is None:
            return Score.missing("no reference")
        if self.broken is not None:
            return Score.missing(self.broken)
        try:
            ours = await self.vector(reply)
            theirs = await self.vector(example.reference)
            return Score(cosine(ours, theirs))
        except ServiceError as error:
            why = f"no embedding: {error.message}"
            if not error.retryable:
                self.broken = why
            return Score.missing(why)
        except ValueError as error:
            return Score.missing(f"no embedding: {error}")
