"""Uploads by both routes, with progress that ends at the file size; parts retried, not lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.providers.openai import uploads
from tuner.api.providers.openai.uploads import upload_file
from tuner.api.retry import RetryPolicy
from tuner.emulator import Emulator, Fault


async def file_text(client, file_id: str) -> str:
    return (await client.files.content(file_id)).text


async def test_single_request_upload_reports_progress(client, train_file: Path) -> None:
    seen: list[tuple[int, int]] = []
    uploaded = await upload_file(client, train_file, progress=lambda a, b: seen.append((a, b)))
    size = train_file.stat().st_size
    assert uploaded.bytes == size
    assert uploaded.filename == "train.jsonl"
    assert uploaded.purpose == "fine-tune"
    assert seen[-1] == (size, size)
    assert all(total == size for _, total in seen)
    assert await file_text(client, uploaded.id) == train_file.read_text()


async def test_uploads_api_in_parts(client, service_env: Emulator, train_file: Path) -> None:
    seen: list[int] = []
    size = train_file.stat().st_size
    uploaded = await upload_file(
        client,
        train_file,
        progress=lambda done, total: seen.append(done),
        single_request_limit=100,
        part_size=700,
    )
    expected_parts = -(-size // 700)
    assert seen == [min(size, 700 * (n + 1)) for n in range(expected_parts)]
    assert uploaded.bytes == size
    # The parts were joined in order: the content is byte for byte the file.
    assert await file_text(client, uploaded.id) == train_file.read_text()


async def test_part_failure_cancels_the_upload(client, service_env: Emulator, train_file) -> None:
    service_env.faults.add(Fault(path_pattern=r"/parts$", status=400, message="bad part"))
    with pytest.raises(ServiceError) as caught:
        await upload_file(client, train_file, single_request_limit=10, part_size=500)
    assert caught.value.kind is ErrorKind.INVALID_REQUEST  # not retryable: at once
    assert "bad part" in caught.value.message
    assert len(service_env.faults) == 0
    assert [u.status for u in service_env.state.uploads.values()] == ["cancelled"]


# Retries of a failing part on a fast clock: 1-5 ms apart instead of seconds.
FAST_PARTS = RetryPolicy(attempts=None, base=0.001, cap=0.005)


@pytest.mark.parametrize(
    "faults",
    [
        # More failures in a row than the SDK's own retries would absorb.
        [Fault(path_pattern=r"/parts$", status=500, times=4)],
        [
            Fault(path_pattern=r"/parts$", status=429, retry_after=0.001, times=2),
            Fault(path_pattern=r"/parts$", status=503, times=2),
        ],
        # The service took the part but the answer was cut: sent again, and only the part
        # whose id came back is joined.
        [Fault(path_pattern=r"/parts$", drop_connection=True, times=2)],
    ],
    ids=["server-errors", "rate-limits", "dropped"],
)
async def test_a_failing_part_is_retried_and_the_upload_completes(
    client, service_env: Emulator, train_file: Path, faults: list[Fault]
) -> None:
    """One bad part used to cancel the whole upload, losing the parts already sent."""
    # The second part fails: the first one, already sent, must not be sent again.
    first_part = Fault(path_pattern=r"/parts$", times=1)  # passes through untouched
    service_env.faults.add(first_part)
    for fault in faults:
        service_env.faults.add(fault)
    size = train_file.stat().st_size
    seen: list[int] = []
    uploaded = await upload_file(
        client,
        train_file,
        progress=lambda done, total: seen.append(done),
        single_request_limit=100,
        part_size=700,
        retry=FAST_PARTS,
    )
    assert len(service_env.faults) == 0  # every injected failure was met and retried
    # Progress only moves on when a part is in, so it never goes back.
    assert seen == [min(size, 700 * (n + 1)) for n in range(-(-size // 700))]
    # Each part joined exactly once, in order: the content is byte for byte the file.
    assert uploaded.bytes == size
    assert await file_text(client, uploaded.id) == train_file.read_text()
    assert [u.status for u in service_env.state.uploads.values()] == ["completed"]


async def test_a_part_that_keeps_failing_cancels_the_upload_after_the_budget(
    client, service_env: Emulator, train_file: Path
) -> None:
    service_env.faults.add(Fault(path_pattern=r"/parts$", status=500, times=10_000))
    with pytest.raises(ServiceError) as caught:
        await upload_file(
            client,
            train_file,
            single_request_limit=100,
            part_size=700,
            retry=FAST_PARTS,
            retry_budget=0.05,
        )
    assert caught.value.kind is ErrorKind.SERVER
    assert "part 1 of" in caught.value.message and "gave up after" in caught.value.message
    assert [u.status for u in service_env.state.uploads.values()] == ["cancelled"]


async def test_module_constants_are_the_service_limits() -> None:
    assert uploads.SINGLE_REQUEST_LIMIT == 512 * 1024 * 1024
    assert uploads.PART_SIZE == 64 * 1024 * 1024
    assert uploads.PART_RETRY_BUDGET == 60.0  # about a minute of retrying per part


async def test_missing_local_file_is_oserror(client, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        await upload_file(client, tmp_path / "nope.jsonl")
