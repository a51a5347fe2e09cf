"""Together fine-tuning jobs through the official SDK: lifecycle, events, checkpoints, metrics."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import together
from together import Together
from together.lib.types.fine_tuning import FinetuneResponse as CreatedJob
from together.types import (
    FinetuneModelLimits,
    FinetuneResponse,
    FineTuningCancelResponse,
    FineTuningDeleteResponse,
    FineTuningListCheckpointsResponse,
    FineTuningListEventsResponse,
    FineTuningListMetricsResponse,
    FineTuningListResponse,
)
from together.types.fine_tuning_estimate_price_response import AvailableEstimate

from tests.helpers import finish_raw
from tuner.emulator import Emulator
from tuner.emulator.together import catalog, jobs

from . import together_helpers
from .together_helpers import BASE, LORA_ONLY, assert_known_fields, bad_rows, write_rows

# Fixtures shared by the Together tests.
client = together_helpers.client
emu = together_helpers.emu
still_client = together_helpers.still_client
still_emu = together_helpers.still_emu
upload = together_helpers.upload


def test_statuses_in_order_on_the_simulated_clock(
    still_emu: Emulator, still_client: Together, tmp_path: Path
) -> None:
    file_id = still_client.files.upload(write_rows(tmp_path, "t.jsonl", 20)).id
    created = still_client.fine_tuning.create(
        training_file=file_id, model=BASE, n_epochs=2, suffix="demo", train_on_inputs="auto"
    )
    assert isinstance(created, CreatedJob)
    assert_known_fields(created)
    assert created.id.startswith("ft-") and created.status == "pending"
    assert created.output_name and created.output_name.startswith(
        "tuner-emulator/Meta-Llama-3.1-8B-Instruct-Reference-demo-"
    )
    assert created.batch_size == 8  # "max" resolved to the model's limit
    seen = []
    end = jobs.TRAINING_AT + 6 * jobs.MAX_STEP_SECONDS  # 20 examples / 8 = 3 steps x 2 epochs
    for at in (3.0, 5.5, 10.5, end + 1.5, end + 3.0, end + 6.0):
        still_emu.advance(at - (seen[-1][0] if seen else 0.0))
        seen.append((at, still_client.fine_tuning.retrieve(created.id).status))
    assert [status for _, status in seen] == [
        "queued",
        "running",
        "running",
        "compressing",
        "uploading",
        "completed",
    ]


def test_a_job_runs_to_completion_and_everything_lines_up(
    emu: Emulator, client: Together, upload: Callable[..., str]
) -> None:
    train, valid = upload(20, "train.jsonl"), upload(12, "valid.jsonl")
    created = client.fine_tuning.create(
        training_file=train,
        validation_file=valid,
        model=BASE,
        n_epochs=3,
        n_checkpoints=3,
        n_evals=3,
        lora=True,
        lora_r=16,
        learning_rate=2e-5,
        warmup_ratio=0.1,
        suffix="everything",
        random_seed=11,
        train_on_inputs=False,
        wandb_api_key="wandb-test-key",
        wandb_project_name="tuner",
    )
    done = finish_raw(emu, lambda: client.fine_tuning.retrieve(created.id))
    assert isinstance(done, FinetuneResponse)
    assert_known_fields(done)
    assert done.status == "completed"
    assert done.x_model_output_name == created.output_name
    assert done.training_type is not None and done.training_type.type == "Lora"
    assert getattr(done.training_type, "lora_r", None) == 16
    assert done.training_method is not None and done.training_method.method == "sft"
    assert done.train_on_inputs is False
    assert done.n_epochs == 3 and done.n_evals == 3 and done.epochs_completed == 3
    assert done.token_count and done.total_price and done.total_price > 0
    assert done.wandb_url and done.wandb_project_name == "tuner"
    events = client.fine_tuning.list_events(created.id)
    assert isinstance(events, FineTuningListEventsResponse)
    assert_known_fields(events)
    types = [event.type for event in events.data]
    assert types[0] == "job_pending" and types[-1] == "job_complete"
    for expected in ("job_start", "training_start", "wandb_init", "model_upload_complete"):
        assert expected in types
    epochs = [e for e in events.data if e.type == "epoch_complete"]
    assert [e.step for e in epochs] == [3, 6, 9] and {e.total_steps for e in epochs} == {9}
    assert epochs[0].message == "Epoch completed, at step 3"
    saved = [e for e in events.data if e.type == "checkpoint_save"]
    assert [e.step for e in saved] == [3, 6] and all(e.checkpoint_path for e in saved)
    checkpoints = client.fine_tuning.list_checkpoints(created.id)
    assert isinstance(checkpoints, FineTuningListCheckpointsResponse)
    assert_known_fields(checkpoints)
    assert [(c.step, c.checkpoint_type) for c in checkpoints.data] == [
        (9, "Final Merged"),
        (9, "Final Adapter"),
        (6, "Intermediate"),
        (3, "Intermediate"),
    ]
    metrics = client.fine_tuning.list_metrics(created.id)
    assert isinstance(metrics, FineTuningListMetricsResponse) and metrics.metrics
    train = [row for row in metrics.metrics if "train/loss" in row]
    evals = [row for row in metrics.metrics if "eval/loss" in row]
    assert [row["train/global_step"] for row in train] == list(range(1, 10))
    assert [row["train/global_step"] for row in evals] == [3, 6, 9]
    assert train[-1]["train/loss"] < train[0]["train/loss"]
    assert max(row["train/learning_rate"] for row in train) <= 2e-5
    sampled = client.fine_tuning.list_metrics(created.id, resolution=3, global_step_from=2)
    sampled_steps = [r["train/global_step"] for r in sampled.metrics or [] if "train/loss" in r]
    assert len(sampled_steps) == 3 and sampled_steps[0] == 2 and sampled_steps[-1] == 9


def test_list_newest_first(client: Together, upload: Callable[..., str]) -> None:
    train = upload()
    first = client.fine_tuning.create(training_file=train, model=BASE, train_on_inputs="auto")
    second = client.fine_tuning.create(
        training_file=train, model=LORA_ONLY, training_method="dpo", dpo_beta=0.2
    )
    listed = client.fine_tuning.list()
    assert isinstance(listed, FineTuningListResponse)
    assert_known_fields(listed)
    assert [job.id for job in listed.data] == [second.id, first.id]
    dpo = listed.data[0]
    assert dpo.training_method is not None and dpo.training_method.method == "dpo"
    assert getattr(dpo.training_method, "dpo_beta", None) == 0.2
    assert dpo.random_seed is None and dpo.packing is True


def test_cancel_requests_then_cancels(
    still_emu: Emulator, still_client: Together, tmp_path: Path
) -> None:
    file_id = still_client.files.upload(write_rows(tmp_path, "t.jsonl", 20)).id
    job = still_client.fine_tuning.create(training_file=file_id, model=BASE, n_epochs=3)
    still_emu.advance(jobs.TRAINING_AT + 2.5 * jobs.MAX_STEP_SECONDS)
    cancelled = still_client.fine_tuning.cancel(job.id)
    assert isinstance(cancelled, FineTuningCancelResponse)
    assert_known_fields(cancelled)
    assert cancelled.status == "cancel_requested"
    still_emu.advance(jobs.CANCEL_SECONDS + 0.5)
    after = still_client.fine_tuning.retrieve(job.id)
    assert after.status == "cancelled"
    assert [e.type for e in after.events or []][-2:] == ["cancel_requested", "job_stopped"]
    rows = still_client.fine_tuning.list_metrics(job.id).metrics or []
    assert [row["train/global_step"] for row in rows] == [1, 2]  # stopped where it was
    still_emu.advance(500)
    assert still_client.fine_tuning.retrieve(job.id).status == "cancelled"
    with pytest.raises(together.BadRequestError):
        still_client.fine_tuning.cancel(job.id)


def test_delete_only_a_finished_job(
    emu: Emulator, client: Together, upload: Callable[..., str]
) -> None:
    job = client.fine_tuning.create(training_file=upload(), model=BASE)
    finish_raw(emu, lambda: client.fine_tuning.retrieve(job.id))
    deleted = client.fine_tuning.delete(job.id)
    assert isinstance(deleted, FineTuningDeleteResponse) and deleted.message
    with pytest.raises(together.NotFoundError):
        client.fine_tuning.retrieve(job.id)


def test_a_file_with_errors_ends_the_job_in_error(
    emu: Emulator, client: Together, tmp_path: Path
) -> None:
    bad = client.files.upload(bad_rows(tmp_path))
    job = client.fine_tuning.create(training_file=bad.id, model=BASE)
    done = finish_raw(emu, lambda: client.fine_tuning.retrieve(job.id))
    assert done.status == "error"
    last = (done.events or [])[-1]
    assert last.type == "job_error" and last.level == "error"
    assert last.message.startswith("Invalid file format.") and bad.id in last.message
    assert client.fine_tuning.list_checkpoints(job.id).data == []
    assert client.fine_tuning.list_metrics(job.id).metrics == []


def test_estimate_price_limits_and_supported_models(
    client: Together, upload: Callable[..., str]
) -> None:
    train = upload(20)
    estimate = client.fine_tuning.estimate_price(training_file=train, model=BASE, n_epochs=2)
    assert isinstance(estimate, AvailableEstimate)
    assert_known_fields(estimate)
    assert estimate.estimated_train_token_count and estimate.estimated_total_price
    job = client.fine_tuning.create(training_file=train, model=BASE, n_epochs=2)
    assert job.token_count == estimate.estimated_train_token_count
    assert job.total_price == round(estimate.estimated_total_price * 1e9)
    dearer = client.fine_tuning.estimate_price(
        training_file=train, model=BASE, n_epochs=2, training_type={"type": "Full"}
    )
    assert isinstance(dearer, AvailableEstimate)
    assert (dearer.estimated_total_price or 0) > estimate.estimated_total_price
    limits = client.fine_tuning.model_limits(model_name=BASE)
    assert isinstance(limits, FinetuneModelLimits)
    assert_known_fields(limits)
    assert limits.api_model_name == BASE and limits.supports_full_training
    assert limits.max_seq_length_sft == 131072 and limits.lora_training.max_batch_size == 8
    lora_only = client.fine_tuning.model_limits(model_name=LORA_ONLY)
    assert not lora_only.supports_full_training
    with pytest.raises(together.NotFoundError):
        client.fine_tuning.model_limits(model_name="nobody/no-such-model")
    supported = client.get("/v1/fine-tunes/models/supported", cast_to=object)
    assert supported == {"models": [model.name for model in catalog.MODELS]}


def test_refusals(client: Together, upload: Callable[..., str]) -> None:
    train = upload()
    with pytest.raises(together.BadRequestError, match="Full training is not supported"):
        client.fine_tuning.create(training_file=train, model=LORA_ONLY, lora=False)
    with pytest.raises(together.BadRequestError, match="suffix"):
        client.fine_tuning.create(training_file=train, model=BASE, suffix="x" * 41)
    with pytest.raises(together.BadRequestError, match="n_epochs"):
        client.fine_tuning.create(training_file=train, model=BASE, n_epochs=21)
    with pytest.raises(together.BadRequestError, match="training_file"):
        client.fine_tuning.create(training_file="file-nope", model=BASE)
    with pytest.raises(together.BadRequestError, match="n_evals"):
        client.fine_tuning.create(training_file=train, model=BASE, n_evals=2)
    with pytest.raises(together.NotFoundError):
        client.fine_tuning.retrieve("ft-00000000-0000-4000-8000-000000000000")
    assert client.fine_tuning.list().data == []
