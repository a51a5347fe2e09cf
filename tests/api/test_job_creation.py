"""`tuner.api.jobs.creation`: the one flow `tuner jobs create`, the new-job form and `tuner
migrate` run, over the emulator with the real SDKs (OpenAI's side and Together's): what is
refused before anything is sent, the steps told in order on the flow's own thread, the upload
made once and reused after, the service's price refused with the files kept."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    CountingService,
    open_test_service,
    open_together_service,
    write_examples,
)
from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.files.checked_upload import FileRefused
from tuner.api.jobs.creation import (
    BaseRetired,
    CreationStep,
    JobCreation,
    JobRequest,
    MissingFile,
    check_request,
)
from tuner.api.jobs.quote import QuoteRefused
from tuner.api.jobs.spec import Hyperparameters, JobSpec
from tuner.emulator import Emulator

OPENAI_BASE = "gpt-4o-mini-2024-07-18"
TOGETHER_BASE = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
BEFORE_THE_CLOSING = date(2026, 12, 1)


@pytest.fixture
def service(counted_service: Any) -> Any:
    """OpenAI's side, then Together's (tests/api/conftest.py)."""
    return counted_service


def base_of(service: Any) -> str:
    return TOGETHER_BASE if service.capabilities.kind == "together" else OPENAI_BASE


def request_for(service: Any, training: Path | str, **fields: Any) -> JobRequest:
    spec = JobSpec(base_of(service), "pending", suffix="flow", **fields.pop("spec", {}))
    return JobRequest(spec, training, today=BEFORE_THE_CLOSING, **fields)


class Steps:
    """The steps told, and whether each came on the thread running the flow."""

    def __init__(self) -> None:
        self.told: list[CreationStep] = []
        self.home = threading.get_ident()
        self.elsewhere = 0

    def __call__(self, step: CreationStep) -> None:
        self.told.append(step)
        self.elsewhere += threading.get_ident() != self.home

    def stages(self) -> list[str]:
        """The stages in order, a run of progress reports counted once."""
        shown: list[str] = []
        for step in self.told:
            if not shown or shown[-1] != step.stage:
                shown.append(step.stage)
        return shown


async def test_a_local_file_is_checked_uploaded_priced_and_trained_on(
    service: Any, tmp_path: Path
) -> None:
    train = write_examples(tmp_path / "train.jsonl", 20)
    valid = write_examples(tmp_path / "valid.jsonl", 12)
    steps = Steps()
    creation = JobCreation(
        service,
        request_for(service, train, validation=valid, spec={"hyperparameters": Hyperparameters(2)}),
        on_step=steps,
    )

    created = await creation.run()

    (train_up, valid_up) = [upload for _, upload in created.uploads]
    assert created.job.training_file == train_up.id and created.job.validation_file == valid_up.id
    assert created.job.model == base_of(service) and service.calls["create_job"] == 1
    assert created.training_report is not None and created.training_report.examples == 20
    assert created.training_report.estimate.epochs == 2  # priced for the epochs asked
    together = service.capabilities.kind == "together"
    assert (created.quote is not None) is together  # Together prices a job before it starts
    expected = ["note"] if not together else []  # OpenAI's closing, where it applies
    expected += ["analyse", "upload", "uploaded"] * 2
    expected += ["quote", "create"] if together else ["create"]
    assert steps.stages() == expected
    assert steps.elsewhere == 0  # every step on the flow's own thread, a thread's report too
    uploaded = [s for s in steps.told if s.stage == "uploaded"]
    assert [(s.path, s.upload) for s in uploaded] == list(created.uploads)


async def test_running_again_reuses_the_upload_and_a_given_report_is_not_made_again(
    service: Any, tmp_path: Path
) -> None:
    train = write_examples(tmp_path / "train.jsonl", 20)
    first = await JobCreation(service, request_for(service, train)).run()
    analysed: list[Path] = []

    def analyser(path: Path, model: str, *, progress: Any = None) -> Any:
        analysed.append(path)
        raise AssertionError("the report was given")

    report = first.training_report
    assert report is not None
    again = JobCreation(
        service,
        request_for(service, train, reports={train.resolve(): report}),
        analyser=analyser,
    )
    second = await again.run()

    assert not analysed and service.calls["upload_file"] == 1
    ((_, upload),) = second.reused
    assert upload.id == first.uploads[0][1].id == second.job.training_file


async def test_a_file_id_is_trained_on_as_it_is(service: Any, tmp_path: Path) -> None:
    remote = await service.upload_file(write_examples(tmp_path / "train.jsonl", 20))
    steps = Steps()

    created = await JobCreation(service, request_for(service, remote.id), on_step=steps).run()

    assert created.job.training_file == remote.id and created.uploads == ()
    assert created.training_report is None and service.calls["upload_file"] == 1
    assert "analyse" not in steps.stages() and "upload" not in steps.stages()


async def test_a_retired_base_is_refused_before_anything_is_sent(
    emulator: Emulator, tmp_path: Path
) -> None:
    train = write_examples(tmp_path / "train.jsonl", 20)
    opened = open_test_service(emulator)
    service = CountingService(opened)
    request = JobRequest(JobSpec("gpt-3.5-turbo-0125", "pending"), train, today=date(2026, 12, 1))
    try:
        with pytest.raises(BaseRetired) as caught:
            await JobCreation(service, request).run()
    finally:
        await opened.close()

    refused = caught.value
    assert refused.kind is ErrorKind.MODEL_UNAVAILABLE and refused.field == "model"
    assert refused.message.startswith("gpt-3.5-turbo-0125 was retired on 2026-10-23")
    assert OPENAI_BASE in refused.message  # a model that can still be fine-tuned
    assert not service.calls and not emulator.state.files


async def test_a_missing_validation_file_is_refused_before_the_training_file_is_uploaded(
    service: Any, tmp_path: Path
) -> None:
    train = write_examples(tmp_path / "train.jsonl", 20)
    request = request_for(service, train, validation=tmp_path / "valid.jsonl")

    with pytest.raises(MissingFile) as caught:
        check_request(request)  # on a screen's event loop: nothing sent
    assert caught.value.path == tmp_path / "valid.jsonl" and caught.value.field == "file"
    with pytest.raises(MissingFile):
        await JobCreation(service, request).run()

    assert not service.calls


async def test_a_bad_suffix_or_a_misspelt_model_costs_no_upload(
    service: Any, tmp_path: Path
) -> None:
    train = write_examples(tmp_path / "train.jsonl", 20)
    bad_suffix = JobRequest(
        JobSpec(base_of(service), "pending", suffix="a:b"), train, today=BEFORE_THE_CLOSING
    )
    with pytest.raises(ServiceError, match="suffix"):
        await JobCreation(service, bad_suffix).run()
    typo = JobRequest(JobSpec("gpt-4o-mni", "pending"), train, today=BEFORE_THE_CLOSING)
    with pytest.raises(ServiceError) as caught:
        await JobCreation(service, typo).run()

    assert caught.value.kind is ErrorKind.MODEL_UNAVAILABLE
    assert service.calls["upload_file"] == 0 and service.calls["create_job"] == 0


async def test_a_file_with_errors_is_not_uploaded_unless_forced(
    emulator: Emulator, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"messages": [}\n' * 12, "utf-8")
    opened = open_test_service(emulator)
    service = CountingService(opened)
    try:
        with pytest.raises(FileRefused, match=r"broken\.jsonl has 12 errors"):
            await JobCreation(service, request_for(service, broken)).run()
        assert service.calls["upload_file"] == 0
        forced = await JobCreation(service, request_for(service, broken, force=True)).run()
    finally:
        await opened.close()

    assert forced.job.training_file == forced.uploads[0][1].id


async def test_a_price_the_service_refuses_stops_before_the_job_and_keeps_the_upload(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tuner.emulator.together import catalog

    monkeypatch.setattr(catalog, "USER_LIMIT_DOLLARS", 0.0)
    train = write_examples(tmp_path / "train.jsonl", 20)
    opened = open_together_service(emulator)
    creation = JobCreation(opened, request_for(opened, train))
    try:
        with pytest.raises(QuoteRefused, match="would not start this job"):
            await creation.run()
        ((path, upload),) = creation.uploads  # said by the caller: it stays uploaded
        assert path == train and [f.id for f in await opened.list_files()] == [upload.id]
        assert (await opened.list_jobs()).jobs == ()
    finally:
        await opened.close()
