"""Ids that go into a request's path are checked once, before anything is sent: `..` is refused
in one line (never the SDK's ValueError), and every real id of every service passes."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openai._utils import path_template as openai_path
from together._utils import path_template as together_path

from tuner.api.chat.request import ChatRequest
from tuner.api.errors import ErrorKind, ServiceError
from tuner.api.ids import MalformedId, checked_id, usable_id
from tuner.api.open import open_service
from tuner.api.service import FineTuningService
from tuner.api.types import Job, JobStatus
from tuner.config import Connection, Secret
from tuner.emulator.openai.ids import IdFactory
from tuner.emulator.together.ids import TogetherIds

REAL_IDS = [
    "ftjob-abc123",
    "file-abc",
    "ftckpt_zb8TGmA3bPNOdQW2EEWvJQRs",
    "ft-3b883474-f39c-40d9-9d5a-7f97ba9eeb9f",
    "file-3b883474-f39c-40d9-9d5a-7f97ba9eeb9f",
    "ftjob-0123456789abcdef0123456789abcdef",  # Azure
    "file-0123456789abcdef0123456789abcdef",
    "ft:gpt-4o-mini-2024-07-18:my-org:shop:AbC123",
    "ft:gpt-4o-mini-2024-07-18:my-org:shop:AbC123:ckpt-step-10",
    "gpt-4o-mini-2024-07-18.ft-0123456789abcdef",  # an Azure deployment's model
    "support-bot",
]
BAD_IDS = [
    "",
    ".",
    "..",
    "...",
    "../ftjob-abc",
    "ftjob-abc/../../files",
    "ftjob abc",
    " ftjob-abc",
    "ftjob-abc\n",
    "ftjob-\x1b]0;title\x07",
    "ftjob-\u202eabc",  # right-to-left override: shows as something else
    "ftjob-%2e%2e",
    "ftjob-abc?after=x",
    "ftjob-abc#x",
    "ftjob\\abc",
]


@pytest.mark.parametrize("value", REAL_IDS)
def test_real_ids_pass(value: str) -> None:
    assert usable_id(value) and checked_id(value, "job") == value


def test_the_ids_the_emulated_services_make_pass() -> None:
    ids = IdFactory(seed=None)
    made = [ids.new(prefix) for prefix in ("file-", "ftjob-", "ftevent-", "ftckpt_")]
    together = TogetherIds(seed=7)
    made += [together.uuid("ft-"), together.uuid("file-"), f"ft-{uuid.uuid4()}"]
    assert all(usable_id(value) for value in made), made


@pytest.mark.parametrize("value", BAD_IDS)
def test_ids_that_are_paths_or_hold_controls_are_refused(value: str) -> None:
    assert not usable_id(value)
    with pytest.raises(MalformedId) as caught:
        checked_id(value, "job")
    error = caught.value
    assert isinstance(error, ServiceError) and error.kind is ErrorKind.INVALID_REQUEST
    assert error.message.endswith("' is not a job id") and "\n" not in error.message
    assert "\x1b" not in error.message


def test_the_message_names_the_id() -> None:
    assert MalformedId("..", "job").message == "'..' is not a job id"
    assert MalformedId("x" * 500, "file").message == f"'{'x' * 59}…' is not a file id"


@given(st.text())
def test_at_least_as_strict_as_the_sdks(value: str) -> None:
    """Whatever passes here, both SDKs accept as a path segment (they raise ValueError for the
    dot-segments and refuse an empty id before that)."""
    if not usable_id(value):
        return
    for path_template in (openai_path, together_path):
        path = path_template("/fine_tuning/jobs/{job_id}/events", job_id=value)
        assert path.count("/") == 4  # one segment: nothing in the id made another


# -- the services check before any request -------------------------------------------------------


def closed_url(path: str = "/v1") -> str:
    """A URL where nothing listens: a request sent there would be "Cannot reach"."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


def services() -> list[FineTuningService]:
    openai_side = Connection("oa", base_url=closed_url(), api_key=Secret("test-key"))
    together = Connection(
        "tg", kind="together", base_url=closed_url("/together"), api_key=Secret("test-key")
    )
    return [open_service(openai_side), open_service(together)]


def job(job_id: str) -> Job:
    return Job(job_id, JobStatus.SUCCEEDED, "gpt-4o-mini-2024-07-18", 0)


CALLS: list[tuple[str, Callable[[FineTuningService, str], Awaitable[Any]]]] = [
    ("job", lambda service, value: service.retrieve_job(value)),
    ("job", lambda service, value: service.cancel_job(value)),
    ("job", lambda service, value: service.list_events(value)),
    ("job", lambda service, value: service.list_checkpoints(value)),
    ("file", lambda service, value: service.file_content(value)),
    ("file", lambda service, value: service.save_file(value, Path("never-written"))),
    ("file", lambda service, value: service.delete_file(value)),
]


@pytest.mark.parametrize("value", ["..", "ftjob-a/../b", ""])
async def test_each_service_refuses_a_bad_id_before_any_request(value: str) -> None:
    for service in services():
        try:
            for what, call in CALLS:
                with pytest.raises(MalformedId, match=f"is not a {what} id$"):
                    await call(service, value)
            if service.capabilities.pause_resume:
                with pytest.raises(MalformedId):
                    await service.pause_job(value)
            if service.capabilities.kind == "together":
                with pytest.raises(MalformedId):
                    await service.job_metrics(job(value))
        finally:
            await service.close()
    assert not Path("never-written").exists()


async def test_azure_classic_checks_the_model_it_puts_in_the_path() -> None:
    connection = Connection(
        "az",
        kind="azure",
        azure_endpoint=closed_url(""),
        api_version="2025-04-01-preview",
        api_key=Secret("test-key"),
    )
    service = open_service(connection)
    request = ChatRequest("..", [{"role": "user", "content": "hi"}])
    try:
        with pytest.raises(MalformedId, match=r"^'\.\.' is not a model id$"):
            async for _ in service.stream_chat(request):
                pass
    finally:
        await service.close()
