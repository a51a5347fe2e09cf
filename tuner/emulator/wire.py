"""What a route handler receives and returns, independent of the HTTP plumbing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .errors import invalid_request
from .multipart import Part


@dataclass
class Request:
    """One parsed request. `path` is relative to `/v1` (or Azure's `/openai`)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    json: Any = None
    form: dict[str, Part] = field(default_factory=dict)
    azure: bool = False  # either Azure data-plane layout: classic or v1
    azure_v1: bool = False  # Azure's v1 API, under /openai/v1
    arm: bool = False  # the ARM-like control plane, under /azure-management
    deployment: str | None = None

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def int_arg(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.arg(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise invalid_request(f"Invalid '{name}': expected an integer.", param=name) from None
        if not low <= value <= high:
            raise invalid_request(
                f"Invalid '{name}': {value} is not between {low} and {high}.", param=name
            )
        return value

    def body(self) -> dict[str, Any]:
        """The JSON body as an object, or a 400 if it is missing or not an object."""
        if not isinstance(self.json, dict):
            raise invalid_request(
                "We could not parse the JSON body of your request. The OpenAI API expects a "
                "JSON payload."
            )
        return self.json


@dataclass
class JsonResponse:
    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FileResponse:
    """Raw bytes of a stored file, streamed from disk."""

    path: str
    size: int
    content_type: str = "application/octet-stream"


@dataclass
class TextResponse:
    """A body that is not JSON (the XML of a storage host's refusal)."""

    body: bytes
    status: int = 200
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class StreamResponse:
    """Server-sent events: each item is sent as `data: <json>`; `[DONE]` is added at the end."""

    events: Iterator[dict[str, Any]]
    pause: float = 0.0  # real seconds between events


Response = JsonResponse | TextResponse | FileResponse | StreamResponse
