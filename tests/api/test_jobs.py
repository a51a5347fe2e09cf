"""Job specs, local suffix checks, and the job calls against the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuner.api.client import make_client
from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.files import upload_file
from tuner.api.jobs import (
    Hyperparameters,
    JobSpec,
    cancel_job,
    check_suffix,
    create_job,
    iter_jobs,
    list_chat_models,
    list_jobs,
    pause_job,
    resume_job,
    retrieve_job,
)
from tuner.config import Connection, Secret
from tuner.emulator import Emulator

from .conftest import train_model

MODEL = "gpt-4o-mini-2024-07-18"


def test_spec_params_omit_nones() -> None:
    spec = JobSpec(MODEL, "file-1")
    assert spec.as_params() == {
        "model": MODEL,
        "training_file": "file-1",
        "method": {"type": "supervised"},
    }


def test_spec_params_full() -> None:
    spec = JobSpec(
        MODEL,
        "file-1",
        validation_file="file-2",
        suffix="my-model_v1.2",
        seed=7,
        metadata={"team": "a"},
        method="dpo",
        hyperparameters=Hyperparameters(n_epochs=3, batch_size="auto", beta=0.1),
    )
    assert spec.as_params() == {
        "model": MODEL,
        "training_file": "file-1",
        "validation_file": "file-2",
        "suffix": "my-model_v1.2",
        "seed": 7,
        "metadata": {"team": "a"},
        "method": {
            "type": "dpo",
            "dpo": {"hyperparameters": {"n_epochs": 3, "batch_size": "auto", "beta": 0.1}},
        },
    }


def test_beta_is_dpo_only() -> None:
    hyper = Hyperparameters(n_epochs=2, beta=0.5)
    assert hyper.as_params("supervised") == {"n_epochs": 2}


@pytest.mark.parametrize(
    ("suffix", "words"),
    [("", "1 to 64"), ("x" * 65, "1 to 64"), ("a:b", "':'"), ("two words", "' '")],
)
def test_bad_suffixes(suffix: str, words: str) -> None:
    with pytest.raises(ServiceError) as caught:
        check_suffix(suffix)
    assert caught.value.kind is ErrorKind.INVALID_REQUEST
    assert words in caught.value.message


def test_good_suffixes() -> None:
    check_suffix(None)
    check_suffix("x" * 64)
    check_suffix("Support-bot_2.0")


async def test_bad_suffix_never_reaches_the_service(client) -> None:
    with pytest.raises(ServiceError, match="suffix"):
        await create_job(client, JobSpec(MODEL, "file-does-not-matter", suffix="no:colons"))


async def test_epochs_out_of_range(client) -> None:
    spec = JobSpec(MODEL, "file-x", hyperparameters=Hyperparameters(n_epochs=51))
    with pytest.raises(ServiceError, match="n_epochs"):
        await create_job(client, spec)


async def test_job_lifecycle_calls(client, service_env, train_file: Path) -> None:
    uploaded = await upload_file(client, train_file)
    spec = JobSpec(MODEL, uploaded.id, suffix="life", hyperparameters=Hyperparameters(n_epochs=2))
    first = await create_job(client, spec)
    second = await create_job(client, spec)
    assert first.status == "validating_files"
    assert first.method.supervised.hyperparameters.n_epochs == 2

    jobs, _ = await list_jobs(client, limit=1)
    assert [j.id for j in jobs] == [second.id]  # newest first
    page2, _ = await list_jobs(client, after=jobs[0].id, limit=1)
    assert [j.id for j in page2] == [first.id]
    assert [j.id async for j in iter_jobs(client, page_size=1)] == [second.id, first.id]

    assert (await retrieve_job(client, first.id)).id == first.id
    cancelled = await cancel_job(client, second.id)
    assert cancelled.status in ("cancelled", "cancelling")

    with pytest.raises(ServiceError) as caught:
        await retrieve_job(client, "ftjob-nope")
    assert caught.value.kind is ErrorKind.NOT_FOUND


async def test_pause_resume_cancel(train_file: Path) -> None:
    # Real-time clock, moved by hand: the job is exactly where the test puts it.
    with Emulator(speed=1.0, api_key="test-key") as emu:
        connection = Connection("p", base_url=emu.base_url, api_key=Secret("test-key"))
        async with make_client(connection) as client:
            uploaded = await upload_file(client, train_file)
            job = await create_job(client, JobSpec(MODEL, uploaded.id))
            emu.advance(9.5)
            assert (await retrieve_job(client, job.id)).status == "running"
            assert (await pause_job(client, job.id)).status == "paused"
            assert (await resume_job(client, job.id)).status == "running"
            assert (await cancel_job(client, job.id)).status == "cancelled"
            with pytest.raises(ServiceError) as caught:
                await pause_job(client, job.id)
            assert caught.value.kind is ErrorKind.INVALID_REQUEST


async def test_list_chat_models_puts_fine_tuned_first(client, service_env, train_file) -> None:
    job = await train_model(client, train_file, "chat")
    models = await list_chat_models(client)
    assert models[0].id == job.fine_tuned_model
    assert models[0].kind == "fine_tuned"
    assert any(m.kind == "base" and m.id == MODEL for m in models)
    kinds = [m.kind for m in models]
    assert kinds.index("base") > 0 and "fine_tuned" not in kinds[kinds.index("base") :]
