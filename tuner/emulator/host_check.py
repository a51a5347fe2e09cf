"""Which Host and Origin headers the emulator answers: loopback names only.

The emulator listens on 127.0.0.1 and, during a demo, holds users' uploaded training data. A web
page can still reach it by DNS rebinding: the page's own name (evil.example) is made to resolve
to 127.0.0.1, and the browser then sends `Host: evil.example:PORT`. Answering only loopback names
defeats that. A page on another site can also send "simple" requests (a form POST, text/plain,
multipart) with no preflight, and those carry `Host: 127.0.0.1`; but browsers name the page in
`Origin`, and no SDK sends one, so a request from a foreign origin is refused as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from .errors import ApiError

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "[::1]"})
_WILDCARDS = frozenset({"", "0.0.0.0", "::"})

# A host name or bracketed IPv6 address, then an optional port of up to 5 digits.
_HOST = re.compile(r"(?P<name>\[[0-9A-Fa-f:.]+\]|[^:\[\]@/\s]+)(?::(?P<port>\d{1,5}))?")


def bind_names(host: str) -> tuple[str, ...]:
    """Extra names to accept for an emulator bound to `host` (a wildcard adds none)."""
    if host in _WILDCARDS:
        return ()
    return (f"[{host}]",) if ":" in host else (host,)


def is_allowed_host(value: str | None, extra: Iterable[str] = ()) -> bool:
    """True when a Host header names a loopback address (or one of `extra`), any port."""
    if not value:
        return False
    match = _HOST.fullmatch(value.strip())
    if match is None:
        return False
    port = match.group("port")
    if port is not None and int(port) > 65535:
        return False
    name = match.group("name").lower()
    return name in LOOPBACK_NAMES or name in {e.lower() for e in extra}


def is_allowed_origin(value: str | None, extra: Iterable[str] = ()) -> bool:
    """True when there is no Origin (every SDK), or it is an http(s) page on a loopback name."""
    if value is None:
        return True
    parts = urlsplit(value.strip())
    return parts.scheme in ("http", "https") and is_allowed_host(parts.netloc, extra)


def check_request(host: str | None, origin: str | None, extra: Iterable[str] = ()) -> None:
    """Raise the refusal for a request whose Host or Origin is not local; else nothing."""
    names = tuple(extra)
    allowed = ", ".join(sorted(LOOPBACK_NAMES))
    if host is None:
        raise ApiError(
            400,
            f"The request has no Host header; the emulator answers only {allowed}.",
            code="invalid_host",
        )
    if not is_allowed_host(host, names):
        # 421 Misdirected Request: this server does not answer for that name. The name is not
        # echoed back, so nothing a page chose ends up in the response.
        raise ApiError(
            421,
            f"The Host header does not name this server; the emulator answers only {allowed} "
            "(with any port). A request through another name, as in DNS rebinding, is refused.",
            code="invalid_host",
        )
    if not is_allowed_origin(origin, names):
        raise ApiError(
            403,
            "Requests from web pages on other origins are refused; the emulator answers local "
            "clients and pages served from localhost only.",
            code="invalid_origin",
        )
