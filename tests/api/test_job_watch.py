"""Pure decisions of the jobs screens: controls, refresh pacing, list merging, filters, series."""

from __future__ import annotations

from typing import Any

from tuner.api.jobs.metrics import MetricPoint
from tuner.api.jobs.watch import (
    JobList,
    MetricSeries,
    RefreshPolicy,
    control_refusal,
    event_matches,
    finished_summary,
    next_in,
    short_fine_tuned,
    short_model,
    status_matches,
)
from tuner.api.types import Job, JobError, JobStatus


def job(job_id: str, status: str = "running", **extra: Any) -> Job:
    return Job(job_id, JobStatus(status), "gpt-4o-mini-2024-07-18", 1_700_000_000, **extra)


def test_controls_follow_the_status() -> None:
    assert control_refusal("cancel", JobStatus("running")) is None
    assert control_refusal("cancel", JobStatus("queued")) is None
    assert control_refusal("pause", JobStatus("running")) is None
    assert control_refusal("resume", JobStatus("paused")) is None
    assert "cannot be cancelled any more" in (
        control_refusal("cancel", JobStatus("succeeded")) or ""
    )
    assert "Only a running job can be paused" in (
        control_refusal("pause", JobStatus("queued")) or ""
    )
    assert "Only a paused job can be resumed" in (
        control_refusal("resume", JobStatus("running")) or ""
    )


def test_refresh_backs_off_and_stops_when_idle() -> None:
    policy = RefreshPolicy(fast=5, slow=30)
    assert policy.next_interval(None, changed=False, active=True) == 5
    assert policy.next_interval(5, changed=False, active=True) == 10
    assert policy.next_interval(20, changed=False, active=True) == 30
    assert policy.next_interval(30, changed=True, active=True) == 5
    assert policy.next_interval(30, changed=False, active=False) is None
    assert policy.scaled(0.1).slow == 3


def test_job_list_pages_and_refresh() -> None:
    jobs = JobList()
    assert jobs.append_page([job("c"), job("b", "succeeded")], has_more=True) == ["c", "b"]
    assert jobs.next_after == "b"
    jobs.append_page([job("a", "failed")], has_more=False)
    assert [j.id for j in jobs.ordered] == ["c", "b", "a"] and jobs.next_after is None
    update = jobs.refresh([job("d", "queued"), job("c", "succeeded", fine_tuned_model="ft:x")])
    assert update.added == ["d"] and update.changed == ["c"]
    assert [j.id for j in update.finished] == ["c"]
    assert [j.id for j in jobs.ordered] == ["d", "c", "b", "a"]
    assert [j.id for j in jobs.active] == ["d"]
    again = jobs.refresh([job("d", "queued"), job("c", "succeeded", fine_tuned_model="ft:x")])
    assert not again.any and not again.finished


def test_filters() -> None:
    assert status_matches("all", JobStatus("failed"))
    assert status_matches("active", JobStatus("paused")) and not status_matches(
        "active", JobStatus("succeeded")
    )
    assert status_matches("failed", JobStatus("failed")) and not status_matches(
        "failed", JobStatus("cancelled")
    )
    assert event_matches("metrics", "metrics") and not event_matches("metrics", "message")
    assert event_matches("messages", None) and not event_matches("messages", "metrics")
    assert next_in(("all", "messages", "metrics"), "metrics") == "all"


def test_metric_series_by_step() -> None:
    series = MetricSeries()
    series.add(MetricPoint(step=2, total_steps=4, train_loss=1.0))
    series.add(MetricPoint(step=1, total_steps=4, train_loss=2.0, valid_loss=2.5))
    series.add(MetricPoint(step=2, total_steps=4, train_loss=0.9))  # same step: newest wins
    assert series.series("train_loss") == ([1, 2], [2.0, 0.9])
    assert series.series("valid_loss") == ([1], [2.5])
    assert series.total_steps == 4 and series.last is not None and series.last.step == 2
    series.replace([MetricPoint(step=s, train_loss=1 / s) for s in range(1, 5)])
    assert len(series) == 4 and series.source == "result file"


def test_short_names_and_summary() -> None:
    assert short_model("gpt-4o-mini-2024-07-18") == "gpt-4o-mini"
    assert short_fine_tuned("ft:gpt-4o:org:bot:AbC:ckpt-step-3") == "bot:AbC:ckpt-step-3"
    assert short_fine_tuned("ft:gpt-4o:org::AbC") == "AbC"
    assert short_fine_tuned(None) is None
    together = "acct/Meta-Llama-3.1-8B-Instruct-Reference-support-v1-f0ab7520"
    llama = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
    assert short_fine_tuned(together, llama) == "support-v1-f0ab7520"
    assert short_fine_tuned(together) == together  # the base unknown: the whole name
    assert short_fine_tuned("acct/Other-Model-x", llama) == "acct/Other-Model-x"
    assert short_model(llama) == "Meta-Llama-3.1-8B-Instruct-Reference"
    done = job("j", "succeeded", fine_tuned_model="ft:gpt-4o:org::AbC")
    assert finished_summary(done) == "Job j succeeded: ft:gpt-4o:org::AbC"
    failed = job("j", "failed", error=JobError("x", "too few"))
    assert finished_summary(failed) == "Job j failed: too few"
