"""The streaming multipart reader, with boundaries falling across read edges."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuner.emulator import multipart

BOUNDARY = b"----b0undary"


def _body(fields: dict[str, bytes], files: dict[str, bytes]) -> bytes:
    out = b""
    for name, value in fields.items():
        out += b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="' + name.encode()
        out += b'"\r\n\r\n' + value + b"\r\n"
    for name, value in files.items():
        out += b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="' + name.encode()
        out += b'"; filename="f.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
        out += value + b"\r\n"
    return out + b"--" + BOUNDARY + b"--\r\n"


@settings(max_examples=60, deadline=None)
@given(
    value=st.binary(max_size=200) | st.just(b"\r\n--" + BOUNDARY[:-1]),
    data=st.binary(max_size=500),
    read_size=st.integers(1, 64),
)
def test_round_trip(
    tmp_path_factory: pytest.TempPathFactory, value: bytes, data: bytes, read_size: int
) -> None:
    spool = tmp_path_factory.mktemp("spool")
    body = _body({"purpose": value}, {"file": data})
    parts = multipart.parse(io.BytesIO(body), len(body), BOUNDARY, str(spool), read_size)
    assert parts["purpose"].value == value
    file_part = parts["file"]
    assert file_part.filename == "f.bin" and file_part.size == len(data)
    assert file_part.path is not None
    assert Path(file_part.path).read_bytes() == data
    os.unlink(file_part.path)


def test_truncated_body_is_an_error_and_leaves_no_files(tmp_path: Path) -> None:
    body = _body({}, {"file": b"x" * 100})[:-30]
    with pytest.raises(multipart.MultipartError):
        multipart.parse(io.BytesIO(body), len(body), BOUNDARY, str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_boundary_from_content_type() -> None:
    assert multipart.boundary_of('multipart/form-data; boundary="abc"') == b"abc"
    with pytest.raises(multipart.MultipartError):
        multipart.boundary_of("multipart/form-data")
