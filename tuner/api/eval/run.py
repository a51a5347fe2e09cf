"""Running an evaluation: every example to every model, graded, written down as it is done.

Examples are taken a few at a time (`concurrency`, 8 by default); each is sent to every model at
once, so with two models eight requests per model are in flight, each model under its own
`AdaptiveLimit` (a 429 from one service slows only that service). When all models have answered
an example, the replies are graded (offline graders at once; the judge, pairwise and cosine
through their services) and one record per model is appended to `results.jsonl`. A stopped run
keeps every record it wrote, and every reply sits in the reply cache: the next run of the same
command continues at no cost for what is already done.

An example whose request keeps failing is recorded as failed, not fatal. A model that no
request can reach (no key, a wrong key, a model that does not exist or was shut down) stops the
run with `EvalAborted`: every remaining example would fail the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tuner.api.errors import ServiceError
from tuner.api.eval.asking import DEFAULT_POLICY, Answer, ModelUnusable, ask
from tuner.api.eval.online_graders import Embedder, Judge, Spend
from tuner.api.eval.pacing import AdaptiveLimit
from tuner.api.retry import RetryPolicy
from tuner.data.chat_cost import price_turn
from tuner.data.eval.graders import GraderKind, Score, grade_all
from tuner.data.eval.results import ExampleResult, append_results

if TYPE_CHECKING:
    from tuner.api.eval.plan import EvalPlan
    from tuner.api.eval.reply_cache import ReplyCache
    from tuner.api.eval.targets import EvalTarget
    from tuner.data.eval.examples import EvalExample

DEFAULT_CONCURRENCY = 8


class EvalAborted(Exception):
    """No request to `label` can succeed; `error` says why in the service's words."""

    def __init__(self, label: str, error: ServiceError) -> None:
        super().__init__(f"{label}: {error.message}")
        self.label = label
        self.error = error


@dataclass
class ModelProgress:
    """How far one model is: examples answered (`cached` of them from the cache) or failed."""

    label: str
    total: int
    answered: int = 0
    cached: int = 0
    failed: int = 0

    @property
    def done(self) -> int:
        return self.answered + self.failed


@dataclass
class RunTotals:
    """What the run did, per model, and what its judge and embedder spent."""

    models: dict[str, ModelProgress]
    judge: Spend = field(default_factory=Spend)
    embeddings: Spend = field(default_factory=Spend)


Progress = Callable[[RunTotals], None]


class EvalRunner:
    """Runs one plan. `results_path` gets a line per example and model as they are graded."""

    def __init__(
        self,
        plan: EvalPlan,
        *,
        results_path: Path,
        cache: ReplyCache | None,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_progress: Progress | None = None,
        policy: RetryPolicy = DEFAULT_POLICY,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.plan = plan
        self.results_path = results_path
        self.cache = cache
        self.concurrency = concurrency
        self.on_progress = on_progress
        self.policy = policy
        self.limits = {t.label: AdaptiveLimit(concurrency) for t in plan.targets}
        total = len(plan.examples)
        self.totals = RunTotals({t.label: ModelProgress(t.label, total) for t in plan.targets})
        self.judge = (
            Judge(plan.judge, cache, AdaptiveLimit(concurrency), plan.rubric, self.totals.judge)
            if plan.judge is not None
            else None
        )
        self.embedder = (
            Embedder(plan.embedder, cache, AdaptiveLimit(concurrency), self.totals.embeddings)
            if plan.embedder is not None and plan.uses(GraderKind.COSINE)
            else None
        )
        self.results: list[ExampleResult] = []

    async def run(self) -> list[ExampleResult]:
        """Every example through every model; the records (also appended to the file).

        Raises `EvalAborted` when a model (or the judge) cannot be reached at all."""
        self.results_path.parent.mkdir(parents=True, exist_ok=True)
        pending = iter(self.plan.examples)

        async def worker() -> None:
            for example in pending:  # shared: each example is taken by one worker
                records = await self._example(example)
                append_results(self.results_path, records)
                self.results.extend(records)
                if self.on_progress is not None:
                    self.on_progress(self.totals)

        workers = min(self.concurrency, len(self.plan.examples))
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(workers):
                    group.create_task(worker())
        except* ModelUnusable as failures:
            first = failures.exceptions[0]
            assert isinstance(first, ModelUnusable)
            raise EvalAborted(first.label or "a model", first.error) from None
        return self.results

    async def _reply(self, target: EvalTarget, example: EvalExample) -> Answer | ServiceError:
        try:
            answer = await ask(
                target.service,
                self.plan.request(target, example),
                service_id=target.service_id,
                limit=self.limits[target.label],
                cache=self.cache,
                policy=self.policy,
            )
        except ModelUnusable as unusable:
            raise ModelUnusable(unusable.error, target.label) from None
        except ServiceError as error:
            self.totals.models[target.label].failed += 1
            return error
        progress = self.totals.models[target.label]
        progress.answered += 1
        progress.cached += answer.cached
        return answer

    async def _example(self, example: EvalExample) -> list[ExampleResult]:
        targets = self.plan.targets
        answers = await asyncio.gather(*(self._reply(t, example) for t in targets))
        scores = await asyncio.gather(*(self._grade(example, answer) for answer in answers))
        if self.plan.uses(GraderKind.PAIRWISE):
            await self._pairwise(example, answers, scores)
        return [
            _record(example, target, answer, score)
            for target, answer, score in zip(targets, answers, scores, strict=True)
        ]

    async def _grade(self, example: EvalExample, answer: Answer | ServiceError) -> dict[str, Score]:
        if isinstance(answer, ServiceError):
            return {}
        reply = answer.text
        scores = grade_all(self.plan.graders, reply, example.reference)
        for spec in self.plan.graders:
            if spec.kind is GraderKind.JUDGE:
                scores[spec.name] = await self._judge_rating(example, reply)
            elif spec.kind is GraderKind.COSINE:
                scores[spec.name] = (
                    await self.embedder.cosine(example, reply)
                    if self.embedder is not None
                    else Score.missing("no embeddings model")
                )
        return scores

    async def _judge_rating(self, example: EvalExample, reply: str) -> Score:
        if self.judge is None:
            return Score.missing("no judge model")
        try:
            return await self.judge.rate(example, reply)
        except ModelUnusable as unusable:
            raise ModelUnusable(unusable.error, self.judge.target.label) from None

    async def _pairwise(
        self,
        example: EvalExample,
        answers: list[Answer | ServiceError],
        scores: list[dict[str, Score]],
    ) -> None:
        """Each later model against the first, scored on the later model's record."""
        name = str(GraderKind.PAIRWISE)
        first = answers[0]
        if not isinstance(first, ServiceError):
            scores[0][name] = Score.missing("the baseline pairwise compares against")
        for answer, score in zip(answers[1:], scores[1:], strict=True):
            if isinstance(answer, ServiceError):
                continue
            if isinstance(first, ServiceError):
                score[name] = Score.missing("the baseline has no reply")
                continue
            if self.judge is None:
                score[name] = Score.missing("no judge model")
                continue
            try:
                outcome, why = await self.judge.prefer(example, first.text, answer.text)
            except ModelUnusable as unusable:
                raise ModelUnusable(unusable.error, self.judge.target.label) from None
            score[name] = (
                Score(outcome.reversed.score)
                if outcome is not None
                else Score.missing(why or "judge failed")
            )


def _record(
    example: EvalExample,
    target: EvalTarget,
    answer: Answer | ServiceError,
    scores: dict[str, Score],
) -> ExampleResult:
    if isinstance(answer, ServiceError):
        return ExampleResult(example.ident, example.line, target.label, None, {}, answer.message)
    cost = price_turn(
        target.catalog, target.model, answer.prompt_tokens, answer.completion_tokens
    ).dollars
    return ExampleResult(
        example=example.ident,
        line=example.line,
        model=target.label,
        reply=answer.text,
        scores=scores,
        tokens_in=answer.prompt_tokens or 0,
        tokens_out=answer.completion_tokens or 0,
        latency=answer.latency,
        cost=cost,
    )
