"""The fine-tuning job lifecycle through the real SDK: statuses, events, checkpoints, controls."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openai
import pytest
from openai import OpenAI
from openai.types.fine_tuning import FineTuningJob, FineTuningJobEvent
from openai.types.fine_tuning.jobs import FineTuningJobCheckpoint

from tests.helpers import finish_raw
from tuner.cli import main
from tuner.data.analysis.analyse import analyse_file
from tuner.data.estimate import default_epochs
from tuner.emulator import Emulator
from tuner.emulator.openai.jobs import (
    FIRST_STEP_AT,
    STARTED_AT,
    VALIDATED_AT,
    resolve_hyperparameters,
)

from .conftest import assert_no_extras, chat_rows


def test_statuses_in_order_on_the_simulated_clock(slow_emu: Emulator, slow_client: OpenAI) -> None:
    file_id = slow_client.files.create(file=("t.jsonl", chat_rows(20)), purpose="fine-tune").id
    job = slow_client.fine_tuning.jobs.create(
        model="gpt-4o-mini-2024-07-18",
        training_file=file_id,
        suffix="demo",
        hyperparameters={"n_epochs": 3},
    )
    assert isinstance(job, FineTuningJob)
    assert_no_extras(job)
    assert job.id.startswith("ftjob-")
    assert job.status == "validating_files"
    assert job.hyperparameters.n_epochs == 3
    assert job.hyperparameters.batch_size == "auto"
    assert job.fine_tuned_model is None and job.finished_at is None
    seen = [job.status]
    for offset in (VALIDATED_AT, STARTED_AT - VALIDATED_AT, FIRST_STEP_AT - STARTED_AT + 5):
        slow_emu.advance(offset)
        seen.append(slow_client.fine_tuning.jobs.retrieve(job.id).status)
    assert seen == ["validating_files", "queued", "running", "running"]
    running = slow_client.fine_tuning.jobs.retrieve(job.id)
    assert running.hyperparameters.batch_size == 1  # "auto" resolved once running
    assert running.estimated_finish is not None
    slow_emu.advance(120)
    done = slow_client.fine_tuning.jobs.retrieve(job.id)
    assert done.status == "succeeded"
    assert (
        done.fine_tuned_model
        == f"ft:gpt-4o-mini-2024-07-18:tuner-emulator:demo:{done.fine_tuned_model.split(':')[-1]}"
    )
    assert done.finished_at is not None and done.finished_at >= done.created_at
    assert done.trained_tokens and done.trained_tokens > 0
    messages = [e["message"] for e in slow_emu.server_events(job.id)]
    assert messages[0] == f"Created fine-tuning job: {job.id}"
    assert messages[1] == f"Validating training file: {file_id}"
    assert "Files validated, moving job to queued state" in messages
    assert "Fine-tuning job started" in messages
    assert "Step 60/60" in [m.split(":")[0] for m in messages]
    assert "Checkpoint created at step 20" in messages
    assert messages[-1] == "The job has successfully completed"


def test_fast_job_succeeds_and_everything_lines_up(emu: Emulator, client: OpenAI) -> None:
    train = client.files.create(file=("t.jsonl", chat_rows(20)), purpose="fine-tune").id
    valid = client.files.create(file=("v.jsonl", chat_rows(10)), purpose="fine-tune").id
    created = client.fine_tuning.jobs.create(
        model="gpt-4o-mini",
        training_file=train,
        validation_file=valid,
        seed=7,
        metadata={"team": "docs"},
        method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2}}},
    )
    assert created.model == "gpt-4o-mini-2024-07-18"  # the alias resolves to the snapshot
    assert created.seed == 7
    assert created.metadata == {"team": "docs"}
    assert created.method is not None and created.method.type == "supervised"
    job = finish_raw(emu, lambda: client.fine_tuning.jobs.retrieve(created.id))
    assert job.status == "succeeded"
    assert_no_extras(job)
    assert job.fine_tuned_model is not None
    assert job.fine_tuned_model.startswith("ft:gpt-4o-mini-2024-07-18:tuner-emulator::")

    # Events: newest first, `after` pages toward older ones, nothing lost or repeated.
    truth = emu.server_events(job.id)
    paged: list[FineTuningJobEvent] = []
    after = None
    while True:
        page = client.fine_tuning.jobs.list_events(
            job.id, limit=7, **({"after": after} if after else {})
        )
        paged += page.data
        if not page.has_more:
            break
        after = page.data[-1].id
    assert [e.model_dump(exclude_none=True) for e in paged] == truth[::-1]
    assert len(client.fine_tuning.jobs.list_events(job.id).data) == 20  # default limit
    for event in paged:
        assert_no_extras(event)
    metrics = [e for e in paged if e.type == "metrics"]
    assert len(metrics) == 40
    first = metrics[-1].data
    assert isinstance(first, dict)
    assert first["step"] == 1 and first["total_steps"] == 40
    assert metrics[0].message.startswith("Step 40/40: training loss=")
    assert "full_valid_loss" in metrics[0].data  # type: ignore[operator]
    assert any("valid_loss" in e.data for e in metrics)  # type: ignore[operator]

    # Checkpoints: one per epoch, newest first, named after the model.
    checkpoints = client.fine_tuning.jobs.checkpoints.list(job.id).data
    assert [c.step_number for c in checkpoints] == [40, 20]
    for checkpoint in checkpoints:
        assert isinstance(checkpoint, FineTuningJobCheckpoint)
        assert_no_extras(checkpoint)
        assert checkpoint.fine_tuned_model_checkpoint == (
            f"{job.fine_tuned_model}:ckpt-step-{checkpoint.step_number}"
        )
        assert checkpoint.metrics.train_loss is not None

    # The result file: a CSV of per-step metrics.
    [result_id] = job.result_files
    result = client.files.retrieve(result_id)
    assert result.purpose == "fine-tune-results"
    rows = list(csv.DictReader(io.StringIO(client.files.content(result_id).text)))
    assert len(rows) == 40
    assert list(rows[0]) == [
        "step",
        "train_loss",
        "train_accuracy",
        "valid_loss",
        "valid_mean_token_accuracy",
    ]
    assert float(rows[-1]["train_loss"]) < float(rows[0]["train_loss"]) * 1.5

    # The model exists and answers; so does a checkpoint.
    assert job.fine_tuned_model in {m.id for m in client.models.list()}
    for model in (job.fine_tuned_model, checkpoints[-1].fine_tuned_model_checkpoint):
        reply = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "hello"}]
        )
        assert reply.choices[0].message.content


def test_metrics_are_deterministic_for_a_seed(emu: Emulator, client: OpenAI) -> None:
    train = client.files.create(file=("t.jsonl", chat_rows(10)), purpose="fine-tune").id
    losses = []
    for _ in range(2):
        job = client.fine_tuning.jobs.create(model="gpt-4.1-mini", training_file=train, seed=3)
        finish_raw(emu, lambda job=job: client.fine_tuning.jobs.retrieve(job.id))
        losses.append([e["data"] for e in emu.server_events(job.id) if e["type"] == "metrics"])
    assert losses[0] == losses[1]
    train_losses = [d["train_loss"] for d in losses[0]]
    assert sum(train_losses[-5:]) < sum(train_losses[:5])  # it learns


def test_a_bad_training_file_fails_the_job_with_the_checkers_message(
    emu: Emulator, client: OpenAI
) -> None:
    bad = client.files.create(file=("t.jsonl", chat_rows(3)), purpose="fine-tune").id
    job_id = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=bad).id
    job = finish_raw(emu, lambda: client.fine_tuning.jobs.retrieve(job_id))
    assert job.status == "failed"
    assert job.error is not None
    assert job.error.code == "invalid_training_file"
    assert job.error.param == "training_file"
    assert job.error.message.startswith("Invalid file format. The training file has 3 examples")
    assert "at least 10" in job.error.message
    events = client.fine_tuning.jobs.list_events(job.id).data
    assert events[0].level == "error" and events[0].message == job.error.message


def test_a_custom_checker_decides() -> None:
    def checker(content: bytes) -> str:
        return "Nope: no cats allowed."

    with (
        Emulator(speed=1000, training_file_checker=checker) as emu,
        OpenAI(base_url=emu.base_url, api_key="test-key", max_retries=0) as client,
    ):
        file_id = client.files.create(file=("t.jsonl", chat_rows(20)), purpose="fine-tune").id
        job_id = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id).id
        job = finish_raw(emu, lambda: client.fine_tuning.jobs.retrieve(job_id))
    assert job.error is not None and job.error.message == "Nope: no cats allowed."


def test_dpo_job(emu: Emulator, client: OpenAI) -> None:
    file_id = client.files.create(file=("t.jsonl", chat_rows(20)), purpose="fine-tune").id
    job = client.fine_tuning.jobs.create(
        model="gpt-4.1-mini-2025-04-14",
        training_file=file_id,
        method={"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2}}},
    )
    assert job.method is not None and job.method.dpo is not None
    assert job.method.dpo.hyperparameters is not None
    assert job.method.dpo.hyperparameters.beta == 0.2
    assert finish_raw(emu, lambda: client.fine_tuning.jobs.retrieve(job.id)).status == "succeeded"


@pytest.mark.parametrize(
    ("kwargs", "param", "fragment"),
    [
        ({"model": "gpt-5-ultra"}, "model", "does not exist"),
        ({"model": "gpt-3.5-turbo-0613"}, "model", "retired"),
        ({"training_file": "file-missing"}, "training_file", "file-missing"),
        ({"suffix": "x" * 65}, "suffix", "maximum is 64"),
        ({"suffix": "a:b"}, "suffix", "may only contain"),
        ({"metadata": {f"k{i}": "v" for i in range(17)}}, "metadata", "maximum is 16"),
        ({"hyperparameters": {"n_epochs": 51}}, "hyperparameters.n_epochs", "n_epochs"),
        ({"hyperparameters": {"batch_size": 0}}, "hyperparameters.batch_size", "batch_size"),
        ({"method": {"type": "sideways"}}, "method.type", "Invalid method type"),
    ],
)
def test_create_refusals(
    client: OpenAI, training_file: str, kwargs: dict[str, object], param: str, fragment: str
) -> None:
    args: dict[str, object] = {"model": "gpt-4o-mini", "training_file": training_file, **kwargs}
    with pytest.raises(openai.BadRequestError, match=fragment) as caught:
        client.fine_tuning.jobs.create(**args)  # type: ignore[arg-type]
    body = caught.value.body
    assert isinstance(body, dict) and body["param"] == param
    if param == "model":
        assert caught.value.code in ("model_not_found", "model_retired")


def test_file_with_the_wrong_purpose_is_refused(client: OpenAI) -> None:
    other = client.files.create(file=("b.jsonl", chat_rows(20)), purpose="batch").id
    with pytest.raises(openai.BadRequestError, match="purpose") as caught:
        client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=other)
    assert caught.value.code == "invalid_file_purpose"


def test_list_jobs_newest_first_with_paging_and_metadata(
    client: OpenAI, training_file: str
) -> None:
    ids = [
        client.fine_tuning.jobs.create(
            model="gpt-4o-mini", training_file=training_file, metadata={"n": str(i % 2)}
        ).id
        for i in range(5)
    ]
    page = client.fine_tuning.jobs.list(limit=2)
    assert [j.id for j in page.data] == ids[::-1][:2]
    assert page.has_more is True
    assert [j.id for j in client.fine_tuning.jobs.list(limit=2)] == ids[::-1]
    odd = client.fine_tuning.jobs.list(metadata={"n": "1"})
    assert [j.id for j in odd.data] == [ids[3], ids[1]]
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.retrieve("ftjob-nope")


def test_cancel(client: OpenAI, slow_emu: Emulator, slow_client: OpenAI) -> None:
    file_id = slow_client.files.create(file=("t.jsonl", chat_rows(20)), purpose="fine-tune").id
    job = slow_client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id)
    cancelled = slow_client.fine_tuning.jobs.cancel(job.id)
    assert cancelled.status == "cancelled"
    slow_emu.advance(1000)
    assert slow_client.fine_tuning.jobs.retrieve(job.id).status == "cancelled"
    assert slow_emu.server_events(job.id)[-1]["message"] == "Fine-tuning job cancelled"
    with pytest.raises(openai.BadRequestError, match="already cancelled"):
        slow_client.fine_tuning.jobs.cancel(job.id)


def test_pause_freezes_progress_and_resume_continues(
    slow_emu: Emulator, slow_client: OpenAI
) -> None:
    file_id = slow_client.files.create(file=("t.jsonl", chat_rows(20)), purpose="fine-tune").id
    job = slow_client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id)
    with pytest.raises(openai.BadRequestError, match="only a running job"):
        slow_client.fine_tuning.jobs.pause(job.id)
    slow_emu.advance(FIRST_STEP_AT + 10)
    paused = slow_client.fine_tuning.jobs.pause(job.id)
    # The SDK's status Literal (and the OpenAPI enum) lack "paused", but the service and
    # Azure report it; the SDK does not validate Literals, so the value comes through.
    assert paused.status == "paused"
    events_before = len(slow_emu.server_events(job.id))
    slow_emu.advance(10_000)
    assert slow_client.fine_tuning.jobs.retrieve(job.id).status == "paused"
    assert len(slow_emu.server_events(job.id)) == events_before
    assert slow_client.fine_tuning.jobs.resume(job.id).status == "running"
    with pytest.raises(openai.BadRequestError, match="only a paused job"):
        slow_client.fine_tuning.jobs.resume(job.id)
    slow_emu.advance(10_000)
    assert slow_client.fine_tuning.jobs.retrieve(job.id).status == "succeeded"
    messages = [e["message"] for e in slow_emu.server_events(job.id)]
    assert "Fine-tuning job paused" in messages and "Fine-tuning job resumed" in messages


def _varied_rows(count: int) -> bytes:
    """Examples that exercise every counting rule: names, tools, parts, weights, long turns."""
    rows = []
    for i in range(count):
        messages: list[dict[str, object]] = [
            {"role": "system", "content": "You are terse. " * (i % 4)},
            {"role": "user", "name": "ada", "content": f"Question {i}: " + "why? " * i},
            {
                "role": "assistant",
                "content": [{"type": "text", "text": f"Because {i}."}],
                "weight": i % 2,
            },
            {"role": "user", "content": "And then?"},
            {"role": "assistant", "content": "Then we stop. " * (1 + i % 5)},
        ]
        row: dict[str, object] = {"messages": messages}
        if i % 3 == 0:
            row["tools"] = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
        rows.append(json.dumps(row))
    return ("\n".join(rows) + "\n").encode()


def _validate_json(capsys: pytest.CaptureFixture[str], path: Path, model: str) -> dict:
    assert main(["validate", str(path), "--model", model, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(("count", "model"), [(30, "gpt-4o-mini-2024-07-18"), (12, "gpt-4.1")])
def test_trained_tokens_are_billed_as_tuner_estimates_them(
    emu: Emulator,
    client: OpenAI,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    count: int,
    model: str,
) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(_varied_rows(count))
    report = _validate_json(capsys, path, model)
    file_id = client.files.create(file=path, purpose="fine-tune").id
    job_id = client.fine_tuning.jobs.create(model=model, training_file=file_id).id
    job = finish_raw(emu, lambda: client.fine_tuning.jobs.retrieve(job_id))
    assert job.status == "succeeded"
    assert job.hyperparameters.n_epochs == report["epochs"] == default_epochs(count)
    assert job.trained_tokens == report["tokens"]["billed"] * report["epochs"]
    assert job.trained_tokens == report["trained_tokens"]


def test_each_example_is_billed_up_to_the_models_limit(
    emu: Emulator, client: OpenAI, tmp_path: Path
) -> None:
    model = "gpt-3.5-turbo-1106"  # 16,385 tokens per example
    long = {
        "messages": [
            {"role": "user", "content": "hi " * 20_000},
            {"role": "assistant", "content": "ok"},
        ]
    }
    path = tmp_path / "train.jsonl"
    path.write_bytes(chat_rows(10) + (json.dumps(long) + "\n").encode())
    report = analyse_file(path, model)
    assert report.over_limit == 1 and report.billed_tokens < report.stats.total
    file_id = client.files.create(file=path, purpose="fine-tune").id
    created = client.fine_tuning.jobs.create(
        model=model, training_file=file_id, hyperparameters={"n_epochs": 2}
    )
    job = finish_raw(emu, lambda: client.fine_tuning.jobs.retrieve(created.id))
    assert job.status == "succeeded"
    assert job.trained_tokens == report.billed_tokens * 2


@pytest.mark.parametrize("count", [1, 10, 33, 34, 100, 8333, 8334, 30_000])
def test_auto_epochs_follow_tuners_rule(count: int) -> None:
    auto = {"n_epochs": "auto", "batch_size": "auto", "learning_rate_multiplier": "auto"}
    assert resolve_hyperparameters(auto, count)["n_epochs"] == default_epochs(count)
