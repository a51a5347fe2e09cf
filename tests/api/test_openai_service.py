"""The OpenAI-API implementation of the service seam, over HTTP against the emulator.

Every call the screens and commands make goes through here; the answers are tuner's own types.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import TEST_KEY, open_test_service, train_model
from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.jobs.spec import Hyperparameters, JobSpec
from tuner.api.providers.openai import capabilities_for
from tuner.api.types import Job, JobStatus, RemoteFile
from tuner.config import Connection, Secret
from tuner.emulator import Emulator

MODEL = "gpt-4o-mini-2024-07-18"


async def test_a_bad_suffix_never_reaches_the_service(service, service_env: Emulator) -> None:
    with pytest.raises(ServiceError, match="suffix"):
        await service.create_job(JobSpec(MODEL, "file-does-not-matter", suffix="no:colons"))
    assert not service_env.state.jobs


async def test_job_lifecycle_calls(real_time_env: Emulator, train_file: Path) -> None:
    service = open_test_service(real_time_env)
    try:
        await _lifecycle(service, train_file)
    finally:
        await service.close()


async def _lifecycle(service, train_file: Path) -> None:  # type: ignore[no-untyped-def]
    uploaded = await service.upload_file(train_file)
    assert isinstance(uploaded, RemoteFile) and uploaded.bytes == train_file.stat().st_size
    spec = JobSpec(MODEL, uploaded.id, suffix="life", hyperparameters=Hyperparameters(n_epochs=2))
    first = await service.create_job(spec)
    second = await service.create_job(spec)
    assert isinstance(first, Job) and first.status is JobStatus.VALIDATING
    assert first.service_status == "validating_files"
    assert first.method == "supervised" and first.hyperparameters["n_epochs"] == 2

    page = await service.list_jobs(limit=1)
    assert [j.id for j in page.jobs] == [second.id] and page.has_more  # newest first
    older = await service.list_jobs(after=page.jobs[0].id, limit=1)
    assert [j.id for j in older.jobs] == [first.id]

    assert (await service.retrieve_job(first.id)).id == first.id
    cancelled = await service.cancel_job(second.id)
    assert cancelled.status in (JobStatus.CANCELLED, JobStatus.CANCELLING)

    with pytest.raises(ServiceError) as caught:
        await service.retrieve_job("ftjob-nope")
    assert caught.value.kind is ErrorKind.NOT_FOUND


async def test_pause_resume_cancel(train_file: Path) -> None:
    # Real-time clock, moved by hand: the job is exactly where the test puts it.
    with Emulator(speed=1.0, api_key=TEST_KEY) as emu:
        service = open_test_service(emu)
        try:
            uploaded = await service.upload_file(train_file)
            job = await service.create_job(JobSpec(MODEL, uploaded.id))
            emu.advance(9.5)
            assert (await service.retrieve_job(job.id)).status is JobStatus.RUNNING
            assert (await service.pause_job(job.id)).status is JobStatus.PAUSED
            assert (await service.resume_job(job.id)).status is JobStatus.RUNNING
            assert (await service.cancel_job(job.id)).status is JobStatus.CANCELLED
            with pytest.raises(ServiceError) as caught:
                await service.pause_job(job.id)
            assert caught.value.kind is ErrorKind.INVALID_REQUEST
        finally:
            await service.close()


async def test_events_checkpoints_and_result_metrics(service, service_env, train_file) -> None:
    job = await train_model(service_env, train_file, "watch")
    page = await service.list_events(job.id, limit=5)
    assert len(page.events) == 5 and page.has_more
    server = service_env.server_events(job.id)
    assert [e.id for e in page.events] == [e["id"] for e in reversed(server)][:5]
    metrics = [e for e in (await service.list_events(job.id, limit=500)).events if e.metrics]
    assert metrics and all(e.type == "metrics" and e.metrics.step for e in metrics)
    checkpoints = await service.list_checkpoints(job.id)
    assert checkpoints and all(c.model and ":ckpt-step-" in c.model for c in checkpoints)
    assert checkpoints[0].metrics is not None and checkpoints[0].metrics.train_loss is not None
    points = await service.job_metrics(job)
    assert [p.step for p in points] == sorted(p.step for p in points)
    assert len(points) == points[-1].total_steps or points[-1].step


async def test_files_list_content_delete(service, train_file: Path) -> None:
    uploaded = await service.upload_file(train_file)
    assert uploaded.id in [f.id for f in await service.list_files()]
    assert await service.file_content(uploaded.id) == train_file.read_bytes()
    await service.delete_file(uploaded.id)
    with pytest.raises(ServiceError) as caught:
        await service.file_content(uploaded.id)
    assert caught.value.kind is ErrorKind.NOT_FOUND


async def test_models_put_fine_tuned_first(service, service_env, train_file) -> None:
    job = await train_model(service_env, train_file, "chat")
    models = await service.list_models()
    assert models[0].id == job.fine_tuned_model
    assert models[0].kind == "fine_tuned" and models[0].job_id == job.id
    assert any(m.kind == "base" and m.id == MODEL for m in models)
    kinds = [m.kind for m in models]
    assert kinds.index("base") > 0 and "fine_tuned" not in kinds[kinds.index("base") :]


def test_capabilities_name_the_service() -> None:
    openai = capabilities_for(Connection("p", api_key=Secret(TEST_KEY)))
    assert openai.service == "OpenAI" and openai.pause_resume and openai.checkpoints
    host = capabilities_for(Connection("p", base_url="https://gateway.example/v1"))
    assert host.service == "the service at gateway.example"
    azure = capabilities_for(Connection("p", kind="azure", azure_endpoint="https://x"))
    assert azure.service == "Azure OpenAI" and azure.models_need_deployment
    assert openai.missing("price_estimate") == "OpenAI cannot price a job before it starts."
    assert openai.missing("pause_resume") is None


async def test_save_file_streams_into_place_whole(service, tmp_path) -> None:
    """A stored file saved to disk in chunks, never held whole: the same bytes, the
    destination written only once complete, progress reaching the total."""
    source = tmp_path / "train.jsonl"
    source.write_bytes(b"".join(b'{"n": %d}\n' % i for i in range(20_000)))
    uploaded = await service.upload_file(source)
    dest = tmp_path / "copy" / "train.jsonl"
    seen: list[tuple[int, int]] = []
    size = await service.save_file(
        uploaded.id, dest, lambda done, total: seen.append((done, total))
    )
    assert size == source.stat().st_size and dest.read_bytes() == source.read_bytes()
    assert seen and seen[-1][0] == size
    assert [p.name for p in dest.parent.iterdir()] == ["train.jsonl"]  # no temporary left
