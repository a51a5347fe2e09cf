"""The Together AI implementation of the service seam: the official `together` SDK over a real
socket against the emulator's Together dialect, for every call the service makes.

Two emulators: a fast one (a small job finishes in tens of milliseconds) for calls that only
need a finished job, and a still one (`speed=0.001`) that the tests move with `advance()`, so a
job is exactly where a test puts it. Nothing sleeps a fixed time: every wait is for a condition.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import DEADLINE, TEST_KEY, chat_example, finish, wait_async, write_jsonl
from tuner.api.chat.request import ChatDelta, ChatDone, ChatRequest
from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.jobs.follower import EventFollower, FollowState
from tuner.api.jobs.spec import Hyperparameters, JobSpec
from tuner.api.open import open_service
from tuner.api.providers.together import CAPABILITIES, TogetherService
from tuner.api.providers.together.client import make_client
from tuner.api.types import Job, JobEvent, JobStatus, RemoteFile
from tuner.config import Connection, Secret
from tuner.emulator import Emulator, Fault, Hold
from tuner.emulator.together import catalog
from tuner.emulator.together import jobs as sim

from .conftest import FAST_POLL

BASE = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
BIG = "meta-llama/Meta-Llama-3.1-70B-Instruct-Reference"
LORA_ONLY = "Qwen/Qwen2.5-7B-Instruct"


# -- the emulator, the connection, the service ---------------------------------------------------


def connection_to(emu: Emulator, key: str | None = TEST_KEY, *, v1: bool = True) -> Connection:
    """A Together profile pointed at the emulator, written as a user writes Together's URL."""
    base = emu.together_base_url + ("/v1" if v1 else "")
    return Connection(
        profile_name="together",
        kind="together",
        base_url=base,
        api_key=Secret(key) if key is not None else None,
    )


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(speed=1000, seed=7, api_key=TEST_KEY) as emulator:
        yield emulator


@pytest.fixture
def still() -> Iterator[Emulator]:
    """An emulator whose clock barely moves by itself: the tests move it with `advance()`."""
    with Emulator(speed=0.001, seed=8, api_key=TEST_KEY) as emulator:
        yield emulator


@pytest.fixture
async def service(emu: Emulator) -> AsyncIterator[Any]:
    opened = open_service(connection_to(emu))
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def still_service(still: Emulator) -> AsyncIterator[Any]:
    opened = open_service(connection_to(still))
    try:
        yield opened
    finally:
        await opened.close()


def preference_rows(count: int, padding: int = 0) -> list[dict[str, Any]]:
    """Valid preference (DPO) examples; `padding` characters make each one longer."""
    pad = "x" * padding
    return [
        {
            "input": {"messages": [{"role": "user", "content": f"What is {i} + {i}? {pad}"}]},
            "preferred_output": [{"role": "assistant", "content": f"{2 * i}"}],
            "non_preferred_output": [{"role": "assistant", "content": f"{2 * i + 1}"}],
        }
        for i in range(count)
    ]


def server_events(emu: Emulator, job_id: str) -> list[dict[str, Any]]:
    """The job's events as the emulated service holds them, oldest first (ground truth)."""
    state = emu.together.state
    with state.lock:
        state.tick()
        return [dict(event) for event in state.jobs[job_id].events]


def server_status(emu: Emulator, job_id: str) -> str:
    state = emu.together.state
    with state.lock:
        state.tick()
        return str(state.jobs[job_id].status)


def server_spec(emu: Emulator, job_id: str) -> Any:
    """What the emulated service made of the create request (ground truth of what was sent)."""
    with emu.together.state.lock:
        return emu.together.state.jobs[job_id].spec


async def trained(service: Any, emu: Emulator, train_file: Path, **spec: Any) -> Job:
    uploaded = await service.upload_file(train_file)
    job = await service.create_job(JobSpec(BASE, uploaded.id, **spec))
    done = await finish(emu, service, job.id, step=60)
    assert done.status is JobStatus.SUCCEEDED
    return done


def errors_never_show(error: ServiceError, *secrets: str) -> None:
    for secret in (TEST_KEY, *secrets):
        assert secret not in error.message and secret not in repr(error)


# -- connecting ----------------------------------------------------------------------------------


def test_importing_the_package_does_not_import_the_sdk() -> None:
    modules = (
        "tuner.api.providers.together",
        "tuner.api.providers.together.chat",
        "tuner.api.providers.together.client",
        "tuner.api.providers.together.convert",
        "tuner.api.providers.together.errors",
        "tuner.api.providers.together.events",
        "tuner.api.providers.together.models",
        "tuner.api.providers.together.specs",
        "tuner.api.providers.together.uploads",
    )
    code = (
        f"import {', '.join(modules)}\n"
        "import sys\n"
        "print(*(name in sys.modules for name in ('together', 'httpx', 'openai', 'textual')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.split() == ["False"] * 4


def test_no_key_names_the_together_variable(emu: Emulator) -> None:
    with pytest.raises(ServiceError) as caught:
        open_service(connection_to(emu, key=None))
    assert caught.value.kind is ErrorKind.NO_KEY
    assert "TOGETHER_API_KEY" in caught.value.message
    assert "OPENAI" not in caught.value.message


@pytest.mark.parametrize("v1", [True, False])
async def test_the_base_url_works_with_or_without_v1(emu: Emulator, v1: bool) -> None:
    service = open_service(connection_to(emu, v1=v1))
    try:
        assert isinstance(service, TogetherService)
        assert service.where == emu.together_base_url + ("/v1" if v1 else "")
        assert (await service.list_jobs()).jobs == ()
    finally:
        await service.close()


async def test_the_default_address_is_togethers() -> None:
    connection = Connection(profile_name="t", kind="together", api_key=Secret(TEST_KEY))
    service = open_service(connection)  # builds the client; sends nothing
    try:
        assert service.where == connection.where.rstrip("/")
    finally:
        await service.close()
    async with make_client(connection) as client:  # the SDK client the service is built on
        sdk_url = str(client.base_url).rstrip("/")
    assert sdk_url.startswith("https://api.together.") and not sdk_url.endswith("/v1")


def test_capabilities_and_no_pause_or_resume(service: Any) -> None:
    caps = service.capabilities
    assert caps is CAPABILITIES and caps.service == "Together AI"
    assert caps.checkpoints and caps.dpo and caps.price_estimate and caps.result_metrics
    assert caps.lora_choice and caps.absolute_learning_rate
    assert not caps.pause_resume and not caps.uploads_in_parts
    assert not caps.models_need_deployment


async def test_pause_and_resume_are_refused_in_words(service: Any) -> None:
    for call in (service.pause_job, service.resume_job):
        with pytest.raises(ServiceError) as caught:
            await call("ft-anything")
        assert caught.value.kind is ErrorKind.INVALID_REQUEST
        assert caught.value.message == "Together AI cannot pause or resume a job."


async def test_without_retries_shares_the_pool_and_stops_retrying(
    emu: Emulator, service: Any
) -> None:
    quiet = service.without_retries()
    await service.list_jobs()
    await quiet.list_jobs()
    assert emu.open_connections == 1  # one connection pool: the second request reused it
    emu.faults.add(Fault(path_pattern=r"/together/v1/fine-tunes$", status=500))
    with pytest.raises(ServiceError) as caught:
        await quiet.list_jobs()
    assert caught.value.kind is ErrorKind.SERVER
    # The SDK's own retry gets past one failure.
    emu.faults.add(Fault(path_pattern=r"/together/v1/fine-tunes$", status=500))
    assert (await service.list_jobs()).jobs == ()
    assert len(emu.faults) == 0


# -- files ---------------------------------------------------------------------------------------


@pytest.fixture
def bad_train_file(tmp_path: Path) -> Path:
    """A file Together refuses (its rules, not OpenAI's: one example is enough there, but a
    conversation needs an assistant turn to train on)."""
    rows = [{"messages": [{"role": "user", "content": f"hi {i}"}]} for i in range(12)]
    path = tmp_path / "small.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


async def test_upload_reports_progress_and_the_file_is_stored(
    emu: Emulator, service: Any, train_file: Path
) -> None:
    service.upload_chunk_size = 256
    seen: list[tuple[int, int]] = []
    uploaded = await service.upload_file(train_file, lambda sent, total: seen.append((sent, total)))
    size = train_file.stat().st_size
    assert isinstance(uploaded, RemoteFile)
    assert uploaded.filename == "train.jsonl" and uploaded.bytes == size
    assert uploaded.purpose == "fine-tune" and uploaded.status == "COMPLETED"
    assert len(seen) > 3 and {total for _, total in seen} == {size}
    counts = [sent for sent, _ in seen]
    assert counts == sorted(set(counts)) and counts[-1] == size  # forward only, ends at total
    assert [f.id for f in await service.list_files()] == [uploaded.id]
    assert await service.file_content(uploaded.id) == train_file.read_bytes()
    saved = train_file.parent / "saved" / "copy.jsonl"
    assert await service.save_file(uploaded.id, saved) == size
    assert saved.read_bytes() == train_file.read_bytes()
    # The same bytes again: Together answers with the file it holds, not a second copy.
    again = await service.upload_file(train_file)
    assert again.id == uploaded.id and len(emu.together.state.files) == 1
    await service.delete_file(uploaded.id)
    with pytest.raises(ServiceError) as caught:
        await service.file_content(uploaded.id)
    assert caught.value.kind is ErrorKind.NOT_FOUND
    assert await service.list_files() == []


async def test_a_file_together_refuses(
    emu: Emulator, service: Any, bad_train_file: Path, tmp_path: Path
) -> None:
    with pytest.raises(ServiceError) as caught:
        await service.upload_file(bad_train_file)
    assert caught.value.kind is ErrorKind.INVALID_REQUEST
    assert caught.value.message.startswith("Together refused small.jsonl (file file-")
    assert "Invalid file format" in caught.value.message
    # A type Together does not take is refused before anything is sent.
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    before = len(emu.together.state.files)
    with pytest.raises(ServiceError, match=r"\.jsonl, \.parquet and \.csv") as caught:
        await service.upload_file(notes)
    assert caught.value.kind is ErrorKind.INVALID_REQUEST
    assert len(emu.together.state.files) == before


async def test_a_file_too_big_for_one_piece_is_refused_before_sending(
    emu: Emulator, service: Any, train_file: Path
) -> None:
    service.single_upload_limit = 1000  # Together's is 5 GiB; above it, it wants parts
    with pytest.raises(ServiceError) as caught:
        await service.upload_file(train_file)
    assert caught.value.kind is ErrorKind.INVALID_REQUEST
    assert caught.value.message.startswith("train.jsonl is 3.1 KB; tuner uploads files of up ")
    assert "together files upload" in caught.value.message
    assert not emu.together.state.files


@pytest.mark.parametrize(
    "refusal",
    [
        pytest.param(None, id="s3-400-EntityTooLarge-xml"),
        pytest.param(Fault(r"/together/_presigned/", status=413, method="PUT"), id="413"),
    ],
)
async def test_a_put_the_storage_host_refuses_as_too_large_says_so(
    emu: Emulator, service: Any, train_file: Path, refusal: Fault | None
) -> None:
    """The presigned PUT goes to a storage host, not to Together's API: S3 refuses an object
    too large with a 400 whose XML says `EntityTooLarge` (the emulator's storage takes at most
    `max_body_bytes`), another host with a 413. Either is said as the step that failed."""
    if refusal is None:
        emu.max_body_bytes = 2000  # the form of the POST fits; the 3.1 KB file does not
    else:
        emu.faults.add(refusal)
    with pytest.raises(ServiceError) as caught:
        await service.upload_file(train_file)
    assert caught.value.message == (
        "The storage host refused the upload of train.jsonl (3.1 KB): too large"
    )
    assert caught.value.kind is ErrorKind.INVALID_REQUEST
    assert not any(f.uploaded for f in emu.together.state.files.values())


async def test_the_storage_host_gone_mid_put_is_named(
    emu: Emulator, service: Any, tmp_path: Path
) -> None:
    """The storage host hangs up while the bytes go out: that step is named, not "the
    connection dropped before the reply was complete"."""
    path = write_jsonl(tmp_path / "big.jsonl", [chat_example(i) for i in range(3000)])
    service.upload_chunk_size = 16 * 1024
    emu.faults.add(Fault(r"/together/_presigned/", method="PUT", drop_during_upload=True))
    with pytest.raises(ServiceError) as caught:
        await service.upload_file(path)
    assert caught.value.kind is ErrorKind.DROPPED
    assert caught.value.message.startswith(
        "The connection to the storage host dropped while uploading big.jsonl ("
    )
    assert caught.value.message.endswith(" sent)")
    assert not any(f.uploaded for f in emu.together.state.files.values())


async def test_cancelling_an_upload_abandons_it(service: Any, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "big.jsonl", [chat_example(i) for i in range(400)])
    service.upload_chunk_size = 1024
    calls: list[int] = []

    async def upload() -> RemoteFile:
        task = asyncio.current_task()
        assert task is not None

        def progress(sent: int, total: int) -> None:
            calls.append(sent)
            if len(calls) == 2:
                task.cancel()  # the user pressed escape halfway

        return await service.upload_file(path, progress)

    task = asyncio.create_task(upload())
    with pytest.raises(asyncio.CancelledError):
        await task
    assert calls[-1] < path.stat().st_size
    assert await service.list_files() == []  # nothing was stored
    assert (await service.list_jobs()).jobs == ()  # and the client is still usable


# -- creating jobs -------------------------------------------------------------------------------


async def test_create_supervised_maps_tuners_spec_to_togethers_fields(
    emu: Emulator, service: Any, train_file: Path, tmp_path: Path
) -> None:
    train = await service.upload_file(train_file)
    valid_path = write_jsonl(tmp_path / "valid.jsonl", [chat_example(i + 50) for i in range(10)])
    valid = await service.upload_file(valid_path)
    hyper = Hyperparameters(
        n_epochs=3, batch_size="auto", learning_rate=2e-5, learning_rate_multiplier="auto"
    )
    spec = JobSpec(
        BASE, train.id, valid.id, suffix="x" * 40, seed=11, hyperparameters=hyper, lora=True
    )
    job = await service.create_job(spec)
    assert isinstance(job, Job) and job.id.startswith("ft-")
    assert job.status is JobStatus.QUEUED and job.service_status == "pending"
    assert job.method == "supervised" and job.suffix == "x" * 40
    assert job.training_file == train.id and job.validation_file == valid.id
    assert job.fine_tuned_model and job.fine_tuned_model.startswith(f"{catalog.ACCOUNT}/")
    assert job.hyperparameters["n_epochs"] == 3 and job.hyperparameters["batch_size"] == 8
    assert job.hyperparameters["learning_rate"] == 2e-5 and job.hyperparameters["lora"] is True
    sent = server_spec(emu, job.id)
    assert sent.random_seed == 11 and sent.n_epochs == 3 and sent.learning_rate == 2e-5
    assert sent.training_type["type"] == "Lora" and sent.batch_size == 8  # "auto" is "max"
    assert sent.training_method == {"method": "sft", "train_on_inputs": "auto"}
    assert sent.validation_file == valid.id and sent.n_evals == 3  # once per epoch


@pytest.mark.parametrize(("lora", "training_type"), [(None, "Lora"), (False, "Full")])
async def test_create_leaves_lora_to_the_service_or_trains_in_full(
    emu: Emulator, service: Any, train_file: Path, lora: bool | None, training_type: str
) -> None:
    train = await service.upload_file(train_file)
    job = await service.create_job(JobSpec(BASE, train.id, lora=lora))
    assert server_spec(emu, job.id).training_type["type"] == training_type
    assert job.hyperparameters["lora"] is (training_type == "Lora")
    assert server_spec(emu, job.id).n_evals == 0  # no validation file, no evaluations


async def test_create_dpo(emu: Emulator, service: Any, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "prefs.jsonl", preference_rows(12))
    uploaded = await service.upload_file(path)
    hyper = Hyperparameters(beta=0.25, n_epochs=2)
    job = await service.create_job(
        JobSpec(LORA_ONLY, uploaded.id, method="dpo", hyperparameters=hyper)
    )
    assert job.method == "dpo" and job.hyperparameters["beta"] == 0.25
    sent = server_spec(emu, job.id)
    assert sent.training_method["method"] == "dpo" and sent.training_method["dpo_beta"] == 0.25
    done = await finish(emu, service, job.id, step=60)
    assert done.status is JobStatus.SUCCEEDED and done.method == "dpo"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"suffix": "s" * 41}, "at most 40 characters"),
        (
            {"hyperparameters": Hyperparameters(learning_rate_multiplier=2.0)},
            "Together takes an absolute learning rate",
        ),
        ({"metadata": {"team": "search"}}, "no metadata"),
        ({"hyperparameters": Hyperparameters(n_epochs=60)}, "n_epochs"),
        ({"hyperparameters": Hyperparameters(batch_size=64)}, "batch_size must be from 8"),
        (
            {"hyperparameters": Hyperparameters(batch_size=64), "lora": True},
            "Requested batch size of 64 is higher",  # the SDK's own check, before sending
        ),
        ({"lora": False, "model": LORA_ONLY}, "Full training is not supported"),
        ({"training_file": "file-nope"}, "file-nope does not exist"),  # not a model refusal
    ],
)
async def test_refused_specs(
    emu: Emulator, service: Any, train_file: Path, change: dict[str, Any], words: str
) -> None:
    train = await service.upload_file(train_file)
    fields: dict[str, Any] = {"model": BASE, "training_file": train.id, **change}
    with pytest.raises(ServiceError) as caught:
        await service.create_job(JobSpec(**fields))
    assert caught.value.kind is ErrorKind.INVALID_REQUEST
    assert words in caught.value.message
    assert not emu.together.state.jobs


async def test_an_unknown_model_is_unavailable(
    emu: Emulator, service: Any, train_file: Path
) -> None:
    train = await service.upload_file(train_file)
    with pytest.raises(ServiceError) as caught:
        await service.create_job(JobSpec("nobody/no-such-model", train.id))
    error = caught.value
    assert error.kind is ErrorKind.MODEL_UNAVAILABLE
    assert error.message.startswith("Together does not fine-tune nobody/no-such-model")
    assert "OpenAI" not in error.message and "profile" not in error.message
    assert not emu.together.state.jobs


# -- listing, retrieving, cancelling -------------------------------------------------------------


async def test_list_pages_newest_first_retrieve_and_cancel(
    still: Emulator, still_service: Any, train_file: Path
) -> None:
    train = await still_service.upload_file(train_file)
    made = []
    for suffix in ("one", "two", "three"):
        made.append(await still_service.create_job(JobSpec(BASE, train.id, suffix=suffix)))
        still.advance(1)  # distinct creation times
    first = await still_service.list_jobs(limit=2)
    assert [job.id for job in first.jobs] == [made[2].id, made[1].id] and first.has_more
    assert [job.suffix for job in first.jobs] == ["three", "two"]
    rest = await still_service.list_jobs(after=first.jobs[-1].id, limit=2)
    assert [job.id for job in rest.jobs] == [made[0].id] and not rest.has_more
    with pytest.raises(ServiceError) as caught:
        await still_service.list_jobs(after="ft-gone")
    assert caught.value.kind is ErrorKind.NOT_FOUND

    assert (await still_service.retrieve_job(made[0].id)).id == made[0].id
    cancelling = await still_service.cancel_job(made[0].id)
    assert cancelling.status is JobStatus.CANCELLING
    assert cancelling.service_status == "cancel_requested"
    still.advance(sim.CANCEL_SECONDS + 0.5)
    cancelled = await still_service.retrieve_job(made[0].id)
    assert cancelled.status is JobStatus.CANCELLED and cancelled.finished_at is not None
    with pytest.raises(ServiceError) as caught:
        await still_service.cancel_job(made[0].id)
    assert caught.value.kind is ErrorKind.INVALID_REQUEST
    with pytest.raises(ServiceError) as caught:
        await still_service.retrieve_job("ft-00000000-0000-4000-8000-000000000000")
    assert caught.value.kind is ErrorKind.NOT_FOUND


async def test_statuses_through_a_whole_run(
    still: Emulator, still_service: Any, train_file: Path
) -> None:
    train = await still_service.upload_file(train_file)
    hyper = Hyperparameters(n_epochs=2)
    job = await still_service.create_job(JobSpec(BASE, train.id, hyperparameters=hyper))
    seen = [(job.service_status, job.status)]
    end = sim.TRAINING_AT + 6 * sim.MAX_STEP_SECONDS  # 20 examples / batch 8 = 3 steps x 2
    clock = 0.0
    running: Job | None = None
    for at in (3.0, 5.5, 10.5, end + 1.5, end + 3.0, end + 6.0):
        still.advance(at - clock)
        clock = at
        current = await still_service.retrieve_job(job.id)
        seen.append((current.service_status, current.status))
        if current.service_status == "running":
            running = current
    assert seen == [
        ("pending", JobStatus.QUEUED),
        ("queued", JobStatus.QUEUED),
        ("running", JobStatus.RUNNING),
        ("running", JobStatus.RUNNING),
        ("compressing", JobStatus.RUNNING),
        ("uploading", JobStatus.RUNNING),
        ("completed", JobStatus.SUCCEEDED),
    ]
    assert running is not None and running.estimated_finish is not None
    assert running.finished_at is None and running.active
    done = await still_service.retrieve_job(job.id)
    assert done.finished and done.finished_at is not None and done.finished_at >= done.created_at
    assert done.estimated_finish is None and done.error is None
    assert done.trained_tokens and done.fine_tuned_model == job.fine_tuned_model


async def test_a_failed_job_says_why(
    still: Emulator, still_service: Any, bad_train_file: Path
) -> None:
    with pytest.raises(ServiceError):
        await still_service.upload_file(bad_train_file)  # refused, but stored
    [stored] = await still_service.list_files()
    job = await still_service.create_job(JobSpec(BASE, stored.id))
    still.advance(sim.DATA_READY_AT + 0.5)
    failed = await still_service.retrieve_job(job.id)
    assert failed.status is JobStatus.FAILED and failed.service_status == "error"
    assert failed.error is not None and failed.error.code == "job_error"
    assert failed.error.message.startswith("Invalid file format.")
    [listed] = (await still_service.list_jobs()).jobs  # the list carries no events
    assert listed.status is JobStatus.FAILED and listed.error is not None


# -- events --------------------------------------------------------------------------------------


async def test_events_page_newest_first_with_stable_ids(
    still: Emulator, still_service: Any, train_file: Path
) -> None:
    train = await still_service.upload_file(train_file)
    job = await still_service.create_job(JobSpec(BASE, train.id))
    still.advance(sim.TRAINING_AT + 0.5)
    first = await still_service.list_events(job.id, limit=3)
    truth = server_events(still, job.id)
    assert len(truth) == 5 and first.has_more  # created, started, model, data, training
    assert [e.id for e in first.events] == [f"{job.id}:{i}" for i in (4, 3, 2)]
    assert [e.message for e in first.events] == [e["message"] for e in reversed(truth)][:3]
    # New events arrive while paging on: the next page goes on below, no repeat, no gap.
    still.advance(100)
    older = await still_service.list_events(job.id, after=first.events[-1].id, limit=50)
    assert [e.id for e in older.events] == [f"{job.id}:{i}" for i in (1, 0)]
    assert not older.has_more
    newest = await still_service.list_events(job.id, limit=1)
    assert newest.events[0].id == f"{job.id}:{len(server_events(still, job.id)) - 1}"
    with pytest.raises(ServiceError) as caught:
        await still_service.list_events(job.id, after="ft-other:3")
    assert caught.value.kind is ErrorKind.INVALID_REQUEST


async def test_events_carry_levels_steps_and_togethers_types(
    emu: Emulator, service: Any, train_file: Path
) -> None:
    job = await trained(service, emu, train_file, hyperparameters=Hyperparameters(n_epochs=2))
    events = (await service.list_events(job.id, limit=500)).events
    assert events[0].message.startswith("Job finished") and events[-1].id == f"{job.id}:0"
    assert all(e.level == "info" and e.type == "message" for e in events)
    epochs = [e for e in events if e.data and e.data.get("type") == "epoch_complete"]
    assert [e.metrics.step for e in epochs if e.metrics] == [6, 3]
    assert {e.metrics.total_steps for e in epochs if e.metrics} == {6}
    assert all(e.metrics.train_loss is None for e in epochs if e.metrics)  # losses: /metrics


async def test_the_follower_sees_every_event_once_while_the_job_runs(
    still: Emulator, still_service: Any, train_file: Path
) -> None:
    train = await still_service.upload_file(train_file)
    hyper = Hyperparameters(n_epochs=3)
    job = await still_service.create_job(JobSpec(BASE, train.id, hyperparameters=hyper))
    seen: list[JobEvent] = []
    # Small pages: each poll takes several requests, so the clock moves between pages too.
    follower = EventFollower(still_service, job.id, poll=replace(FAST_POLL, page_size=3))

    async def follow() -> None:
        async for event in follower:
            seen.append(event)

    task = asyncio.create_task(follow())
    try:
        # Move the clock on each time the follower has caught up, until the job is over on the
        # service; then the follower must see the end by itself.
        for _ in range(500):
            count = len(server_events(still, job.id))
            await wait_async(lambda count=count: len(seen) >= count or task.done())
            if server_status(still, job.id) in sim.TERMINAL:
                break
            still.advance(0.7)
        await asyncio.wait_for(task, DEADLINE)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    truth = server_events(still, job.id)
    assert [e.id for e in seen] == [f"{job.id}:{i}" for i in range(len(truth))]
    assert [e.message for e in seen] == [t["message"] for t in truth]
    assert follower.state is FollowState.FINISHED
    assert follower.job is not None and follower.job.status is JobStatus.SUCCEEDED


# -- checkpoints, metrics, prices, limits --------------------------------------------------------


async def test_checkpoints_and_metrics_of_a_finished_job(
    emu: Emulator, service: Any, train_file: Path, tmp_path: Path
) -> None:
    valid_path = write_jsonl(tmp_path / "valid.jsonl", [chat_example(i + 50) for i in range(10)])
    valid = await service.upload_file(valid_path)
    hyper = Hyperparameters(n_epochs=2)
    job = await trained(service, emu, train_file, validation_file=valid.id, hyperparameters=hyper)
    checkpoints = await service.list_checkpoints(job.id)
    assert [(c.id, c.step) for c in checkpoints] == [
        (f"{job.id}:6", 6),
        (f"{job.id}:6:adapter", 6),
    ]
    assert all(c.model is None and c.created_at >= job.created_at for c in checkpoints)
    points = await service.job_metrics(job)
    assert [p.step for p in points] == list(range(1, 7))
    assert all(p.train_loss is not None and p.total_steps == 6 for p in points)
    assert [p.step for p in points if p.valid_loss is not None] == [3, 6]  # once per epoch
    assert points[-1].train_loss < points[0].train_loss  # type: ignore[operator]


async def test_metrics_while_running_and_no_checkpoints_yet(
    still: Emulator, still_service: Any, train_file: Path
) -> None:
    train = await still_service.upload_file(train_file)
    job = await still_service.create_job(JobSpec(BASE, train.id))
    assert await still_service.list_checkpoints(job.id) == []
    still.advance(sim.TRAINING_AT + 2 * sim.MAX_STEP_SECONDS + 0.1)
    running = await still_service.retrieve_job(job.id)
    points = await still_service.job_metrics(running)
    assert [p.step for p in points] == [1, 2] and all(p.total_steps is None for p in points)


async def test_estimate_price(emu: Emulator, service: Any, train_file: Path) -> None:
    train = await service.upload_file(train_file)
    spec = JobSpec(BASE, train.id, hyperparameters=Hyperparameters(n_epochs=2))
    estimate = await service.estimate_price(spec)
    assert estimate is not None and estimate.allowed and estimate.note is None
    assert estimate.dollars > 0 and estimate.trained_tokens
    full = await service.estimate_price(JobSpec(BASE, train.id, lora=False))
    assert full is not None and full.dollars > estimate.dollars / 2  # one epoch, dearer rate
    job = await service.create_job(spec)
    assert job.trained_tokens == estimate.trained_tokens  # the service bills what it said
    with pytest.raises(ServiceError) as caught:
        await service.estimate_price(JobSpec("nobody/no-such-model", train.id))
    assert caught.value.kind is ErrorKind.MODEL_UNAVAILABLE
    with pytest.raises(ServiceError, match="learning rate"):
        await service.estimate_price(
            JobSpec(BASE, train.id, hyperparameters=Hyperparameters(learning_rate_multiplier=3))
        )


async def test_a_price_over_the_credit_limit_is_not_allowed(service: Any, tmp_path: Path) -> None:
    # Full DPO on a 70B model, 50 epochs of ~300k tokens: over the account's $100 limit.
    path = write_jsonl(tmp_path / "long.jsonl", preference_rows(200, padding=6000))
    uploaded = await service.upload_file(path)
    hyper = Hyperparameters(n_epochs=50)
    spec = JobSpec(BIG, uploaded.id, method="dpo", lora=False, hyperparameters=hyper)
    estimate = await service.estimate_price(spec)
    assert estimate is not None and estimate.dollars > catalog.USER_LIMIT_DOLLARS
    assert not estimate.allowed
    assert estimate.note is not None and "credit limit ($100.00)" in estimate.note


async def test_a_file_together_found_invalid_cannot_be_priced(
    service: Any, bad_train_file: Path
) -> None:
    with pytest.raises(ServiceError):
        await service.upload_file(bad_train_file)
    [stored] = await service.list_files()
    with pytest.raises(ServiceError) as caught:
        await service.estimate_price(JobSpec(BASE, stored.id))
    assert caught.value.kind is ErrorKind.INVALID_REQUEST
    assert "training file invalid" in caught.value.message


async def test_model_limits_known_and_unknown(service: Any) -> None:
    limits = await service.model_limits(BASE)
    assert limits is not None and limits.model == BASE
    assert limits.max_tokens == 131072 and limits.max_tokens_dpo == 16384
    assert limits.lora and limits.full and limits.max_epochs == catalog.MAX_NUM_EPOCHS
    assert (limits.min_batch_size, limits.max_batch_size) == (8, 8)
    assert limits.min_learning_rate == catalog.MIN_LEARNING_RATE
    assert limits.max_learning_rate == catalog.MAX_LEARNING_RATE
    lora_only = await service.model_limits(LORA_ONLY)
    assert lora_only is not None and lora_only.lora and not lora_only.full
    with pytest.raises(ServiceError) as caught:
        await service.model_limits("nobody/no-such-model")
    assert caught.value.kind is ErrorKind.MODEL_UNAVAILABLE
    assert caught.value.message == (
        "Together does not fine-tune nobody/no-such-model (Model nobody/no-such-model is not "
        "available for fine-tuning). Pick a model from its list of fine-tunable models."
    )


# -- models and chat -----------------------------------------------------------------------------


async def test_models_put_the_trained_model_first(
    still: Emulator, still_service: Any, train_file: Path
) -> None:
    job = await trained(still_service, still, train_file, suffix="chat")
    uploaded = await still_service.list_files()
    running = await still_service.create_job(JobSpec(BASE, uploaded[0].id, suffix="later"))
    models = await still_service.list_models()
    assert models[0].id == job.fine_tuned_model
    assert models[0].kind == "fine_tuned" and models[0].job_id == job.id
    assert running.fine_tuned_model not in [m.id for m in models]  # not trained yet
    base = [m for m in models if m.kind == "base"]
    assert [m.id for m in base] == sorted(model.name for model in catalog.MODELS)
    assert [m.id for m in models].count(job.fine_tuned_model) == 1


def chat_request(model: str = BASE) -> ChatRequest:
    return ChatRequest(
        model,
        [{"role": "user", "content": "How many examples do I need?"}],
        system_prompt="Be brief.",
        temperature=0.2,
        max_tokens=200,
    )


async def test_stream_chat_text_then_usage(emu: Emulator, service: Any, train_file: Path) -> None:
    job = await trained(service, emu, train_file, suffix="talk")
    assert job.fine_tuned_model is not None
    items = [item async for item in service.stream_chat(chat_request(job.fine_tuned_model))]
    deltas, done = items[:-1], items[-1]
    assert len(deltas) > 2 and all(isinstance(d, ChatDelta) for d in deltas)
    assert isinstance(done, ChatDone)
    assert done.text == "".join(d.text for d in deltas)  # type: ignore[union-attr]
    assert done.text.startswith("**Short answer:**")  # the fine-tuned style
    assert done.finish_reason == "stop" and done.model == job.fine_tuned_model
    assert done.prompt_tokens and done.completion_tokens


async def test_closing_or_cancelling_a_stream_closes_it(emu: Emulator, service: Any) -> None:
    # The emulator holds the reply after two chunks until released: only closing the HTTP
    # stream, not reading it to the end, lets the stream be closed before the release.
    async def consume(way: str, partial: list[str], first: asyncio.Event) -> None:
        async with contextlib.aclosing(service.stream_chat(chat_request())) as stream:
            async for item in stream:
                assert isinstance(item, ChatDelta)
                partial.append(item.text)
                first.set()
                if way == "aclosing":
                    return

    for way in ("aclosing", "cancel"):
        hold = Hold(after_chunks=2)
        emu.faults.add(Fault(path_pattern=r"/together/v1/chat/completions", hold=hold))
        partial: list[str] = []
        first = asyncio.Event()
        task = asyncio.create_task(consume(way, partial, first))
        try:
            await asyncio.wait_for(first.wait(), DEADLINE)
            if way == "cancel":
                await asyncio.to_thread(hold.reached.wait, DEADLINE)
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, DEADLINE)
            assert partial and not hold.release.is_set()
            assert task.cancelled() is (way == "cancel")
        finally:
            hold.release.set()
    # The client is still usable afterwards.
    items = [item async for item in service.stream_chat(chat_request())]
    assert isinstance(items[-1], ChatDone) and items[-1].text


async def test_chat_with_a_model_together_does_not_serve(service: Any) -> None:
    with pytest.raises(ServiceError) as caught:
        async for _item in service.stream_chat(chat_request("nobody/nothing")):
            pass
    assert caught.value.kind is ErrorKind.MODEL_UNAVAILABLE
    assert "nobody/nothing" in caught.value.message and "OpenAI" not in caught.value.message


# -- errors --------------------------------------------------------------------------------------


async def test_a_wrong_key_is_auth_naming_the_variable(emu: Emulator, tmp_path: Path) -> None:
    wrong = "wrong-key-123456"
    service = open_service(connection_to(emu, key=wrong))
    try:
        for call in (
            service.list_jobs,
            service.list_files,
            lambda: service.upload_file(write_jsonl(tmp_path / "t.jsonl", [chat_example(1)])),
        ):
            with pytest.raises(ServiceError) as caught:
                await call()
            assert caught.value.kind is ErrorKind.AUTH and caught.value.status == 401
            assert "TOGETHER_API_KEY" in caught.value.message
            assert "OPENAI" not in caught.value.message
            errors_never_show(caught.value, wrong)
    finally:
        await service.close()


async def test_rate_limits_server_errors_and_drops(emu: Emulator, service: Any) -> None:
    quiet = service.without_retries()
    jobs = r"/together/v1/fine-tunes$"
    emu.faults.add(Fault(path_pattern=jobs, status=429, retry_after=7))
    with pytest.raises(ServiceError) as caught:
        await quiet.list_jobs()
    assert caught.value.kind is ErrorKind.RATE_LIMITED and caught.value.retry_after == 7
    assert caught.value.retryable and "retry after 7s" in caught.value.message
    emu.faults.add(Fault(path_pattern=jobs, status=503))
    with pytest.raises(ServiceError) as caught:
        await quiet.list_jobs()
    assert caught.value.kind is ErrorKind.SERVER and caught.value.status == 503
    emu.faults.add(Fault(path_pattern=jobs, drop_connection=True))
    with pytest.raises(ServiceError) as caught:
        await quiet.list_jobs()
    assert caught.value.kind is ErrorKind.DROPPED
    errors_never_show(caught.value)
    assert len(emu.faults) == 0


async def test_a_stream_dropped_midway_is_dropped(emu: Emulator, service: Any) -> None:
    emu.faults.add(Fault(path_pattern=r"/chat/completions", drop_connection=True))
    partial: list[str] = []
    with pytest.raises(ServiceError) as caught:
        async for item in service.without_retries().stream_chat(chat_request()):
            if isinstance(item, ChatDelta):
                partial.append(item.text)
    assert caught.value.kind is ErrorKind.DROPPED and partial


async def test_an_upload_dropped_at_the_storage_is_dropped(
    emu: Emulator, service: Any, train_file: Path
) -> None:
    emu.faults.add(Fault(path_pattern=r"/together/_presigned/", drop_connection=True))
    with pytest.raises(ServiceError) as caught:
        await service.without_retries().upload_file(train_file)
    assert caught.value.kind is ErrorKind.DROPPED
    again = await service.upload_file(train_file)  # and a second try gets the file there
    assert again.filename == "train.jsonl" and again.bytes == train_file.stat().st_size


async def test_a_reply_that_stalls_is_a_timeout(emu: Emulator) -> None:
    service = TogetherService.connect(connection_to(emu), max_retries=0, timeout=0.5)
    hold = Hold(after_chunks=2)  # the reply stops after two chunks until released
    emu.faults.add(Fault(path_pattern=r"/together/v1/chat/completions", hold=hold))
    try:
        with pytest.raises(ServiceError) as caught:
            async for _item in service.stream_chat(chat_request()):
                pass
        assert caught.value.kind is ErrorKind.TIMEOUT and caught.value.retryable
    finally:
        hold.release.set()
        await service.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_an_unreachable_service_is_a_connection_error() -> None:
    where = f"http://127.0.0.1:{_free_port()}/together/v1"
    connection = Connection(
        profile_name="t", kind="together", base_url=where, api_key=Secret(TEST_KEY)
    )
    service = open_service(connection).without_retries()
    try:
        with pytest.raises(ServiceError) as caught:
            await service.list_jobs()
        assert caught.value.kind is ErrorKind.CONNECTION
        assert caught.value.message == f"Cannot reach {where} (connection refused)"
    finally:
        await service.close()


async def test_a_key_echoed_by_the_service_never_reaches_a_message(
    emu: Emulator, service: Any
) -> None:
    """Even when the service quotes the key back, the message shows **** instead."""
    for status, said in ((500, f"boom near {TEST_KEY}"), (400, f"bad Bearer {TEST_KEY}")):
        emu.faults.add(Fault(path_pattern=r"/fine-tunes$", status=status, message=said))
        with pytest.raises(ServiceError) as caught:
            await service.without_retries().list_jobs()
        errors_never_show(caught.value)
        assert "****" in caught.value.message
        assert json.dumps(caught.value.message)  # one plain line, printable anywhere
        assert "\n" not in caught.value.message
