"""The openai SDK's failures become one readable, key-free ServiceError (`translate`)."""

from __future__ import annotations

import httpx2
import openai
import pytest

from tuner.api.errors import (
    PROFILE_HINT,
    ErrorKind,
    ServiceError,
    register_secret,
    scrub,
)
from tuner.api.jobs.spec import JobSpec
from tuner.api.providers.openai import OpenAIService, capabilities_for
from tuner.api.providers.openai.client import make_client
from tuner.api.providers.openai.errors import service_errors, translate
from tuner.config import Connection, Secret
from tuner.emulator import Emulator, Fault

REQUEST = httpx2.Request("POST", "http://127.0.0.1:9/v1/fine_tuning/jobs")


def status_error(
    cls: type[openai.APIStatusError],
    status: int,
    message: str,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> openai.APIStatusError:
    response = httpx2.Response(status, request=REQUEST, headers=headers or {})
    body = {"message": message, "type": "invalid_request_error", "param": None, "code": code}
    return cls(f"Error code: {status} - {body}", response=response, body=body)


@pytest.mark.parametrize(
    ("cls", "status", "kind", "retryable"),
    [
        (openai.AuthenticationError, 401, ErrorKind.AUTH, False),
        (openai.PermissionDeniedError, 403, ErrorKind.PERMISSION, False),
        (openai.NotFoundError, 404, ErrorKind.NOT_FOUND, False),
        (openai.RateLimitError, 429, ErrorKind.RATE_LIMITED, True),
        (openai.InternalServerError, 500, ErrorKind.SERVER, True),
        (openai.InternalServerError, 503, ErrorKind.SERVER, True),
        (openai.BadRequestError, 400, ErrorKind.INVALID_REQUEST, False),
        (openai.APIStatusError, 418, ErrorKind.UNKNOWN, False),
    ],
)
def test_status_errors(
    cls: type[openai.APIStatusError], status: int, kind: ErrorKind, retryable: bool
) -> None:
    error = translate(status_error(cls, status, "the service's own words"))
    assert error.kind is kind
    assert error.status == status
    assert error.retryable is retryable
    assert "the service's own words" in error.message
    assert "\n" not in error.message


def test_retry_after_seconds_and_millis() -> None:
    error = translate(
        status_error(openai.RateLimitError, 429, "slow down", headers={"retry-after": "7"})
    )
    assert error.retry_after == 7.0
    assert "retry after 7s" in error.message
    error = translate(
        status_error(openai.RateLimitError, 429, "slow", headers={"retry-after-ms": "250"})
    )
    assert error.retry_after == 0.25


def test_transport_errors() -> None:
    assert translate(openai.APITimeoutError(REQUEST)).kind is ErrorKind.TIMEOUT
    assert translate(openai.APIConnectionError(request=REQUEST)).kind is ErrorKind.CONNECTION
    assert translate(httpx2.ReadTimeout("slow", request=REQUEST)).kind is ErrorKind.TIMEOUT
    assert translate(ValueError("odd")).kind is ErrorKind.UNKNOWN
    same = ServiceError(ErrorKind.AUTH, "x")
    assert translate(same) is same


def sdk_wrapped(cause: BaseException, *, timeout: bool = False) -> openai.APIConnectionError:
    """What the SDK raises for a transport failure: its own error, caused by httpx2's."""
    try:
        try:
            raise cause
        except BaseException as inner:
            if timeout:
                raise openai.APITimeoutError(REQUEST) from inner
            raise openai.APIConnectionError(request=REQUEST) from inner
    except openai.APIConnectionError as outer:
        return outer


WHERE = "http://127.0.0.1:9/v1"


@pytest.mark.parametrize(
    ("raised", "kind", "words"),
    [
        # Never connected: the service is unreachable, and the message says where.
        (
            sdk_wrapped(httpx2.ConnectError("All connection attempts failed", request=REQUEST)),
            ErrorKind.CONNECTION,
            f"Cannot reach {WHERE}",
        ),
        (
            sdk_wrapped(httpx2.ConnectTimeout("timed out", request=REQUEST), timeout=True),
            ErrorKind.CONNECTION,
            f"Cannot reach {WHERE} (no answer to the connection in time)",
        ),
        # Connected, then lost mid-request: the service is there; the reply was cut.
        (
            sdk_wrapped(httpx2.RemoteProtocolError("peer closed", request=REQUEST)),
            ErrorKind.DROPPED,
            "The connection dropped before the reply was complete",
        ),
        (
            httpx2.ReadError("reset", request=REQUEST),
            ErrorKind.DROPPED,
            "The connection dropped before the reply was complete",
        ),
        (
            httpx2.RemoteProtocolError("incomplete chunked read", request=REQUEST),
            ErrorKind.DROPPED,
            "dropped",
        ),
        (ConnectionResetError(104, "Connection reset by peer"), ErrorKind.DROPPED, "dropped"),
        (ConnectionRefusedError(111, "Connection refused"), ErrorKind.CONNECTION, "refused"),
        # Connected, but the answer did not come in time.
        (
            sdk_wrapped(httpx2.ReadTimeout("slow", request=REQUEST), timeout=True),
            ErrorKind.TIMEOUT,
            "did not answer in time",
        ),
    ],
)
def test_unreachable_and_dropped_are_told_apart(
    raised: BaseException, kind: ErrorKind, words: str
) -> None:
    error = translate(raised, WHERE)
    assert error.kind is kind and words in error.message
    assert error.retryable


def test_refused_names_the_reason() -> None:
    refused = ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 9)")
    connect = httpx2.ConnectError("All connection attempts failed", request=REQUEST)
    connect.__context__ = refused
    error = translate(sdk_wrapped(connect), WHERE)
    assert error.message == f"Cannot reach {WHERE} (connection refused)"
    # Without a URL (an SDK client built outside a service) the message still reads well.
    assert (
        translate(sdk_wrapped(connect)).message == "Cannot reach the service (connection refused)"
    )


@pytest.mark.parametrize(
    ("message", "code", "kind"),
    [
        # The wind-down: fine-tuning itself is closed, whatever the model.
        ("Fine-tuning is no longer available for new jobs.", None, ErrorKind.FINE_TUNING_CLOSED),
        ("Refused.", "fine_tuning_unavailable", ErrorKind.FINE_TUNING_CLOSED),
        (
            "New fine-tuning jobs are not available for your organization.",
            None,
            "fine_tuning_closed",
        ),
        # One model is not there: retired, misspelled, or never fine-tunable.
        ("Refused.", "model_not_available", ErrorKind.MODEL_UNAVAILABLE),
        ("This model is not available for new fine-tuning jobs", None, ErrorKind.MODEL_UNAVAILABLE),
        ("The model gpt-3.5-turbo-0613 has been deprecated.", None, ErrorKind.MODEL_UNAVAILABLE),
        ("Model gone", "model_retired", ErrorKind.MODEL_UNAVAILABLE),
        ("gpt-3.5-turbo-0613 has been retired", "model_not_available", ErrorKind.MODEL_UNAVAILABLE),
        (
            "Model gpt-4o-minni is not available for fine-tuning or does not exist.",
            None,
            ErrorKind.MODEL_UNAVAILABLE,
        ),
        (
            "The model `gpt-9` does not exist or you do not have access to it.",
            "model_not_found",
            ErrorKind.MODEL_UNAVAILABLE,
        ),
        # A model code wins over words that would otherwise read as the wind-down.
        (
            "Fine-tuning is not available for this model.",
            "model_not_available",
            "model_unavailable",
        ),
        ("invalid training_file", "invalid_value", ErrorKind.INVALID_REQUEST),
    ],
)
def test_refusals_are_explained(message: str, code: str | None, kind: ErrorKind) -> None:
    error = translate(status_error(openai.BadRequestError, 400, message, code))
    assert error.kind == kind
    assert message in error.message  # the service's own words are kept
    if kind == ErrorKind.FINE_TUNING_CLOSED:
        assert PROFILE_HINT in error.message
        assert "base_url" in error.message and "profiles.NAME" in error.message
    if kind == ErrorKind.MODEL_UNAVAILABLE:
        assert "retired or unknown" in error.message.lower()
        assert "closing fine-tuning" not in error.message and "base_url" not in error.message
        assert not error.retryable


def test_a_missing_deployment_is_not_a_model_refusal() -> None:
    """Azure's 404 for a deployment says "does not exist" too, but of no model."""
    missing = "The API deployment for this resource does not exist."
    error = translate(status_error(openai.NotFoundError, 404, missing, "DeploymentNotFound"))
    assert error.kind is ErrorKind.NOT_FOUND


def test_keys_are_scrubbed_from_messages() -> None:
    register_secret("test-key-DO-NOT-LEAK-42")
    echoed = "Incorrect API key provided: test-key-DO-NOT-LEAK-42. Bearer abc.def"
    error = translate(status_error(openai.AuthenticationError, 401, echoed))
    assert "test-key-DO-NOT-LEAK-42" not in error.message
    assert "abc.def" not in error.message
    assert "DO-NOT-LEAK" not in repr(error)
    assert scrub("key sk-" + "a1b2c3d4e5f6g7h8 here") == "key **** here"
    assert scrub('{"api_key": "hunter2hunter2"}') == '{"api_key": "****"}'


def test_service_errors_context_manager_leaves_other_errors_alone() -> None:
    with pytest.raises(ServiceError) as caught, service_errors():
        raise openai.APIConnectionError(request=REQUEST)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    with pytest.raises(KeyError), service_errors():
        raise KeyError("mine")
    with pytest.raises(FileNotFoundError), service_errors():
        raise FileNotFoundError("local file")


def test_no_key_is_a_clear_error() -> None:
    with pytest.raises(ServiceError) as caught:
        make_client(Connection("p"))
    assert caught.value.kind is ErrorKind.NO_KEY
    assert "OPENAI_API_KEY" in caught.value.message


async def test_closed_fine_tuning_over_the_wire(emulator: Emulator) -> None:
    emulator.faults.add(
        Fault(
            path_pattern=r"/fine_tuning/jobs$",
            method="POST",
            status=400,
            message="Fine-tuning is no longer available for new jobs on this platform.",
        )
    )
    connection = Connection("p", base_url=emulator.base_url, api_key=Secret("test-key"))
    async with make_client(connection, max_retries=0) as client:
        service = OpenAIService(client, capabilities_for(connection), emulator.base_url)
        with pytest.raises(ServiceError) as caught:
            await service.create_job(JobSpec("gpt-4o-mini-2024-07-18", "file-abc"))
    assert caught.value.kind is ErrorKind.FINE_TUNING_CLOSED
    assert caught.value.status == 400
    assert "base_url" in caught.value.message


async def test_an_unknown_model_over_the_wire_is_named(emulator: Emulator) -> None:
    """The emulator refuses a misspelled model (`model_not_found`): "retired or unknown",
    naming the model, never the wind-down advice."""
    connection = Connection("p", base_url=emulator.base_url, api_key=Secret("test-key"))
    service = OpenAIService.connect(connection)
    try:
        with pytest.raises(ServiceError) as caught:
            await service.create_job(JobSpec("gpt-4o-minni", "file-abc"))
    finally:
        await service.close()
    assert caught.value.kind is ErrorKind.MODEL_UNAVAILABLE
    assert caught.value.message.startswith("gpt-4o-minni is a retired or unknown model")
    assert "closing fine-tuning" not in caught.value.message


async def test_refused_connection_is_connection_error() -> None:
    connection = Connection("p", base_url="http://127.0.0.1:9/v1", api_key=Secret("test-key"))
    async with make_client(connection, max_retries=0, timeout=2) as client:
        service = OpenAIService(client, capabilities_for(connection), "http://127.0.0.1:9/v1")
        with pytest.raises(ServiceError) as caught:
            await service.create_job(JobSpec("gpt-4o-mini-2024-07-18", "file-abc"))
    assert caught.value.kind is ErrorKind.CONNECTION
    assert caught.value.retryable
    assert caught.value.message == "Cannot reach http://127.0.0.1:9/v1 (connection refused)"
