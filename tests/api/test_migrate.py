"""`tuner.api.migrate.move`: planning and running a move between services, against the emulator over
a real socket with the real SDKs (OpenAI's under /v1, Together's under /together/v1).

What a user relies on: the plan sends nothing to the target (counted by a proxy that passes every
call on); the converted file is the one uploaded and trained; the copies come from where they
were asked to (a backup's, checked against its index; the user's own; a download kept in the work
folder); a refusal says what to do; a plan can be cancelled; the reverse direction works. Nothing
waits a fixed time: the emulator's clock is moved on (`advance`).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    BASE_MODEL,
    DEADLINE,
    TEST_KEY,
    CountingService,
    chat_example,
    finish,
    open_test_service,
    open_together_service,
    write_jsonl,
)
from tuner.api.backup.run import backup
from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.jobs.spec import Hyperparameters, JobSpec
from tuner.api.migrate.errors import DataRefused, MigrationError
from tuner.api.migrate.move import plan_migration, run_migration
from tuner.api.migrate.plan import MigrationProgress, PriceRefused, default_work_dir
from tuner.api.migrate.sources import DownloadRefused
from tuner.api.service import FineTuningService
from tuner.api.types import Job, JobStatus
from tuner.emulator import Emulator, Fault

LLAMA = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
SENDING = {"upload_file", "create_job", "estimate_price", "delete_file", "cancel_job"}


@pytest.fixture
def both() -> Iterator[Emulator]:
    """One emulator for both services (each side checks files by its own rules)."""
    with Emulator(port=0, speed=500, api_key=TEST_KEY) as emu:
        yield emu


@pytest.fixture
async def openai(emulator: Emulator) -> AsyncIterator[FineTuningService]:
    service = open_test_service(emulator)
    try:
        yield service
    finally:
        await service.close()


@pytest.fixture
async def together(emulator: Emulator) -> AsyncIterator[FineTuningService]:
    service = open_together_service(emulator)
    try:
        yield service
    finally:
        await service.close()


def rows(count: int = 20) -> list[dict[str, Any]]:
    """OpenAI examples, a few with what Together takes differently."""
    found = [chat_example(i) for i in range(count)]
    found[0]["messages"][1]["name"] = "ayse"
    found[1]["messages"] += [
        {"role": "system", "content": "Count carefully."},
        {"role": "user", "content": "And 3 + 3?"},
        {"role": "assistant", "content": "6"},
    ]
    return found


async def trained(
    emulator: Emulator,
    service: FineTuningService,
    path: Path,
    model: str = BASE_MODEL,
    **spec: Any,
) -> Job:
    uploaded = await service.upload_file(path)
    job = await service.create_job(JobSpec(model, uploaded.id, **spec))
    done = await finish(emulator, service, job.id)
    assert done.status is JobStatus.SUCCEEDED, done.error
    return done


# -- OpenAI to Together AI -----------------------------------------------------------------------


async def test_the_plan_sends_nothing_and_the_run_trains_the_converted_file(
    emulator: Emulator, openai: FineTuningService, together: FineTuningService, tmp_path: Path
) -> None:
    source_file = write_jsonl(tmp_path / "train.jsonl", rows())
    job = await trained(emulator, openai, source_file, suffix="shop", seed=7)
    counting = CountingService(together)
    seen: list[MigrationProgress] = []
    loop_thread = threading.get_ident()
    threads: set[int] = set()

    def progress(report: MigrationProgress) -> None:
        seen.append(report)
        threads.add(threading.get_ident())

    plan = await plan_migration(
        openai, counting, job.id, LLAMA, work_dir=tmp_path / "work", on_progress=progress
    )

    assert set(counting.calls) == {"model_limits"}  # a question, nothing sent
    assert await together.list_files() == [] and (await together.list_jobs()).jobs == ()
    assert threads == {loop_thread}
    steps = [report.step for report in seen]
    assert steps[0] == "job" and "download" in steps and "convert" in steps
    assert steps.index("convert") < steps.index("check") < steps.index("estimate")
    # The copy is the file that was uploaded, kept in the work folder by id and name.
    copy = plan.training.original
    assert copy.origin == "downloaded" and copy.path.read_bytes() == source_file.read_bytes()
    assert copy.path.name == f"{job.training_file}__train.jsonl"
    assert plan.training.path.name == f"{job.training_file}__train.together.jsonl"
    assert {c.code for c in plan.training.changes} == {"name_dropped", "system_merged"}
    # Both costs: what the job was billed, and tuner's estimate on Together.
    assert plan.source_cost.basis == "billed"
    assert plan.source_cost.trained_tokens == job.trained_tokens
    assert plan.target_cost.basis == "estimate" and plan.target_cost.dollars is not None
    assert plan.service_prices
    carried = {s.name: s.sent for s in plan.settings.carried}
    assert carried["suffix"] == "shop" and carried["seed"] == 7
    assert carried["n_epochs"] == job.hyperparameters["n_epochs"]
    not_carried = {s.name for s in plan.settings.not_carried}
    assert not_carried == {"learning_rate_multiplier", "batch_size"}
    (batch,) = [s for s in plan.settings.not_carried if s.name == "batch_size"]
    assert batch.describe().endswith(": left to its default, the largest)")
    text = "\n".join(plan.summary_lines())
    assert "))" not in text
    assert "Cost:" in text and "asked once the files are uploaded" in text
    # The work folder is named once; the files in it by their names (a narrow dialog wraps).
    assert f"Work folder: {plan.work_dir}" in text
    assert f"downloaded to {copy.path.name}" in text and text.count(str(plan.work_dir)) == 1
    assert json.loads(json.dumps(plan.to_json()))["target"]["model"] == LLAMA

    result = await run_migration(plan, counting, on_progress=progress)

    assert counting.calls["upload_file"] == 1 and counting.calls["estimate_price"] == 1
    assert result.service_estimate is not None and result.service_estimate.allowed
    new = await finish(emulator, together, result.job.id)
    assert new.status is JobStatus.SUCCEEDED and "-shop-" in (new.fine_tuned_model or "")
    asked = emulator.together.state.jobs[new.id].spec  # what the request carried
    assert (asked.suffix, asked.random_seed, asked.n_epochs) == ("shop", 7, carried["n_epochs"])
    assert new.training_file == result.training_file
    uploaded = await together.file_content(result.training_file)
    assert uploaded == plan.training.path.read_bytes()
    shown = result.to_json()
    assert shown["job"]["id"] == new.id and shown["estimates"]["target_service"]["allowed"]


async def test_a_job_with_no_trained_tokens_is_priced_from_its_file(
    emulator: Emulator, openai: FineTuningService, together: FineTuningService, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "train.jsonl", rows())
    uploaded = await openai.upload_file(path)
    job = await openai.create_job(JobSpec(BASE_MODEL, uploaded.id))
    await openai.cancel_job(job.id)  # never trained: it reports no tokens

    plan = await plan_migration(openai, together, job.id, LLAMA, work_dir=tmp_path / "w")

    assert plan.job.status is JobStatus.CANCELLED
    assert plan.source_cost.basis == "estimate" and plan.source_cost.trained_tokens
    assert "reports no trained tokens" in (plan.source_cost.note or "")


async def test_a_weighted_reply_is_trained_alike_on_together(
    both: Emulator, tmp_path: Path
) -> None:
    openai, together = open_test_service(both), open_together_service(both)
    try:
        examples = rows()
        examples[2]["messages"].append({"role": "user", "content": "Sure?"})
        examples[2]["messages"].append({"role": "assistant", "content": "Yes", "weight": 0})
        job = await trained(both, openai, write_jsonl(tmp_path / "t.jsonl", examples))
        plan = await plan_migration(openai, together, job.id, LLAMA, work_dir=tmp_path / "w")
        weighted = next(c for c in plan.training.changes if c.code == "inputs_weighted")
        assert weighted.lines == (3,)
        result = await run_migration(plan, together)
        assert (await finish(both, together, result.job.id)).status is JobStatus.SUCCEEDED
    finally:
        await openai.close()
        await together.close()


# -- where the copies come from ------------------------------------------------------------------


async def test_a_backup_s_copy_is_used_and_nothing_downloaded(
    emulator: Emulator, openai: FineTuningService, together: FineTuningService, tmp_path: Path
) -> None:
    job = await trained(emulator, openai, write_jsonl(tmp_path / "train.jsonl", rows()))
    folder = tmp_path / "backup"
    await backup(openai, folder)
    # The service would now refuse the download: the backup must be what is used.
    emulator.faults.add(Fault(rf"/files/{job.training_file}/content$", status=400, times=5))
    counting = CountingService(openai)

    plan = await plan_migration(
        counting, together, job.id, LLAMA, work_dir=tmp_path / "w", from_backup=folder
    )

    copy = plan.training.original
    assert copy.origin == "backup" and copy.path.parent == folder / "files"
    assert "file_content" not in counting.calls and "the backup's copy" in copy.describe()
    assert copy.path.read_bytes() == (tmp_path / "train.jsonl").read_bytes()


async def test_a_changed_or_missing_backup_copy_is_refused(
    emulator: Emulator, openai: FineTuningService, together: FineTuningService, tmp_path: Path
) -> None:
    job = await trained(emulator, openai, write_jsonl(tmp_path / "train.jsonl", rows()))
    folder = tmp_path / "backup"
    await backup(openai, folder)
    (copy,) = [p for p in (folder / "files").iterdir() if p.name.endswith("train.jsonl")]
    copy.write_bytes(copy.read_bytes() + b"\n")

    with pytest.raises(MigrationError, match="changed since the backup"):
        await plan_migration(
            openai, together, job.id, LLAMA, work_dir=tmp_path / "w", from_backup=folder
        )
    with pytest.raises(MigrationError, match="is not a tuner backup"):
        await plan_migration(
            openai, together, job.id, LLAMA, work_dir=tmp_path / "w", from_backup=tmp_path
        )
    other = await trained(emulator, openai, write_jsonl(tmp_path / "later.jsonl", rows(12)))
    with pytest.raises(MigrationError, match="has no copy of the training file"):
        await plan_migration(
            openai, together, other.id, LLAMA, work_dir=tmp_path / "w", from_backup=folder
        )


async def test_a_refused_download_says_what_to_do(
    emulator: Emulator, openai: FineTuningService, together: FineTuningService, tmp_path: Path
) -> None:
    job = await trained(emulator, openai, write_jsonl(tmp_path / "train.jsonl", rows()))
    refusal = "Not allowed to download files of purpose: fine-tune."
    emulator.faults.add(
        Fault(rf"/files/{job.training_file}/content$", status=400, message=refusal, times=5)
    )

    with pytest.raises(DownloadRefused) as caught:
        await plan_migration(openai, together, job.id, LLAMA, work_dir=tmp_path / "w")

    assert caught.value.role == "training" and refusal in caught.value.message
    assert "tuner backup" in caught.value.message and "your own copy" in caught.value.message
    # The user's own copy is the way round it.
    plan = await plan_migration(
        openai,
        together,
        job.id,
        LLAMA,
        work_dir=tmp_path / "w",
        training_path=tmp_path / "train.jsonl",
    )
    assert plan.training.original.origin == "local"


async def test_a_copy_already_downloaded_is_used_again(
    emulator: Emulator, openai: FineTuningService, together: FineTuningService, tmp_path: Path
) -> None:
    job = await trained(emulator, openai, write_jsonl(tmp_path / "train.jsonl", rows()))
    work = default_work_dir(job.id, tmp_path)
    first = await plan_migration(openai, together, job.id, LLAMA, work_dir=work)
    counting = CountingService(openai)
    again = await plan_migration(counting, together, job.id, LLAMA, work_dir=work)
    assert first.training.original.origin == "downloaded"
    assert again.training.original.origin == "already downloaded"
    assert "file_content" not in counting.calls and work.name == f"migrate-{job.id}"


# -- refusals ------------------------------------------------------------------------------------


async def test_an_unknown_model_is_refused_before_any_download(
    emulator: Emulator, openai: FineTuningService, together: FineTuningService, tmp_path: Path
) -> None:
    job = await trained(emulator, openai, write_jsonl(tmp_path / "train.jsonl", rows()))
    with pytest.raises(ServiceError) as caught:
        await plan_migration(openai, together, job.id, "nobody/no-model", work_dir=tmp_path / "w")
    assert caught.value.kind is ErrorKind.MODEL_UNAVAILABLE
    assert not (tmp_path / "w").exists()


async def test_the_target_s_price_refusal_stops_before_the_job(
    emulator: Emulator,
    openai: FineTuningService,
    together: FineTuningService,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tuner.emulator.together import catalog

    job = await trained(emulator, openai, write_jsonl(tmp_path / "train.jsonl", rows()))
    plan = await plan_migration(openai, together, job.id, LLAMA, work_dir=tmp_path / "w")
    monkeypatch.setattr(catalog, "USER_LIMIT_DOLLARS", 0.0)

    with pytest.raises(PriceRefused) as caught:
        await run_migration(plan, together)

    assert "would not start this job" in caught.value.message
    assert (await together.list_jobs()).jobs == ()
    assert [f.id for f in await together.list_files()] == list(caught.value.file_ids)


async def test_a_move_killed_while_its_job_was_asked_for_finds_that_job(
    emulator: Emulator, openai: FineTuningService, together: FineTuningService, tmp_path: Path
) -> None:
    """The record a run leaves when it dies after asking for the job and before saving the
    answer ("creating", no id): the next run finds the job on the uploaded file."""
    from tuner.api.migrate.record import MoveRecord

    job = await trained(emulator, openai, write_jsonl(tmp_path / "train.jsonl", rows()))
    plan = await plan_migration(openai, together, job.id, LLAMA, work_dir=tmp_path / "w")
    first = await run_migration(plan, together, source_profile="oa", target_profile="tg")
    moves = MoveRecord()
    key = plan.move_key("oa", "tg")
    entry = moves.get(key)
    assert entry is not None and entry.state == "created" and entry.job_id == first.job.id
    moves.save(entry.moved(state="creating", job_id=None, created_at=None))
    counting = CountingService(together)

    again = await run_migration(plan, counting, source_profile="oa", target_profile="tg")

    assert again.found and again.job.id == first.job.id
    assert counting.calls["create_job"] == 0 and counting.calls["upload_file"] == 0
    assert [j.id for j in (await together.list_jobs()).jobs] == [first.job.id]
    latest = moves.get(key)
    assert latest is not None and latest.job_id == first.job.id
    other = await run_migration(plan, counting, source_profile="oa", target_profile="tg2")
    assert not other.found and other.job.id != first.job.id  # another target: another move


async def test_data_that_still_breaks_the_rules_is_refused_with_its_problems(
    both: Emulator, tmp_path: Path
) -> None:
    openai, together = open_test_service(both), open_together_service(both)
    try:
        # Together trains 5 examples; OpenAI needs 10.
        lines = [{"prompt": f"{i}?", "completion": str(i)} for i in range(5)]
        path = write_jsonl(tmp_path / "few.jsonl", lines)
        uploaded = await together.upload_file(path)
        job = await together.create_job(JobSpec(LLAMA, uploaded.id))
        with pytest.raises(DataRefused) as caught:
            await plan_migration(together, openai, job.id, BASE_MODEL, work_dir=tmp_path / "w")
        assert [p.code for p in caught.value.problems] == ["too_few_examples"]
        codes = {c.code: c.count for c in caught.value.changes}
        assert codes == {"instruction_to_messages": 5}
        assert "breaks OpenAI's rules even after conversion" in caught.value.message
    finally:
        await openai.close()
        await together.close()


async def test_a_plan_can_be_cancelled_mid_download(
    emulator: Emulator, openai: FineTuningService, together: FineTuningService, tmp_path: Path
) -> None:
    job = await trained(emulator, openai, write_jsonl(tmp_path / "train.jsonl", rows()))
    emulator.faults.add(Fault(rf"/files/{job.training_file}/content$", delay=DEADLINE))
    reached = asyncio.Event()

    def progress(report: MigrationProgress) -> None:
        if report.step == "download":
            reached.set()

    task = asyncio.create_task(
        plan_migration(
            openai, together, job.id, LLAMA, work_dir=tmp_path / "w", on_progress=progress
        )
    )
    await asyncio.wait_for(reached.wait(), DEADLINE)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert list((tmp_path / "w").iterdir()) == []


# -- Together AI to OpenAI -----------------------------------------------------------------------


async def test_together_to_openai(both: Emulator, tmp_path: Path) -> None:
    openai, together = open_test_service(both), open_together_service(both)
    try:
        lines = [{"prompt": f"What is {i} + {i}?", "completion": str(2 * i)} for i in range(12)]
        path = write_jsonl(tmp_path / "instructions.jsonl", lines)
        job = await trained(both, together, path, LLAMA, suffix="sums")

        plan = await plan_migration(together, openai, job.id, BASE_MODEL, work_dir=tmp_path / "w")

        (change,) = plan.training.changes
        assert change.code == "instruction_to_messages" and change.count == 12
        assert plan.source_cost.service == "Together AI" and plan.source_cost.dollars is not None
        assert not plan.service_prices  # OpenAI prices nothing itself
        carried = {s.name: s.sent for s in plan.settings.carried}
        assert carried["suffix"] == "sums" and carried["batch_size"] == 8
        not_carried = {s.name: s.note for s in plan.settings.not_carried}
        assert "automatic choice" in (not_carried["learning_rate"] or "")
        assert "chooses the method itself" in (not_carried["lora"] or "")

        result = await run_migration(plan, openai)

        done = await finish(both, openai, result.job.id)
        assert done.status is JobStatus.SUCCEEDED and done.model == BASE_MODEL
        trained_on = (await openai.file_content(result.training_file)).decode().splitlines()
        assert [json.loads(line)["messages"] for line in trained_on] == [
            [
                {"role": "user", "content": row["prompt"]},
                {"role": "assistant", "content": row["completion"]},
            ]
            for row in lines
        ]
    finally:
        await openai.close()
        await together.close()


async def test_a_preference_job_moves_as_one(
    emulator: Emulator, openai: FineTuningService, together: FineTuningService, tmp_path: Path
) -> None:
    pairs = [
        {
            "input": {"messages": [{"role": "user", "content": f"Say {i}", "name": "u"}]},
            "preferred_output": [{"role": "assistant", "content": f"{i}"}],
            "non_preferred_output": [{"role": "assistant", "content": f"{i + 1}"}],
        }
        for i in range(12)
    ]
    path = write_jsonl(tmp_path / "pairs.jsonl", pairs)
    job = await trained(
        emulator,
        openai,
        path,
        "gpt-4.1-mini-2025-04-14",
        method="dpo",
        hyperparameters=Hyperparameters(beta=0.2),
    )

    plan = await plan_migration(openai, together, job.id, LLAMA, work_dir=tmp_path / "w")

    assert plan.settings.spec.method == "dpo" and plan.settings.spec.hyperparameters.beta == 0.2
    (change,) = plan.training.changes
    assert change.code == "name_dropped" and change.count == 12
    assert plan.training.report.format is not None
    assert plan.training.report.format.value == "preference"
    result = await run_migration(plan, together)
    done = await finish(emulator, together, result.job.id)
    assert done.status is JobStatus.SUCCEEDED and done.method == "dpo"


# -- names of the work files ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "kind", "expected"),
    [
        ("train.jsonl", "together", "file-new__train.together.jsonl"),
        # a file a move uploaded, moved again: its id and kind are not repeated
        ("file-abc__train.together.jsonl", "openai", "file-new__train.openai.jsonl"),
        ("file-abc__train.together.jsonl", "together", "file-new__train.together.jsonl"),
        ("file-a__file-b__train.together.together.jsonl", "azure", "file-new__train.azure.jsonl"),
        (None, "together", "file-new__x.together.jsonl"),  # named by the copy on disk
    ],
)
def test_work_files_are_named_once_by_id_and_kind(
    filename: str | None, kind: str, expected: str, tmp_path: Path
) -> None:
    from tuner.api.migrate.conversion import converted_name
    from tuner.api.migrate.sources import SourceCopy

    path = tmp_path / "file-new__x.jsonl"
    copy = SourceCopy("training", "file-new", filename, path, "downloaded", "0" * 64, 1)
    assert converted_name(copy, kind) == expected


def test_a_copy_of_a_file_a_move_uploaded_keeps_one_id() -> None:
    from tuner.api.backup.folder import file_name

    assert file_name("file-new", "file-abc__train.together.jsonl") == (
        "file-new__train.together.jsonl"
    )
    assert file_name("file-new", "my__notes.jsonl") == "file-new__my__notes.jsonl"  # not an id
