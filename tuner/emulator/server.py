"""HTTP plumbing: parse requests, check keys, apply faults, write JSON, files and SSE.

A `ThreadingHTTPServer` speaking HTTP/1.1 with keep-alive (as the SDK's connection pool
expects); streams use chunked transfer encoding, so a dropped connection mid-stream is
seen by the client as an incomplete body, exactly as with a real network failure.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import re
import socket
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import parse_qs, unquote, urlsplit

from . import multipart
from .errors import ApiError, invalid_api_key, invalid_request, not_found
from .faults import Fault
from .wire import FileResponse, JsonResponse, Request, Response, StreamResponse

if TYPE_CHECKING:
    from . import Emulator

log = logging.getLogger(__name__)

MAX_JSON_BYTES = 64 * 1024 * 1024
# How many stream chunks a `drop_connection` fault lets through before cutting.
DROP_AFTER_CHUNKS = 3
_AZURE_DEPLOYMENT = re.compile(r"^/deployments/(?P<name>[^/]+)(?P<rest>/.*)$")


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        self.emulator = emulator
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, RequestHandler)

    # Open connections are tracked so `close_connections` can end idle keep-alive ones:
    # otherwise their threads would outlive `stop()` and serve from a deleted store.
    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Dropped(Exception):
    """The response was cut on purpose; the connection must close."""


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without this, Nagle plus delayed ACKs
    # add 40 ms to every response.
    disable_nagle_algorithm = True
    server: EmulatorHTTPServer
    server_version = "tuner-emulator"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    # Request --------------------------------------------------------------------------

    def _handle(self) -> None:
        emulator = self.server.emulator
        url = urlsplit(self.path)
        path = unquote(url.path)
        fault = emulator.faults.take(self.command, path)
        form: dict[str, multipart.Part] = {}
        try:
            if fault is not None and fault.delay > 0:
                time.sleep(fault.delay)
            json_body, form = self._read_body(emulator.state.spool_dir)
            if fault is not None and fault.status is not None:
                raise _fault_error(fault)
            req = self._route(path, url.query, json_body, form)
            response = emulator.service.dispatch(req)
        except ApiError as error:
            response = JsonResponse(error.body(), error.status, error.headers)
        except multipart.MultipartError as error:
            self.close_connection = True  # the rest of the body is unread
            response = _error_response(invalid_request(f"Malformed multipart body: {error}"))
        except Exception:
            self.close_connection = True
            log.exception("emulator handler failed")
            response = _error_response(
                ApiError(500, "The emulator failed on this request.", type="server_error")
            )
        finally:
            for part in form.values():
                if part.path:
                    multipart._remove(part.path)
        drop = fault is not None and fault.drop_connection
        try:
            self._send(response, drop)
        except (_Dropped, BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            self._hang_up()

    def _read_body(self, spool_dir: str) -> tuple[Any, dict[str, multipart.Part]]:
        """Consume the whole body (keep-alive needs it) and parse it as JSON or multipart."""
        stream: BinaryIO = self.rfile
        content_type = self.headers.get("Content-Type", "")
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            stream, length = self._dechunk(spool_dir)
        else:
            length = int(self.headers.get("Content-Length") or 0)
        if length == 0:
            return None, {}
        if content_type.startswith("multipart/form-data"):
            boundary = multipart.boundary_of(content_type)
            return None, multipart.parse(stream, length, boundary, spool_dir)
        if length > MAX_JSON_BYTES:
            _discard(stream, length)
            raise invalid_request("The request body is too large.")
        raw = stream.read(length)
        try:
            return json.loads(raw), {}
        except ValueError:
            raise invalid_request(
                "We could not parse the JSON body of your request. The OpenAI API expects a "
                "JSON payload."
            ) from None

    def _dechunk(self, spool_dir: str) -> tuple[BinaryIO, int]:
        # Closed by the garbage collector once the request is done.
        spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024, dir=spool_dir)  # noqa: SIM115
        total = 0
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                break
            spool.write(self.rfile.read(size))
            self.rfile.readline()
            total += size
        spool.seek(0)
        return spool, total  # type: ignore[return-value]

    def _route(
        self, path: str, query: str, json_body: Any, form: dict[str, multipart.Part]
    ) -> Request:
        """Split the URL into the service path, check the key and Azure's api-version."""
        params = parse_qs(query, keep_blank_values=True)
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = Request(self.command, path, params, headers, json_body, form)
        if path.startswith("/v1/") or path == "/v1":
            req.path = path[3:]
        elif path.startswith("/openai/"):
            req.azure = True
            req.path = path[len("/openai") :]
            version = req.arg("api-version")
            if not version:
                raise ApiError(404, "Resource not found", code="404")
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}(-preview)?", version):
                raise ApiError(400, "API version not supported", code="BadRequest")
            match = _AZURE_DEPLOYMENT.match(req.path)
            if match is not None:
                req.deployment = match.group("name")
                req.path = match.group("rest")
        else:
            raise not_found(f"Invalid URL ({self.command} {path})")
        self._check_key(req)
        return req

    def _check_key(self, req: Request) -> None:
        expected = self.server.emulator.api_key
        if expected is None:
            return
        given = ""
        auth = req.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        if req.azure and req.headers.get("api-key"):
            given = req.headers["api-key"]
        if not given or not hmac.compare_digest(given.encode(), expected.encode()):
            raise invalid_api_key(provided=bool(given))

    # Response -------------------------------------------------------------------------

    def _start(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("x-request-id", "req_" + uuid.uuid4().hex)
        self.send_header("openai-organization", "org-tuner-emulator")
        for key, value in headers.items():
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()

    def _send(self, response: Response, drop: bool) -> None:
        if isinstance(response, JsonResponse):
            payload = json.dumps(response.body).encode()
            headers = {
                "Content-Type": "application/json",
                "Content-Length": str(len(payload)),
                **response.headers,
            }
            self._start(response.status, headers)
            if drop:
                self.wfile.write(payload[: len(payload) // 2])
                raise _Dropped
            self.wfile.write(payload)
        elif isinstance(response, FileResponse):
            self._start(
                200,
                {"Content-Type": response.content_type, "Content-Length": str(response.size)},
            )
            with open(response.path, "rb") as handle:
                if drop:
                    self.wfile.write(handle.read(response.size // 2))
                    raise _Dropped
                while block := handle.read(1024 * 1024):
                    self.wfile.write(block)
        else:
            self._send_stream(response, drop)

    def _send_stream(self, response: StreamResponse, drop: bool) -> None:
        self._start(
            200,
            {
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
                "Transfer-Encoding": "chunked",
            },
        )
        for number, event in enumerate(response.events):
            if drop and number >= DROP_AFTER_CHUNKS:
                raise _Dropped
            if number and response.pause:
                time.sleep(response.pause)
            self._write_chunk(f"data: {json.dumps(event)}\n\n".encode())
        self._write_chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _hang_up(self) -> None:
        """Close the socket now, without finishing the response."""
        with contextlib.suppress(OSError):
            self.wfile.flush()
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def _fault_error(fault: Fault) -> ApiError:
    message, type_, code = fault.error_fields()
    assert fault.status is not None
    return ApiError(fault.status, message, type=type_, code=code, headers=fault.error_headers())


def _error_response(error: ApiError) -> JsonResponse:
    return JsonResponse(error.body(), error.status, error.headers)


def _discard(stream: BinaryIO, length: int) -> None:
    while length > 0:
        block = stream.read(min(length, 1024 * 1024))
        if not block:
            return
        length -= len(block)
