"""Fault injection: make chosen requests fail the way a real network and service do.

A test adds a `Fault` for a path pattern; the next `times` matching requests get it and
then it is gone. This is how the suite proves that tuner survives 429s with Retry-After,
5xx errors, dropped connections and slow responses without a real outage.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

# What each status says, in the service's wording and error types.
_DEFAULT_ERRORS: dict[int, tuple[str, str, str | None]] = {
    429: (
        "Rate limit reached for requests. Please try again in a moment.",
        "requests",
        "rate_limit_exceeded",
    ),
    500: (
        "The server had an error while processing your request. Sorry about that!",
        "server_error",
        None,
    ),
    502: ("Bad gateway.", "server_error", None),
    503: ("The engine is currently overloaded, please try again later.", "server_error", None),
}


@dataclass
class Hold:
    """Pause a streamed reply after `after_chunks` chunks until `release` is set.

    A test that must act while a reply is half-written (stop it, watch it grow) waits for
    `reached`, acts, then sets `release`: no timing, however slow the machine.
    """

    after_chunks: int = 2
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


@dataclass
class Fault:
    """One injected misbehaviour.

    - `path_pattern`: a regex searched in the request path (e.g. `r"/fine_tuning/jobs$"`).
    - `method`: only requests with this HTTP method (None: any).
    - `status`: answer with this error status instead of the real response.
    - `retry_after`: seconds for `Retry-After` / `retry-after-ms` (429 and 503 only).
    - `drop_connection`: close the socket part-way through the response (for a stream,
      after a few chunks).
    - `drop_during_upload`: hang up part-way through reading the request's body, without
      answering: the client sees its upload cut off (a storage host gone mid-PUT).
    - `delay`: sleep this many real seconds (not divided by speed) before answering.
    - `hold`: stop a streamed reply part-way until the test releases it (see `Hold`); a file's
      content stops after half its bytes.
    - `times`: how many matching requests it applies to before it is removed.
    """

    path_pattern: str
    status: int | None = None
    method: str | None = None
    retry_after: float | None = None
    drop_connection: bool = False
    drop_during_upload: bool = False
    delay: float = 0.0
    hold: Hold | None = None
    times: int = 1
    message: str | None = None
    _regex: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._regex = re.compile(self.path_pattern)
        if self.method is not None:
            self.method = self.method.upper()

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method.upper():
            return False
        return self._regex.search(path) is not None

    def error_fields(self) -> tuple[str, str, str | None]:
        """(message, type, code) for the error body of `status`."""
        assert self.status is not None
        message, type_, code = _DEFAULT_ERRORS.get(
            self.status, (f"Injected error {self.status}.", "server_error", None)
        )
        return self.message or message, type_, code

    def error_headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        return {
            "Retry-After": _format_seconds(self.retry_after),
            "retry-after-ms": _format_seconds(self.retry_after * 1000),
        }


def _format_seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


class FaultSet:
    """The emulator's pending faults; thread-safe, first match wins."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        if fault.times < 1:
            raise ValueError("a fault must apply at least once")
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)

    def take(self, method: str, path: str) -> Fault | None:
        """The first fault matching this request, used up by one; None if none match."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None
