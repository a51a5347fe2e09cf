"""HTTP plumbing: parse requests, check keys, apply faults, write JSON, files and SSE.

A `ThreadingHTTPServer` speaking HTTP/1.1 with keep-alive (as the SDK's connection pool
expects); streams use chunked transfer encoding, so a dropped connection mid-stream is
seen by the client as an incomplete body, exactly as with a real network failure.

Before anything else a request must name a loopback host (`host_check`), then carry the key
(or, for a presigned PUT, name a URL the emulator issued); only then is its body read, by
`bodies`, which answers every malformed one with a 400 and one over the emulator's
`max_body_bytes` with a 413 (unread). A client that stalls for the emulator's `read_timeout` is
cut off, so no thread waits on it forever.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import bodies, host_check, multipart
from .errors import ApiError, invalid_api_key, not_found
from .faults import Fault, Hold
from .openai import azure
from .together import PREFIX as TOGETHER_PREFIX
from .together.errors import StorageError
from .together.raw_body import read_raw_body
from .wire import FileResponse, JsonResponse, Request, Response, StreamResponse, TextResponse

if TYPE_CHECKING:
    from . import Emulator

log = logging.getLogger(__name__)

# How many stream chunks a `drop_connection` fault lets through before cutting.
DROP_AFTER_CHUNKS = 3
# A held stream waits at most this long for its release (a test that forgot it still ends).
HOLD_LIMIT_SECONDS = 60.0
# After refusing a request whose body is left unread: how long, and how much, to keep reading
# (and dropping) what the client still sends before closing. See `_linger`.
LINGER_SECONDS = 1.0
LINGER_BYTES = 4 * 1024 * 1024
# A `drop_during_upload` fault reads at most this much of the body before hanging up.
CUT_UPLOAD_AFTER_BYTES = 64 * 1024


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The listen backlog. The default of 5 makes a burst of connections (a test suite, an
    # SDK's pool opening at once) wait for SYN retransmits: a one-second stall each.
    request_queue_size = 128

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

    @property
    def open_connections(self) -> int:
        """How many client connections the server holds now (a test waits on it to know a
        connection was taken, or let go after an error)."""
        with self._open_lock:
            return len(self._open)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up (its pool closed, the app quit) is ordinary: logged, not printed.

        socketserver's default prints a traceback to stderr, which in `tuner --demo` lands on
        top of the app's screen. Anything else is logged with its traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            log.debug("client %s went away: %s", client_address, error)
        else:
            log.exception("error while serving %s", client_address)

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

    def setup(self) -> None:
        # A read timeout on the socket: a client that stalls while sending headers or a body
        # (or idles on a keep-alive connection) is cut off instead of holding a thread forever.
        self.timeout = self.server.emulator.read_timeout
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    # No route takes these: a JSON 404, not http.server's HTML 501. OPTIONS is a browser's
    # CORS preflight, and the answer carries no Access-Control-* header: the page is refused.
    def do_PATCH(self) -> None:
        self._handle()

    def do_OPTIONS(self) -> None:
        self._handle()

    def do_PUT(self) -> None:  # Together's presigned uploads, Azure's control plane
        self._handle()

    # Request --------------------------------------------------------------------------

    def _handle(self) -> None:
        emulator = self.server.emulator
        url = urlsplit(self.path)
        path = unquote(url.path)
        form: dict[str, multipart.Part] = {}
        fault: Fault | None = None
        self._unread_body = False
        body_read = False
        try:
            # First of all: a refused request neither reads its body nor uses up a fault.
            self._check_host()
            together = path.startswith(TOGETHER_PREFIX + "/")
            req = None if together else self._route(path, url.query)
            limit = emulator.max_body_bytes
            if together:
                declared = self._declared_length(limit)
                emulator.together.admit(self.command, path, self.headers, declared, limit)
            fault = emulator.faults.take(self.command, path)
            if fault is not None and fault.delay > 0:
                time.sleep(fault.delay)
            if fault is not None and fault.drop_during_upload:
                self._cut_upload()
                return
            spool = emulator.state.spool_dir
            if self.command == "PUT" and together:  # a presigned upload: raw bytes, not JSON
                json_body, form = None, read_raw_body(self.rfile, self.headers, spool, limit)
            else:
                json_body, form = bodies.read_body(self.rfile, self.headers, spool, limit)
            body_read = True
            if fault is not None and fault.status is not None:
                raise _fault_error(fault)
            if req is None:
                response = emulator.together.handle(
                    self.command, path, url.query, self.headers, json_body, form
                )
            else:
                req.json, req.form = json_body, form
                response = emulator.service.dispatch(req)
        except ApiError as error:
            if isinstance(error, bodies.BodyError) or (
                not body_read and bodies.has_body(self.headers)
            ):
                # The framing is lost, or the body was never read: the rest is unreadable.
                self.close_connection = self._unread_body = True
            response = _error_response(error)
        except (TimeoutError, ConnectionError):
            # The client stalled past the read timeout, or went away: nobody to answer.
            self.close_connection = True
            return
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
            self._send(response, drop, fault.hold if fault is not None else None)
        except (_Dropped, BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True
            self._hang_up()
        else:
            if self._unread_body:
                self._linger()

    def _declared_length(self, limit: int) -> int | None:
        """The body's declared length (None for a chunked body: known once read); a
        malformed header is the 400 reading the body would give."""
        if bodies.is_chunked(self.headers):
            return None
        try:
            return bodies.content_length(self.headers.get_all("Content-Length") or [])
        except bodies.BodyTooLarge:
            return limit + 1

    def _cut_upload(self) -> None:
        """Read a little of the body, then hang up without a word (a `drop_during_upload`
        fault): the client's upload is cut off part-way, as when a storage host goes away."""
        self.close_connection = True
        with contextlib.suppress(OSError, ValueError):
            declared = self._declared_length(self.server.emulator.max_body_bytes) or 0
            self.rfile.read(min(declared, CUT_UPLOAD_AFTER_BYTES))
        self._hang_up()

    def _check_host(self) -> None:
        """Refuse a Host or Origin that is not local (DNS rebinding, cross-site pages)."""
        try:
            host_check.check_request(
                self.headers.get("Host"),
                self.headers.get("Origin"),
                host_check.bind_names(self.server.emulator.host),
            )
        except ApiError:
            self.close_connection = self._unread_body = True
            raise

    def _route(self, path: str, query: str) -> Request:
        """Split the URL into the service path, check the key and Azure's api-version: all
        before the body is read (the caller fills in `json` and `form`)."""
        params = parse_qs(query, keep_blank_values=True)
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = Request(self.command, path, params, headers)
        if path.startswith("/v1/") or path == "/v1":
            req.path = path[3:]
        elif path.startswith(azure.PREFIXES):
            azure.route(req, path)  # classic, v1 and the control plane
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

    def _send(self, response: Response, drop: bool, hold: Hold | None = None) -> None:
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
        elif isinstance(response, TextResponse):
            headers = {
                "Content-Type": response.content_type,
                "Content-Length": str(len(response.body)),
                **response.headers,
            }
            self._start(response.status, headers)
            if drop:
                self.wfile.write(response.body[: len(response.body) // 2])
                raise _Dropped
            self.wfile.write(response.body)
        elif isinstance(response, FileResponse):
            self._start(
                200,
                {"Content-Type": response.content_type, "Content-Length": str(response.size)},
            )
            with open(response.path, "rb") as handle:
                if drop:
                    self.wfile.write(handle.read(response.size // 2))
                    raise _Dropped
                if hold is not None:  # half the bytes, then wait: a download caught mid-way
                    self.wfile.write(handle.read(response.size // 2))
                    self.wfile.flush()
                    hold.reached.set()
                    hold.release.wait(HOLD_LIMIT_SECONDS)
                while block := handle.read(1024 * 1024):
                    self.wfile.write(block)
        else:
            self._send_stream(response, drop, hold)

    def _send_stream(self, response: StreamResponse, drop: bool, hold: Hold | None) -> None:
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
            if hold is not None and number == hold.after_chunks:
                hold.reached.set()
                hold.release.wait(HOLD_LIMIT_SECONDS)
            self._write_chunk(f"data: {json.dumps(event)}\n\n".encode())
        self._write_chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _linger(self) -> None:
        """Finish sending, then read and drop what the client still sends, briefly.

        Closing a socket that holds unread data makes the kernel send a reset, and a reset can
        destroy the response before the client reads it: the client would see a dropped
        connection instead of the 400 that says what was wrong with its request.
        """
        with contextlib.suppress(OSError):
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + LINGER_SECONDS
            drained = 0
            while drained < LINGER_BYTES and (left := deadline - time.monotonic()) > 0:
                self.connection.settimeout(left)
                block = self.connection.recv(64 * 1024)
                if not block:
                    return
                drained += len(block)

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


def _error_response(error: ApiError) -> JsonResponse | TextResponse:
    """The refusal in its sender's shape: the service's JSON, or a storage host's XML."""
    if isinstance(error, StorageError):
        return TextResponse(error.xml(), error.status, "application/xml", error.headers)
    return JsonResponse(error.body(), error.status, error.headers)
