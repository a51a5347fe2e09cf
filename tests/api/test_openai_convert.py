"""The SDK's own objects (parsed from the service's JSON) become tuner's types, field by field."""

from __future__ import annotations

from openai.types.fine_tuning import FineTuningJob, FineTuningJobEvent
from openai.types.fine_tuning.jobs import FineTuningJobCheckpoint

from tuner.api.jobs.metrics import MetricPoint
from tuner.api.providers.openai.convert import (
    checkpoint_from_sdk,
    event_from_sdk,
    job_from_sdk,
    job_status,
)
from tuner.api.types import JobError, JobStatus


def sdk_job(**extra: object) -> FineTuningJob:
    data = {
        "id": "ftjob-1",
        "object": "fine_tuning.job",
        "created_at": 1_700_000_000,
        "model": "gpt-4o-mini-2024-07-18",
        "organization_id": "org-1",
        "result_files": ["file-r"],
        "status": "failed",
        "training_file": "file-1",
        "seed": 7,
        "hyperparameters": {"n_epochs": "auto"},
        "error": {"code": "invalid_training_file", "message": "too few", "param": "training_file"},
        "fine_tuned_model": None,
        "finished_at": 1_700_000_100,
        "trained_tokens": None,
        "validation_file": None,
        "method": {
            "type": "dpo",
            "dpo": {"hyperparameters": {"n_epochs": 2, "beta": 0.1, "batch_size": "auto"}},
        },
    }
    data.update(extra)
    return FineTuningJob.model_validate(data)


def test_a_job_keeps_every_field_the_screens_show() -> None:
    job = job_from_sdk(sdk_job())
    assert job.status is JobStatus.FAILED and job.service_status == "failed"
    assert job.method == "dpo" and job.hyperparameters == {
        "n_epochs": 2,
        "beta": 0.1,
        "batch_size": "auto",
    }
    assert job.error == JobError("invalid_training_file", "too few", "training_file")
    assert job.result_files == ("file-r",) and job.seed == 7 and job.finished_at == 1_700_000_100


def test_legacy_hyperparameters_and_the_suffix() -> None:
    job = job_from_sdk(
        sdk_job(method=None, status="succeeded", error=None, fine_tuned_model="ft:m:org:bot:x1")
    )
    assert job.method == "supervised" and job.hyperparameters == {"n_epochs": "auto"}
    assert job.suffix == "bot" and job.error is None and job.finished


def test_paused_and_unknown_statuses() -> None:
    assert job_status("paused") is JobStatus.PAUSED
    assert job_status("something-new") is JobStatus.QUEUED


def test_metrics_events_carry_their_point() -> None:
    event = FineTuningJobEvent.model_validate(
        {
            "id": "ev-1",
            "object": "fine_tuning.job.event",
            "created_at": 1,
            "level": "info",
            "message": "Step 5/30: training loss=1.25",
            "type": "metrics",
            "data": {
                "step": 5,
                "total_steps": 30,
                "train_loss": 1.25,
                "train_mean_token_accuracy": 0.5,
            },
        }
    )
    converted = event_from_sdk(event)
    assert converted.type == "metrics"
    assert converted.metrics == MetricPoint(
        step=5, total_steps=30, train_loss=1.25, train_mean_token_accuracy=0.5
    )
    plain = event_from_sdk(
        FineTuningJobEvent.model_validate(
            {
                "id": "ev-2",
                "object": "fine_tuning.job.event",
                "created_at": 2,
                "level": "info",
                "message": "Job started",
                "type": "message",
            }
        )
    )
    assert plain.metrics is None and plain.type == "message"


def test_checkpoints_name_their_model_and_metrics() -> None:
    checkpoint = checkpoint_from_sdk(
        FineTuningJobCheckpoint.model_validate(
            {
                "id": "ftckpt-1",
                "object": "fine_tuning.job.checkpoint",
                "created_at": 3,
                "fine_tuned_model_checkpoint": "ft:m:org:bot:x1:ckpt-step-10",
                "fine_tuning_job_id": "ftjob-1",
                "step_number": 10,
                "metrics": {"step": 10, "train_loss": 0.5, "valid_loss": 0.7},
            }
        )
    )
    assert checkpoint.step == 10 and checkpoint.model.endswith(":ckpt-step-10")
    assert checkpoint.metrics is not None and checkpoint.metrics.valid_loss == 0.7
