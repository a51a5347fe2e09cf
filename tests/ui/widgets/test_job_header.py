"""The job header: what a job is, how far it got, and whether tuner still follows it."""

from __future__ import annotations

from tests.helpers import host_app
from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.jobs.follower import FollowState, FollowStatus
from tuner.api.jobs.metrics import MetricPoint
from tuner.api.types import Job, JobError, JobStatus
from tuner.ui.widgets.job_header import JobHeader, follow_text, status_text

NOW = 1_700_003_600


def job(**extra: object) -> Job:
    fields: dict[str, object] = {
        "id": "ftjob-1",
        "status": JobStatus.RUNNING,
        "model": "gpt-4o-mini-2024-07-18",
        "created_at": NOW - 600,
        "training_file": "file-t",
        "hyperparameters": {"n_epochs": 3, "batch_size": 1},
    }
    fields.update(extra)
    return Job(**fields)  # type: ignore[arg-type]


def test_a_running_job() -> None:
    text = JobHeader.describe(
        job(trained_tokens=1200, estimated_finish=NOW + 90),
        now=NOW,
        follow=FollowStatus(FollowState.FOLLOWING),
        last_point=MetricPoint(step=4, total_steps=30),
    ).plain
    assert text.startswith("running  ftjob-1  ● following live")
    assert "supervised · epochs 3 · batch 1" in text
    assert "step 4/30" in text and "running for 10m 00s" in text and "finish" in text


def test_a_failed_job_shows_its_error_and_a_lost_follower_says_so() -> None:
    failed = job(
        status=JobStatus.FAILED,
        finished_at=NOW - 60,
        error=JobError("invalid_training_file", "too few examples", "training_file"),
    )
    error = ServiceError(ErrorKind.CONNECTION, "Cannot reach the service")
    text = JobHeader.describe(failed, now=NOW, follow=FollowStatus(FollowState.FAILED, error)).plain
    assert "invalid_training_file: too few examples (param: training_file)" in text
    assert "✗ not following: Cannot reach the service" in text
    assert "took 9m 00s" in text and "running for" not in text


def test_words_for_states_and_statuses() -> None:
    retrying = ServiceError(ErrorKind.SERVER, "The service failed (500)")
    status = FollowStatus(FollowState.RECONNECTING, retrying, attempt=2)
    assert follow_text(status).plain == "↻ reconnecting… The service failed (500) (attempt 2)"
    assert follow_text(None).plain == "○ starting"
    assert status_text(JobStatus.VALIDATING).plain == "validating"


async def test_show_draws_the_latest_copy() -> None:
    header = JobHeader()
    app = host_app(header)
    async with app.run_test(size=(100, 10)) as pilot:
        header.show(job(fine_tuned_model="ft:m:org:bot:x"), now=NOW, follow=None)
        await pilot.pause()
        assert "ft:m:org:bot:x" in str(header.render())


def test_the_finish_estimate_is_not_counted_down_while_reconnecting() -> None:
    running = job(estimated_finish=NOW + 90)
    error = ServiceError(ErrorKind.CONNECTION, "Cannot reach the service")
    live = JobHeader.describe(running, now=NOW, follow=FollowStatus(FollowState.FOLLOWING)).plain
    lost = JobHeader.describe(
        running, now=NOW, follow=FollowStatus(FollowState.RECONNECTING, error, attempt=1)
    ).plain
    assert "finish in 1m 30s" in live
    assert "finish in" not in lost and "(last known)" in lost


def test_together_adapter_switch_reads_as_the_kind_of_training() -> None:
    from tuner.ui.widgets.job_header import _hyper_text

    assert _hyper_text({"n_epochs": 3, "lora": True}) == "epochs 3 · LoRA"
    assert _hyper_text({"lora": False}) == "full training"


def test_a_queued_job_waits_and_its_tokens_are_still_to_train() -> None:
    """Together counts the tokens when the job is made: "trained" only once it succeeded."""
    text = JobHeader.describe(
        job(status=JobStatus.QUEUED, created_at=NOW - 5, trained_tokens=24_800),
        now=NOW,
        follow=None,
    ).plain
    assert "waiting for 5s" in text and "running for" not in text
    assert "24.8k tokens to train" in text and "tokens trained" not in text
    done = JobHeader.describe(
        job(status=JobStatus.SUCCEEDED, finished_at=NOW, trained_tokens=24_800),
        now=NOW,
        follow=None,
    ).plain
    assert "24.8k tokens trained" in done
