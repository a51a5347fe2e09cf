"""The Together service's pure parts: SDK objects to tuner's types, the spec mapping, event paging,
the model list and the error translation, on the SDK's own types (built from JSON as the SDK
builds them from an answer), with no network. What needs the wire is in test_together_service.py.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import together
from together.types import FileResponse, FinetuneModelLimits, FinetuneResponse
from together.types.fine_tuning_estimate_price_response import AvailableEstimate
from together.types.fine_tuning_list_events_response import FineTuningListEventsResponse

from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.jobs.spec import Hyperparameters, JobSpec
from tuner.api.providers.together import convert, events, models, specs
from tuner.api.providers.together.client import sdk_base_url
from tuner.api.providers.together.errors import status_error_for, translate
from tuner.api.types import Job, JobStatus

JOB = "ft-00000000-0000-4000-8000-000000000001"
REQUEST = httpx.Request("GET", "http://127.0.0.1:9/v1/fine-tunes")


def sdk_job(**fields: Any) -> FinetuneResponse:
    body = {
        "id": JOB,
        "status": "running",
        "user_id": "u",
        "model": "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference",
        "model_output_name": "acct/Meta-Llama-3.1-8B-Instruct-Reference-demo-1a2b3c4d",
        "created_at": "2026-01-02T03:04:05.678Z",
        "updated_at": "2026-01-02T03:14:05.000Z",
        "training_file": "file-1",
        "n_epochs": 2,
        "batch_size": 8,
        "learning_rate": 1e-5,
        "training_type": {"type": "Lora", "lora_r": 16, "lora_alpha": 32},
        "training_method": {"method": "sft", "train_on_inputs": "auto"},
        "token_count": 1234,
        "progress": {"estimate_available": True, "seconds_remaining": 90},
        **fields,
    }
    # `construct`, as the SDK builds an answer: no validation, so a status word the SDK's
    # Literal lacks (Together's `user_error`) comes through as the service sent it.
    return FinetuneResponse.construct(**body)


def sdk_events(*rows: dict[str, Any]) -> list[Any]:
    data = [
        {"object": "fine-tune-event", "created_at": "2026-01-02T03:04:05Z", "type": "job_start"}
        | {"message": f"event {i}"}
        | row
        for i, row in enumerate(rows)
    ]
    return list(FineTuningListEventsResponse.model_validate({"data": data}).data)


# -- statuses and jobs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("pending", JobStatus.QUEUED),
        ("queued", JobStatus.QUEUED),
        ("running", JobStatus.RUNNING),
        ("compressing", JobStatus.RUNNING),
        ("uploading", JobStatus.RUNNING),
        ("cancel_requested", JobStatus.CANCELLING),
        ("cancelled", JobStatus.CANCELLED),
        ("error", JobStatus.FAILED),
        ("user_error", JobStatus.FAILED),
        ("completed", JobStatus.SUCCEEDED),
        ("something_new", JobStatus.QUEUED),
        (None, JobStatus.QUEUED),
    ],
)
def test_status_words(word: str | None, status: JobStatus) -> None:
    assert convert.job_status(word) is status


def test_a_running_job() -> None:
    job = convert.job_from_sdk(sdk_job(), now=1_000_000.0)
    assert isinstance(job, Job) and job.id == JOB
    assert job.status is JobStatus.RUNNING and job.service_status == "running"
    assert job.created_at == 1767323045  # 2026-01-02T03:04:05Z, milliseconds dropped
    assert job.finished_at is None and job.estimated_finish == 1_000_090
    assert job.fine_tuned_model == "acct/Meta-Llama-3.1-8B-Instruct-Reference-demo-1a2b3c4d"
    assert job.method == "supervised" and job.trained_tokens == 1234
    assert job.hyperparameters == {
        "n_epochs": 2,
        "batch_size": 8,
        "learning_rate": 1e-5,
        "lora": True,
        "lora_r": 16,
        "lora_alpha": 32,
    }
    assert job.result_files == () and job.error is None


def test_a_finished_full_dpo_job() -> None:
    job = convert.job_from_sdk(
        sdk_job(
            status="completed",
            training_type={"type": "Full"},
            training_method={"method": "dpo", "dpo_beta": 0.3},
            n_evals=2,
            validation_file="file-2",
        )
    )
    assert job.status is JobStatus.SUCCEEDED and job.finished_at == 1767323645
    assert job.estimated_finish is None  # seconds_remaining counts to the next status only
    assert job.method == "dpo" and job.validation_file == "file-2"
    assert job.hyperparameters["lora"] is False and job.hyperparameters["beta"] == 0.3
    assert job.hyperparameters["n_evals"] == 2 and "lora_r" not in job.hyperparameters


def test_a_failed_job_takes_its_reason_from_the_last_error_event() -> None:
    error_events = [
        {"object": "fine-tune-event", "created_at": "2026-01-02T03:04:05Z", "message": "created",
         "type": "job_pending", "level": "info"},
        {"object": "fine-tune-event", "created_at": "2026-01-02T03:05:05Z",
         "message": "Invalid file format. Line 3: no assistant message.", "type": "job_error",
         "level": "error"},
    ]  # fmt: skip
    job = convert.job_from_sdk(sdk_job(status="error", events=error_events))
    assert job.status is JobStatus.FAILED and job.error is not None
    assert (job.error.code, job.error.message) == (
        "job_error",
        "Invalid file format. Line 3: no assistant message.",
    )
    quiet = convert.job_from_sdk(sdk_job(status="user_error"))
    assert quiet.status is JobStatus.FAILED and quiet.error is not None
    assert quiet.error.message.startswith("Together reports the job as user_error")


# -- events --------------------------------------------------------------------------------------


def test_event_levels_and_steps() -> None:
    found = sdk_events(
        {"level": "warning", "type": "warning"},
        {"level": "legacy_ierror", "type": "job_error"},
        {"type": "job_error"},
        {"level": "legacy_info", "type": "epoch_complete", "step": 3, "total_steps": 9},
    )
    converted = [convert.event_from_sdk(event, f"{JOB}:{i}") for i, event in enumerate(found)]
    assert [e.level for e in converted] == ["warn", "error", "error", "info"]
    assert all(e.type == "message" for e in converted)
    epoch = converted[-1]
    assert epoch.metrics is not None and (epoch.metrics.step, epoch.metrics.total_steps) == (3, 9)
    assert epoch.metrics.train_loss is None
    assert epoch.data == {"type": "epoch_complete", "step": 3, "total_steps": 9}
    assert converted[0].metrics is None


def test_an_event_with_a_loss_is_a_metrics_event() -> None:
    # No Together event carries a loss today; should one (an extra field), it is charted.
    [event] = sdk_events({"type": "epoch_complete", "step": 4, "total_steps": 8, "loss": 0.9})
    converted = convert.event_from_sdk(event, f"{JOB}:0")
    assert converted.type == "metrics" and converted.metrics is not None
    assert (converted.metrics.step, converted.metrics.train_loss) == (4, 0.9)


def test_event_pages_walk_the_list_newest_first_while_it_grows() -> None:
    listed = sdk_events(*({"type": "job_start"} for _ in range(7)))
    first = events.events_page(JOB, listed[:5], None, 2)
    assert [e.id for e in first.events] == [f"{JOB}:4", f"{JOB}:3"] and first.has_more
    # Two events arrive before the next page: it carries on below, no repeat, no gap.
    second = events.events_page(JOB, listed, first.events[-1].id, 2)
    assert [e.id for e in second.events] == [f"{JOB}:2", f"{JOB}:1"] and second.has_more
    last = events.events_page(JOB, listed, second.events[-1].id, 2)
    assert [e.id for e in last.events] == [f"{JOB}:0"] and not last.has_more
    assert [e.message for e in last.events] == ["event 0"]
    top = events.events_page(JOB, listed, None, 50)
    assert [e.id for e in top.events] == [f"{JOB}:{i}" for i in range(6, -1, -1)]
    assert events.events_page(JOB, [], None, 50).events == ()
    for bad in ("ft-other:1", f"{JOB}:x", "nothing"):
        with pytest.raises(ServiceError) as caught:
            events.events_page(JOB, listed, bad, 2)
        assert caught.value.kind is ErrorKind.INVALID_REQUEST


# -- files, checkpoints, metrics, limits, prices -------------------------------------------------


def sdk_file(**fields: Any) -> FileResponse:
    body = {
        "id": "file-1",
        "bytes": 10,
        "created_at": 1767323045,
        "filename": "train.jsonl",
        "FileType": "jsonl",
        "object": "file",
        "purpose": "fine-tune",
        **fields,
    }
    return FileResponse.model_validate(body)


def test_file_checks() -> None:
    ok = sdk_file(processing_status="COMPLETED", validation_report={"valid": True})
    assert convert.file_refusal(ok) is None
    assert convert.file_refusal(sdk_file(processing_status="PENDING")) is None
    assert convert.file_refusal(sdk_file()) is None
    bad = sdk_file(
        processing_status="INVALID_FORMAT",
        validation_report={"valid": False, "error": "Line 2 is not JSON."},
    )
    assert convert.file_refusal(bad) == "Line 2 is not JSON."
    assert convert.file_refusal(sdk_file(processing_status="FAILED")) == (
        "its check ended in FAILED"
    )
    stored = convert.file_from_sdk(ok)
    assert (stored.id, stored.filename, stored.bytes, stored.status) == (
        "file-1",
        "train.jsonl",
        10,
        "COMPLETED",
    )


def test_checkpoints_newest_first_with_unique_ids() -> None:
    items = [
        {"step": 3, "path": "s3://a/3", "created_at": "2026-01-02T03:04:05Z",
         "checkpoint_type": "Intermediate", "checkpoint": "model"},
        {"step": 9, "path": "s3://a/9", "created_at": "2026-01-02T03:09:05Z",
         "checkpoint_type": "Final Merged", "checkpoint": "model"},
        {"step": 9, "path": "s3://a/9a", "created_at": "2026-01-02T03:09:05Z",
         "checkpoint_type": "Final Adapter", "checkpoint": "adapter"},
    ]  # fmt: skip
    found = convert.checkpoints_from_sdk(JOB, items)
    assert [(c.id, c.step) for c in found] == [
        (f"{JOB}:9", 9),
        (f"{JOB}:9:adapter", 9),
        (f"{JOB}:3", 3),
    ]
    assert all(c.model is None for c in found)


def test_metric_rows_merge_by_step() -> None:
    rows = [
        {"train/loss": 2.0, "train/global_step": 1, "train/learning_rate": 1e-5},
        {"train/loss": 1.5, "train/global_step": 2},
        {"eval/loss": 1.7, "train/global_step": 2},
        {"timestamp": 5.0},  # no step: skipped
    ]
    points = convert.metric_points(rows, 2)
    assert [(p.step, p.train_loss, p.valid_loss, p.total_steps) for p in points] == [
        (1, 2.0, None, 2),
        (2, 1.5, 1.7, 2),
    ]


def test_limits_and_prices() -> None:
    limits = FinetuneModelLimits.model_validate(
        {
            "model_name": "Qwen/Qwen2.5-7B-Instruct",
            "default_gradient_accumulation_steps": 1,
            "lora_training": {
                "default_rank": 64,
                "max_batch_size": 16,
                "max_batch_size_dpo": 8,
                "max_rank": 64,
                "min_batch_size": 4,
                "target_modules": ["q_proj"],
            },
            "full_training": {"max_batch_size": 0, "max_batch_size_dpo": 0, "min_batch_size": 0},
            "max_learning_rate": 1.0,
            "min_learning_rate": 1e-6,
            "max_num_checkpoints": 20,
            "max_num_epochs": 20,
            "max_num_evals": 100,
            "max_seq_length_dpo": 16384,
            "max_seq_length_sft": 32768,
            "merge_output_lora": True,
            "min_max_seq_length": 1024,
            "supports_full_training": False,
            "supports_reasoning": False,
            "supports_tools": True,
            "supports_vision": False,
        }
    )
    ours = convert.limits_from_sdk(limits, "asked")
    assert ours.model == "Qwen/Qwen2.5-7B-Instruct"
    assert (ours.max_tokens, ours.max_tokens_dpo, ours.max_epochs) == (32768, 16384, 20)
    assert ours.lora and not ours.full
    assert (ours.min_batch_size, ours.max_batch_size) == (4, 16)
    assert (ours.min_learning_rate, ours.max_learning_rate) == (1e-6, 1.0)

    fine = convert.price_from_sdk(
        AvailableEstimate.model_validate(
            {
                "estimation_available": True,
                "estimated_total_price": 3.5,
                "estimated_train_token_count": 120000.0,
                "allowed_to_proceed": True,
            }
        )
    )
    assert (fine.dollars, fine.trained_tokens, fine.allowed, fine.note) == (3.5, 120000, True, None)
    over = convert.price_from_sdk(
        AvailableEstimate.model_validate(
            {
                "estimation_available": True,
                "estimated_total_price": 250.0,
                "allowed_to_proceed": False,
                "user_limit": 100.0,
            }
        )
    )
    assert not over.allowed and over.note is not None
    assert over.note.startswith("Together estimates $250.00, more than the account's credit")


# -- the spec ------------------------------------------------------------------------------------


def test_a_supervised_spec_as_togethers_fields() -> None:
    spec = JobSpec(
        "m",
        "file-1",
        "file-2",
        suffix="s",
        seed=5,
        hyperparameters=Hyperparameters(n_epochs=4, batch_size=16, learning_rate=3e-5),
        lora=False,
    )
    assert specs.create_kwargs(spec) == {
        "model": "m",
        "training_file": "file-1",
        "validation_file": "file-2",
        "n_evals": 4,
        "training_method": "sft",
        "train_on_inputs": "auto",
        "lora": False,
        "n_epochs": 4,
        "suffix": "s",
        "random_seed": 5,
        "batch_size": 16,
        "learning_rate": 3e-5,
    }


def test_autos_and_dpo() -> None:
    hyper = Hyperparameters(
        n_epochs="auto", batch_size="auto", learning_rate_multiplier="auto", beta=0.2
    )
    sent = specs.create_kwargs(JobSpec("m", "file-1", method="dpo", hyperparameters=hyper))
    assert sent == {
        "model": "m",
        "training_file": "file-1",
        "training_method": "dpo",
        "lora": None,
        "batch_size": "max",
        "dpo_beta": 0.2,
    }
    beta_auto = specs.create_kwargs(
        JobSpec("m", "f", method="dpo", hyperparameters=Hyperparameters(beta="auto"))
    )
    assert "dpo_beta" not in beta_auto and "train_on_inputs" not in beta_auto
    # beta belongs to DPO only: a supervised job does not send it.
    plain = specs.create_kwargs(JobSpec("m", "f", hyperparameters=Hyperparameters(beta=0.5)))
    assert "dpo_beta" not in plain and plain["training_method"] == "sft"


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (JobSpec("m", "f", suffix="a" * 41), "at most 40 characters (got 41)"),
        (
            JobSpec("m", "f", hyperparameters=Hyperparameters(learning_rate_multiplier=0.5)),
            "Together takes an absolute learning rate",
        ),
        (JobSpec("m", "f", metadata={"k": "v"}), "Together keeps no metadata"),
        (
            JobSpec("m", "f", hyperparameters=Hyperparameters(learning_rate=-1.0)),
            "learning_rate must be a positive number",
        ),
    ],
)
def test_refusals(spec: JobSpec, words: str) -> None:
    with pytest.raises(ServiceError) as caught:
        specs.create_kwargs(spec)
    assert caught.value.kind is ErrorKind.INVALID_REQUEST
    assert caught.value.message.startswith("Invalid job: ") and words in caught.value.message


def test_empty_metadata_passes() -> None:
    assert specs.refusal(JobSpec("m", "f", metadata={})) is None


# -- the base URL and the model list -------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "sdk"),
    [
        ("https://api.together.xyz/v1", "https://api.together.xyz"),
        ("https://api.together.xyz/v1/", "https://api.together.xyz"),
        ("https://api.together.ai", "https://api.together.ai"),
        ("http://127.0.0.1:8080/together/v1", "http://127.0.0.1:8080/together"),
        ("http://127.0.0.1:8080/together", "http://127.0.0.1:8080/together"),
    ],
)
def test_sdk_base_url(where: str, sdk: str) -> None:
    assert sdk_base_url(where) == sdk


def test_models_trained_first_then_chat_models() -> None:
    def job(ident: str, status: JobStatus, output: str, finished: int) -> Job:
        return Job(ident, status, "base", 1, fine_tuned_model=output, finished_at=finished)

    jobs = [
        job("ft-1", JobStatus.SUCCEEDED, "acct/old", 10),
        job("ft-2", JobStatus.SUCCEEDED, "acct/new", 20),
        job("ft-3", JobStatus.RUNNING, "acct/running", 0),
        job("ft-4", JobStatus.FAILED, "acct/failed", 30),
    ]
    listed = [
        {"id": "b/chat-2", "type": "chat", "created": 5},
        {"id": "a/chat-1", "type": "chat"},
        {"id": "e/embed", "type": "embedding"},
        {"id": "acct/new", "type": "chat"},
        {"id": "u/untyped"},
        {"no": "id"},
    ]
    found = models.chat_models(jobs, listed)
    assert [(m.id, m.kind, m.job_id) for m in found] == [
        ("acct/new", "fine_tuned", "ft-2"),
        ("acct/old", "fine_tuned", "ft-1"),
        ("a/chat-1", "base", None),
        ("b/chat-2", "base", None),
        ("u/untyped", "base", None),
    ]
    assert [m.id for m in models.chat_models([], {"data": listed[:1]})] == ["b/chat-2"]
    assert models.chat_models([], None) == []


# -- errors --------------------------------------------------------------------------------------


def test_status_errors_in_togethers_words() -> None:
    auth = status_error_for(401, "Invalid API key provided.", code=None, headers={}, model=None)
    assert auth.kind is ErrorKind.AUTH and "TOGETHER_API_KEY" in auth.message
    assert "OPENAI" not in auth.message
    for said in (
        "Model x/y is not supported for fine-tuning.",
        "Unable to access model x/y. Please visit https://api.together.xyz.",
    ):
        error = status_error_for(400, said, code=None, headers={}, model="x/y")
        assert error.kind is ErrorKind.MODEL_UNAVAILABLE
        assert error.message.startswith("x/y is not available on Together: ")
        assert error.message.endswith("Pick a current model.")
    by_code = status_error_for(404, "nope", code="model_not_found", headers={}, model="x/y")
    assert by_code.kind is ErrorKind.MODEL_UNAVAILABLE and "OpenAI" not in by_code.message
    closed = status_error_for(
        400, "Fine-tuning is no longer available.", code=None, headers={}, model=None
    )
    assert closed.kind is ErrorKind.FINE_TUNING_CLOSED
    assert "OpenAI" not in closed.message and "profile" not in closed.message
    limited = status_error_for(
        429, "slow down", code=None, headers={"retry-after": "3"}, model=None
    )
    assert limited.kind is ErrorKind.RATE_LIMITED and limited.retry_after == 3.0
    assert status_error_for(502, "", code=None, headers={}, model=None).kind is ErrorKind.SERVER


def test_sdk_and_transport_exceptions() -> None:
    response = httpx.Response(404, request=REQUEST)
    body = {"error": {"message": "Fine-tune job ft-x not found", "code": "not_found"}}
    missing = translate(together.NotFoundError("Error code: 404", response=response, body=body))
    assert missing.kind is ErrorKind.NOT_FOUND and missing.code == "not_found"
    assert "Fine-tune job ft-x not found" in missing.message

    refused = httpx.ConnectError("[Errno 111] Connection refused", request=REQUEST)
    try:
        raise together.APIConnectionError(request=REQUEST) from refused
    except together.APIConnectionError as exc:
        wrapped = exc
    unreachable = translate(wrapped, "http://127.0.0.1:9/v1")
    assert unreachable.kind is ErrorKind.CONNECTION
    assert unreachable.message.startswith("Cannot reach http://127.0.0.1:9/v1 (")

    assert translate(httpx.ReadTimeout("slow", request=REQUEST)).kind is ErrorKind.TIMEOUT
    assert translate(together.APITimeoutError(REQUEST)).kind is ErrorKind.TIMEOUT
    dropped = translate(httpx.RemoteProtocolError("peer closed", request=REQUEST))
    assert dropped.kind is ErrorKind.DROPPED and dropped.retryable
    in_stream = translate(
        together.APIError("overloaded", REQUEST, body={"message": "The model is overloaded"})
    )
    assert in_stream.kind is ErrorKind.SERVER and "The model is overloaded" in in_stream.message
    assert translate(ValueError("odd")).kind is ErrorKind.UNKNOWN
    same = ServiceError(ErrorKind.AUTH, "x")
    assert translate(same) is same


def test_limits_say_whether_the_model_takes_images_and_tools() -> None:
    from types import SimpleNamespace

    from tuner.api.providers.together.convert import limits_from_sdk

    said = SimpleNamespace(model_name="m", supports_vision=False, supports_tools=True)
    limits = limits_from_sdk(said, "m")
    assert limits.vision is False and limits.tools is True
    assert limits_from_sdk(SimpleNamespace(model_name="m"), "m").vision is None
