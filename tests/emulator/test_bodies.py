"""Malformed requests are the client's mistake: a 400 in the service's error shape, never a 500."""

from __future__ import annotations

import json

import pytest

from tuner.emulator import Emulator

from .conftest import RawResponse, raw_request, request_bytes

CHAT = b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}'


def _assert_400(response: RawResponse, fragment: str = "") -> None:
    assert response.status == 400, response.body
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert fragment.lower() in error["message"].lower()


@pytest.mark.parametrize("length", ["abc", "-5", "1e3", "0x10", " "])
def test_bad_content_length(emu: Emulator, length: str) -> None:
    request = request_bytes(
        "POST", "/v1/chat/completions", CHAT, headers={"Content-Length": length}
    )
    _assert_400(raw_request(emu, request), "Content-Length")


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/together/v1/chat/completions"])
def test_a_body_over_the_limit_is_a_413_in_the_service_shape(path: str) -> None:
    with Emulator(speed=1000, max_body_bytes=1000) as emu:
        request = request_bytes("POST", path, b"{" + b" " * 2000 + b"}")
        response = raw_request(emu, request)
    assert response.status == 413, response.body
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert "over the emulator's limit of 1,000 bytes" in error["message"]


def test_a_chunked_body_over_the_limit_is_a_413() -> None:
    with Emulator(speed=1000, max_body_bytes=1000) as emu:
        chunk = b"{" + b" " * 1500 + b"}"
        body = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n0\r\n\r\n"
        response = raw_request(emu, _chunked(body))
    assert response.status == 413, response.body


def test_the_limit_is_a_gibibyte_unless_told() -> None:
    assert Emulator().max_body_bytes == 1024 * 1024 * 1024


def _chunked(chunks: bytes) -> bytes:
    head = request_bytes(
        "POST",
        "/v1/chat/completions",
        headers={"Transfer-Encoding": "chunked", "Content-Type": "application/json"},
    )
    return head + chunks


def test_chunked_body_is_read(emu: Emulator) -> None:
    body = f"{len(CHAT):x}\r\n".encode() + CHAT + b"\r\n0\r\n\r\n"
    assert raw_request(emu, _chunked(body)).status == 200


@pytest.mark.parametrize(
    "chunks",
    [
        b"zz\r\nabc\r\n0\r\n\r\n",  # not hex
        b"-5\r\nabc\r\n0\r\n\r\n",  # negative
        b"\r\n",  # empty size line, then the end of input
        b"3\r\nabcXY0\r\n\r\n",  # no CRLF after the chunk data
        b"5\r\nab",  # cut short
        b"1" * 70_000 + b"\r\n",  # a size line with no end
    ],
    ids=["not-hex", "negative", "empty", "no-crlf", "cut-short", "endless-size-line"],
)
def test_bad_chunked_encoding(emu: Emulator, chunks: bytes) -> None:
    _assert_400(raw_request(emu, _chunked(chunks)), "chunk")


def test_deep_json_nesting(emu: Emulator) -> None:
    deep = b"[" * 200_000 + b"]" * 200_000  # RecursionError inside json.loads
    _assert_400(raw_request(emu, request_bytes("POST", "/v1/chat/completions", deep)), "nested")
    # Shallow enough for json.loads, too deep for anything after it to walk safely.
    nested = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    for _ in range(500):
        nested = {"x": nested}
    request = request_bytes("POST", "/v1/chat/completions", json.dumps(nested).encode())
    _assert_400(raw_request(emu, request), "nested")


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_standard_json_constants(emu: Emulator, constant: bytes) -> None:
    body = b'{"model": "gpt-4o-mini", "temperature": ' + constant + b', "messages": []}'
    _assert_400(raw_request(emu, request_bytes("POST", "/v1/chat/completions", body)), "JSON")


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"--x\r\n"),  # no boundary parameter
        ("multipart/form-data; boundary=x", b"garbage with no boundary at all"),
        ("multipart/form-data; boundary=x", b"--x\r\nno-colon-header\r\n\r\nv\r\n--x--\r\n"),
        ("multipart/form-data; boundary=x", b"--xjunk"),
        ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data\r\n\r\n"),
    ],
)
def test_unparseable_multipart(emu: Emulator, content_type: str, body: bytes) -> None:
    request = request_bytes("POST", "/v1/files", body, headers={"Content-Type": content_type})
    response = raw_request(emu, request)
    _assert_400(response)
    assert response.headers["connection"] == "close"


def test_unsupported_methods_get_a_json_404(emu: Emulator) -> None:
    for method in ("PUT", "PATCH", "OPTIONS"):
        response = raw_request(emu, request_bytes(method, "/v1/models", b"{}"))
        assert response.status == 404, method
        assert "method not allowed" in response.json()["error"]["message"]
        assert not any(k.startswith("access-control-") for k in response.headers)


@pytest.mark.parametrize(
    "body",
    [
        {"hyperparameters": {"n_epochs": 10**400}},
        {"hyperparameters": {"batch_size": 1e308}},
        {"hyperparameters": {"learning_rate_multiplier": 10**400}},
        {"metadata": {"k": ["not", "a", "string"]}},
        {"method": {"type": ["dpo"]}},
        {"method": {"type": "dpo", "dpo": {"hyperparameters": []}}},
        {"suffix": 5},
        {"seed": True},
        {"integrations": [{"type": "wandb", "wandb": []}]},
    ],
)
def test_odd_job_fields_are_400s(
    emu: Emulator, training_file: str, body: dict[str, object]
) -> None:
    fields = {"model": "gpt-4o-mini", "training_file": training_file, **body}
    request = request_bytes("POST", "/v1/fine_tuning/jobs", json.dumps(fields).encode())
    assert raw_request(emu, request).status == 400


@pytest.mark.parametrize(
    "messages",
    [
        [{"role": "user", "content": [{"type": "text", "text": 5}]}],
        [{"role": "user", "content": [{"type": "text", "text": None}, "bare"]}],
        [{"role": ["user"], "content": "hi"}],
        [{"role": "user", "content": {"weird": True}}],
    ],
)
def test_odd_chat_messages_are_never_500s(emu: Emulator, messages: list[object]) -> None:
    body = json.dumps({"model": "gpt-4o-mini", "messages": messages}).encode()
    response = raw_request(emu, request_bytes("POST", "/v1/chat/completions", body))
    assert response.status in (200, 400), response.body


@pytest.mark.parametrize(
    "body",
    [
        {"filename": "a.jsonl", "purpose": ["fine-tune"], "bytes": 3, "mime_type": "x"},
        {"filename": "a.jsonl", "purpose": "fine-tune", "bytes": 10**400, "mime_type": "x"},
        {"filename": {"a": 1}, "purpose": "fine-tune", "bytes": 3, "mime_type": "x"},
    ],
)
def test_odd_upload_fields_are_400s(emu: Emulator, body: dict[str, object]) -> None:
    request = request_bytes("POST", "/v1/uploads", json.dumps(body).encode())
    assert raw_request(emu, request).status == 400


def test_query_arguments(emu: Emulator) -> None:
    for query in ("limit=abc", "limit=-1", "limit=" + "9" * 5000, "after=%ff%fe"):
        response = raw_request(emu, request_bytes("GET", f"/v1/fine_tuning/jobs?{query}"))
        assert response.status in (200, 400), query
