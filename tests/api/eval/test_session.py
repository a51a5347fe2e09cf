"""An evaluation from choices to run folder, over HTTP with the real SDKs: the fine-tune beats its
base with intervals, a stopped run continues without asking any model twice, a rate-limited
service is waited out, a failing example is recorded, a model that cannot be asked stops it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.helpers import TrainedJob
from tuner.api.eval.reply_cache import CachedReply, ReplyCache
from tuner.api.eval.run import EvalAborted, RunTotals
from tuner.api.eval.session import EvalChoices, EvalUsageError, prepare_eval, run_eval
from tuner.api.eval.targets import EvalServices
from tuner.api.retry import RetryPolicy
from tuner.config import load_settings
from tuner.data.eval.history import past_runs
from tuner.data.eval.results import read_results
from tuner.emulator import Emulator, Fault

BASE = "gpt-4o-mini-2024-07-18"
JUDGE = "gpt-4o-2024-08-06"
FAST = RetryPolicy(attempts=4, base=0.001, cap=0.002, jitter=0)


class CountingCache(ReplyCache):
    """The real cache, remembering every key it stored: each is one request a model answered."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.stored: list[str] = []

    def put(self, key: str, reply: CachedReply) -> None:
        self.stored.append(key)
        super().put(key, reply)


async def _evaluate(choices: EvalChoices, cache: ReplyCache | None, **run: object):
    services = EvalServices(load_settings())
    try:
        prepared = await prepare_eval(choices, services)
        return prepared, await run_eval(prepared, cache=cache, policy=FAST, **run)  # type: ignore[arg-type]
    finally:
        await services.close()


async def test_the_fine_tune_beats_its_base_on_every_grader(
    trained: TrainedJob, tmp_path: Path
) -> None:
    graders = ("chrf", "fuzzy", "bleu", "rouge_l", "judge", "cosine", "pairwise")
    choices = EvalChoices(job=trained.job_id, graders=graders, judge=JUDGE, out=tmp_path / "run")
    prepared, outcome = await _evaluate(choices, ReplyCache(tmp_path / "cache.sqlite"))
    base, tuned = outcome.summary.models
    assert base.model == f"{BASE}@default" and tuned.model.startswith("ft:")
    assert base.n == tuned.n == len(prepared.plan.examples) == 16
    assert base.failures == tuned.failures == 0
    for name in graders[:-1]:
        low, high = base.grader(name).mean, tuned.grader(name).mean
        assert high.low > low.high, name  # the intervals do not even overlap
        comparison = outcome.summary.comparison(tuned.model, name)
        assert comparison is not None and comparison.difference.significant, name
    wins, _ties, losses = tuned.grader("pairwise").outcomes
    assert wins > losses
    folder = outcome.folder.path
    for name in ("results.jsonl", "summary.json", "report.md", "run.json"):
        assert (folder / name).is_file(), name
    assert "training file" not in " ".join(prepared.warnings)  # held out: not trained on
    assert [run.folder for run in past_runs()] == [folder.resolve()]


async def test_prompts_that_were_trained_on_are_counted_in_a_warning(
    trained: TrainedJob, tmp_path: Path
) -> None:
    services = EvalServices(load_settings())
    try:
        choices = EvalChoices(file=trained.train, job=trained.job_id)
        prepared = await prepare_eval(choices, services)
    finally:
        await services.close()
    assert any(
        "24 of 24 prompts also appear in the job's training file" in w for w in prepared.warnings
    )


async def test_a_stopped_run_continues_without_asking_any_model_twice(
    trained: TrainedJob, tmp_path: Path
) -> None:
    choices = EvalChoices(job=trained.job_id, out=tmp_path / "run")
    cache_path = tmp_path / "cache.sqlite"
    first = CountingCache(cache_path)
    some_done = asyncio.Event()

    def progress(totals: RunTotals) -> None:
        if sum(p.done for p in totals.models.values()) >= 6:
            some_done.set()

    task = asyncio.create_task(_evaluate(choices, first, on_progress=progress, concurrency=2))
    await asyncio.wait_for(some_done.wait(), 60)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert 6 <= len(first.stored) < 32
    again = CountingCache(cache_path)
    _, outcome = await _evaluate(choices, again)
    assert not set(first.stored) & set(again.stored)  # nothing asked twice
    assert len(first.stored) + len(again.stored) == 32  # and nothing left out
    assert all(model.n == 16 and model.failures == 0 for model in outcome.summary.models)
    regrade = CountingCache(cache_path)
    await _evaluate(EvalChoices(job=trained.job_id, graders=("exact",)), regrade)
    assert regrade.stored == []  # grading again asks no model


async def test_a_rate_limited_service_is_waited_out(
    trained: TrainedJob, service_env: Emulator, tmp_path: Path
) -> None:
    service_env.faults.add(Fault(r"/chat/completions", status=429, retry_after=0.01, times=6))
    _, outcome = await _evaluate(EvalChoices(job=trained.job_id, out=tmp_path / "run"), None)
    assert len(service_env.faults) == 0
    assert all(model.failures == 0 and model.n == 16 for model in outcome.summary.models)


async def test_an_example_that_keeps_failing_is_recorded_and_the_run_goes_on(
    trained: TrainedJob, service_env: Emulator, tmp_path: Path
) -> None:
    service_env.faults.add(Fault(r"/chat/completions", status=500, times=FAST.attempts))
    choices = EvalChoices(file=trained.holdout, models=(BASE,), out=tmp_path / "run")
    _, outcome = await _evaluate(choices, None, concurrency=1)
    (model,) = outcome.summary.models
    assert model.n == 16 and model.failures == 1
    records = read_results(outcome.folder.results_path).results
    failed = [r for r in records if r.failed]
    assert len(failed) == 1 and failed[0].reply is None and "500" in failed[0].error


async def test_a_model_that_cannot_be_asked_stops_the_run(
    trained: TrainedJob, tmp_path: Path
) -> None:
    choices = EvalChoices(
        file=trained.holdout, models=(BASE, "ft:gpt-4o-mini-2024-07-18:acme:gone:x1")
    )
    with pytest.raises(EvalAborted) as aborted:
        await _evaluate(choices, None)
    assert aborted.value.label == "ft:gpt-4o-mini-2024-07-18:acme:gone:x1@default"


@pytest.mark.parametrize(
    ("choices", "words"),
    [
        (EvalChoices(models=(BASE,)), "name the file"),
        (EvalChoices(file=Path("nowhere.jsonl"), models=(BASE,)), "no such file"),
        (EvalChoices(file=Path("x.jsonl")), "name the models"),
        (EvalChoices(file=Path("x.jsonl"), models=(BASE,), graders=("judge",)), "judge"),
        (EvalChoices(file=Path("x.jsonl"), models=(BASE,), graders=("regex:(",)), "not a valid"),
        (EvalChoices(file=Path("x.jsonl"), models=("@oops",)), "names no model"),
    ],
)
async def test_choices_that_make_no_evaluation_say_why(
    service_env: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    choices: EvalChoices, words: str,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.jsonl").write_text(
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": "hi"},
                    {"role": "assistant", "content": "yo"},
                ]
            }
        )
        + "\n"
    )
    services = EvalServices(load_settings())
    try:
        with pytest.raises(EvalUsageError, match=words):
            await prepare_eval(choices, services)
    finally:
        await services.close()
