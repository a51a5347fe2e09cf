"""The Together dialect's front door: routes, the API key, and the presigned upload targets.

The emulator's HTTP server asks `admit` about every request under `/together/` before it reads
the body (a request without the key is refused unread), then hands it to `handle` (after
reading its body, applying faults and before writing the answer). Paths under `/together/v1`
are the API, checked for `Authorization: Bearer KEY` like the OpenAI side;
`/together/_presigned/<token>` is the storage the upload's 302 points at, which takes no API
key (the token is the credential, as with a presigned S3 URL).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, unquote

from ..knobs import Knobs
from ..multipart import Part
from ..recall import TrainingMemory
from ..wire import Request, Response
from .errors import invalid_api_key, not_found
from .files import PRESIGNED_PREFIX, FilesEndpoints
from .fine_tunes import FineTunesEndpoints
from .models import ModelsEndpoints
from .store import TogetherState

PREFIX = "/together"
API_PREFIX = "/together/v1"

Handler = Callable[..., Response]


class TogetherService:
    """Together's API on the emulator: its own account state on the shared clock and checker."""

    def __init__(
        self,
        state: TogetherState,
        api_key: Callable[[], str | None],
        knobs: Knobs | None = None,
        memory: TrainingMemory | None = None,
    ) -> None:
        self.state = state
        self._api_key = api_key
        self.files = FilesEndpoints(self.state)
        self.fine_tunes = FineTunesEndpoints(self.state)
        self.models = ModelsEndpoints(self.state, knobs or Knobs(), memory or TrainingMemory())
        f, t, m = self.files, self.fine_tunes, self.models
        job = r"/fine-tunes/(?P<job_id>[^/]+)"
        table: list[tuple[str, str, Handler]] = [
            ("POST", r"/files", f.request_upload),
            ("GET", r"/files", f.list_files),
            ("POST", r"/files/upload", f.upload),
            ("POST", r"/files/multipart/initiate", f.initiate_multipart),
            ("POST", r"/files/multipart/complete", f.complete_multipart),
            ("POST", r"/files/multipart/abort", f.abort_multipart),
            ("GET", r"/files/(?P<file_id>[^/]+)", f.get_file),
            ("DELETE", r"/files/(?P<file_id>[^/]+)", f.delete_file),
            ("GET", r"/files/(?P<file_id>[^/]+)/content", f.file_content),
            ("POST", r"/files/(?P<file_id>[^/]+)/preprocess", f.preprocess),
            ("POST", r"/fine-tunes", t.create),
            ("GET", r"/fine-tunes", t.list_jobs),
            ("POST", r"/fine-tunes/estimate-price", t.estimate_price),
            ("GET", r"/fine-tunes/models/limits", t.limits),
            ("GET", r"/fine-tunes/models/supported", t.supported),
            ("GET", job, t.retrieve),
            ("DELETE", job, t.delete),
            ("POST", job + "/cancel", t.cancel),
            ("GET", job + "/events", t.list_events),
            ("GET", job + "/checkpoints", t.checkpoints),
            ("GET", job + "/metrics", t.metrics),
            ("GET", r"/models", m.list_models),
            ("POST", r"/chat/completions", m.chat_completions),
            ("POST", r"/embeddings", m.embeddings),
        ]
        self.routes = [(method, re.compile(p + r"/?$"), h) for method, p, h in table]

    def handle(
        self,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        json_body: Any,
        form: dict[str, Part],
    ) -> Response:
        """Answer one request whose (unquoted) path starts with `/together/`."""
        lowered = {key.lower(): value for key, value in headers.items()}
        params = parse_qs(query, keep_blank_values=True)
        req = Request(method, path, params, lowered, json_body, form)
        if path.startswith(PRESIGNED_PREFIX) and method == "PUT":
            return self.files.put_presigned(req, path[len(PRESIGNED_PREFIX) :])
        if not path.startswith(API_PREFIX + "/"):
            raise not_found(f"Invalid URL ({method} {path})")
        self._check_key(req)
        req.path = path[len(API_PREFIX) :]
        known_path = False
        for route_method, pattern, handler in self.routes:
            match = pattern.match(req.path)
            if match is None:
                continue
            known_path = True
            if route_method == method:
                kwargs = {key: unquote(value) for key, value in match.groupdict().items()}
                return handler(req, **kwargs)
        detail = " (method not allowed)" if known_path else ""
        raise not_found(f"Invalid URL ({method} {path}){detail}")

    def admit(
        self, method: str, path: str, headers: Mapping[str, str], declared: int | None, limit: int
    ) -> None:
        """Refuse, before its body is read, a request the answer to which needs no body: an
        API call without the right key, a PUT to an unknown presigned URL or declaring more
        bytes than the storage takes (`limit`). Raises the refusal; returns for the rest."""
        if path.startswith(PRESIGNED_PREFIX) and method == "PUT":
            self.files.admit_put(path[len(PRESIGNED_PREFIX) :], declared, limit)
        elif path.startswith(API_PREFIX + "/"):
            lowered = {key.lower(): value for key, value in headers.items()}
            self._check_key(Request(method, path, {}, lowered))

    def _check_key(self, req: Request) -> None:
        expected = self._api_key()
        if expected is None:
            return
        auth = req.headers.get("authorization", "")
        given = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if not given or not hmac.compare_digest(given.encode(), expected.encode()):
            raise invalid_api_key()
