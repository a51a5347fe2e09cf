"""Structured output: a chat request's `response_format`, checked, and a reply that keeps to it.

`json_object` gets a JSON object; `json_schema` gets JSON that conforms to the schema: objects
(every property, so `required` and strict mode hold), strings (with `minLength`/`maxLength`,
`enum`, `const`, and the `date`, `date-time`, `email`, `uri` and `uuid` formats), numbers and
integers within `minimum`/`maximum` (exclusive too) and `multipleOf`, booleans, null, arrays
within `minItems`/`maxItems`, `anyOf`/`oneOf`/`allOf`, and `$ref` into `$defs`/`definitions`.
A `pattern` is not generated for: a schema that needs one gets a plain string.

What goes into the JSON comes from what the model would have said: `hints` (the judge's verdict,
or a remembered reply that was itself JSON) fill the fields they fit, the reply's text fills the
first free string, and the rest is drawn from a generator seeded by the model and the messages.

Strict mode is checked as the service checks it: every object needs `additionalProperties:
false` and every property listed in `required`; otherwise the request is refused with a 400.
Both dialects use it (Together takes the same `json_schema` shape, and an older `json_object`
with a `schema` beside it).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

# Deeper nesting than this (a recursive `$ref`) is cut short.
MAX_DEPTH = 12
# From this depth on, optional properties are left out and nullable values are null, so a
# recursive schema ends soon.
OPTIONAL_DEPTH = 3
_TYPES = ("text", "json_object", "json_schema")


class ResponseFormatError(ValueError):
    """A `response_format` the service would refuse; `param` names the offending field."""

    def __init__(self, message: str, param: str = "response_format") -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class ResponseFormat:
    """What a request asked for: "text", "json_object" or "json_schema" (with its schema)."""

    type: str
    name: str | None = None
    schema: dict[str, Any] | None = None
    strict: bool = False


def parse_response_format(value: Any) -> ResponseFormat | None:
    """The request's `response_format`, checked; None when it has none (plain text)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ResponseFormatError("Invalid type for 'response_format': expected an object.")
    kind = value.get("type")
    if kind not in _TYPES:
        raise ResponseFormatError(
            f"Invalid value: {kind!r}. Supported values are: 'json_object', 'json_schema', "
            "and 'text'.",
            "response_format.type",
        )
    if kind == "text":
        return None
    if kind == "json_object":
        schema = value.get("schema")  # Together's older form carries a schema here
        return ResponseFormat("json_object", schema=schema if isinstance(schema, dict) else None)
    spec = value.get("json_schema")
    if not isinstance(spec, dict):
        raise ResponseFormatError(
            "Missing required parameter: 'response_format.json_schema'.",
            "response_format.json_schema",
        )
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise ResponseFormatError(
            "Missing required parameter: 'response_format.json_schema.name'.",
            "response_format.json_schema.name",
        )
    schema = spec.get("schema", {})
    if not isinstance(schema, dict):
        raise ResponseFormatError(
            f"Invalid schema for response_format '{name}': expected an object.",
            "response_format.json_schema.schema",
        )
    strict = spec.get("strict") is True
    if strict:
        problem = _strict_problem(schema, schema, ())
        if problem is not None:
            raise ResponseFormatError(
                f"Invalid schema for response_format '{name}': {problem}",
                "response_format",
            )
    return ResponseFormat("json_schema", name, schema, strict)


def _strict_problem(node: Any, root: dict[str, Any], where: tuple[str, ...]) -> str | None:
    """Why a strict schema would be refused (the first reason found), or None."""
    if not isinstance(node, dict):
        return None
    context = f"In context=({', '.join(repr(p) for p in where)})"
    if node.get("type") == "object" or "properties" in node:
        if node.get("additionalProperties") is not False:
            return f"{context}, 'additionalProperties' is required to be supplied and to be false."
        properties = node.get("properties") or {}
        required = node.get("required") or []
        missing = [name for name in properties if name not in required]
        if missing:
            return (
                f"{context}, 'required' is required to be supplied and to be an array "
                f"including every key in properties. Missing {missing[0]!r}."
            )
    children: list[tuple[str, Any]] = []
    for key in ("properties", "$defs", "definitions"):
        for name, child in (node.get(key) or {}).items():
            children.append((name, child))
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for index, child in enumerate(node.get(key) or []):
            children.append((f"{key}[{index}]", child))
    if isinstance(node.get("items"), dict):
        children.append(("items", node["items"]))
    for name, child in children:
        problem = _strict_problem(child, root, (*where, name))
        if problem is not None:
            return problem
    return None


def render(fmt: ResponseFormat, *, text: str, hints: Any, seed: bytes) -> str:
    """The reply's content as JSON text for `fmt` (a compact, single-line document)."""
    rng = random.Random(seed)
    if fmt.schema is None:
        value = hints if isinstance(hints, dict) else {"answer": text}
    else:
        value = _Builder(fmt.schema, rng, text).build(fmt.schema, hints, 0)
    return json.dumps(value, ensure_ascii=False)


class _Builder:
    """Builds one instance of a schema; the reply's text goes into the first free string."""

    def __init__(self, root: dict[str, Any], rng: random.Random, text: str) -> None:
        self.root = root
        self.rng = rng
        self.text: str | None = text

    def resolve(self, node: Any) -> dict[str, Any]:
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < MAX_DEPTH:
            ref = node["$ref"]
            target: Any = self.root
            if isinstance(ref, str) and ref.startswith("#"):
                for part in ref.lstrip("#").strip("/").split("/"):
                    if not part:
                        continue
                    part = part.replace("~1", "/").replace("~0", "~")
                    target = target.get(part) if isinstance(target, dict) else None
            extra = {k: v for k, v in node.items() if k != "$ref"}
            node = {**target, **extra} if isinstance(target, dict) else extra
            seen += 1
        return node if isinstance(node, dict) else {}

    def build(self, node: Any, hint: Any, depth: int) -> Any:
        schema = self.resolve(node)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            choices = schema["enum"]
            return hint if hint in choices else self.rng.choice(choices)
        for key in ("anyOf", "oneOf"):
            branches = schema.get(key)
            if isinstance(branches, list) and branches:
                return self.build(self._branch(branches, hint, depth), hint, depth + 1)
        if isinstance(schema.get("allOf"), list):
            merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                part = self.resolve(part)
                for key, value in part.items():
                    if key == "properties":
                        merged["properties"] = {**merged.get("properties", {}), **value}
                    elif key == "required":
                        merged["required"] = [*merged.get("required", []), *value]
                    else:
                        merged.setdefault(key, value)
            return self.build(merged, hint, depth + 1)
        if hint is not None and not {"type", "properties", "items"} & schema.keys():
            return hint  # any value is valid here
        kind = self._type(schema, hint)
        if depth >= MAX_DEPTH:
            return {} if kind == "object" else [] if kind == "array" else None
        if kind == "object":
            return self._object(schema, hint, depth)
        if kind == "array":
            return self._array(schema, hint, depth)
        if kind == "string":
            return self._string(schema, hint)
        if kind in ("integer", "number"):
            return self._number(schema, hint, kind == "integer")
        if kind == "boolean":
            return hint if isinstance(hint, bool) else self.rng.random() < 0.5
        return None

    def _type(self, schema: dict[str, Any], hint: Any) -> str:
        declared = schema.get("type")
        if isinstance(declared, list):
            options = [t for t in declared if t != "null"] or ["null"]
            fitting = [t for t in options if _fits_type(hint, t)]
            return (fitting or options)[0]
        if isinstance(declared, str):
            return declared
        if "properties" in schema:
            return "object"
        if "items" in schema:
            return "array"
        return "string"

    def _branch(self, branches: list[Any], hint: Any, depth: int) -> Any:
        resolved = [self.resolve(b) for b in branches]
        if hint is None and depth >= OPTIONAL_DEPTH:
            for branch, schema in zip(branches, resolved, strict=True):
                if schema.get("type") == "null":
                    return branch
        for branch, schema in zip(branches, resolved, strict=True):
            declared = schema.get("type")
            if hint is not None and isinstance(declared, str) and _fits_type(hint, declared):
                return branch
        for branch, schema in zip(branches, resolved, strict=True):
            if schema.get("type") != "null":
                return branch
        return branches[0]

    def _object(self, schema: dict[str, Any], hint: Any, depth: int) -> dict[str, Any]:
        properties = schema.get("properties")
        hints = hint if isinstance(hint, dict) else {}
        if not isinstance(properties, dict) or not properties:
            if schema.get("additionalProperties") is False:
                return {}
            return dict(hints) if hints else {"answer": self._take_text() or ""}
        # Strings named for what a model says get the reply's text before any other string.
        names = list(properties)
        required = schema.get("required")
        if depth >= OPTIONAL_DEPTH and isinstance(required, list):
            names = [name for name in names if name in required or name in hints]
        elif depth >= OPTIONAL_DEPTH:
            names = [name for name in names if name in hints]
        ordered = sorted(names, key=lambda name: name.lower() not in _TEXT_NAMES)
        built = {name: self.build(properties[name], hints.get(name), depth + 1) for name in ordered}
        return {name: built[name] for name in names}

    def _array(self, schema: dict[str, Any], hint: Any, depth: int) -> list[Any]:
        low = _int(schema.get("minItems"), 0)
        high = _int(schema.get("maxItems"), max(low, 3))
        hints = list(hint) if isinstance(hint, list) else []
        count = len(hints) if hints else max(low, min(high, 2))
        count = max(low, min(high, count))
        prefix = schema.get("prefixItems") if isinstance(schema.get("prefixItems"), list) else []
        items = schema.get("items", {})
        values = []
        for index in range(count):
            item_schema = prefix[index] if index < len(prefix) else items
            values.append(
                self.build(item_schema, hints[index] if index < len(hints) else None, depth + 1)
            )
        return values

    def _string(self, schema: dict[str, Any], hint: Any) -> str:
        fmt = schema.get("format")
        if isinstance(hint, str) and fmt is None:
            value = hint
        elif fmt in _FORMATS:
            value = _FORMATS[fmt]
        else:
            value = self._take_text() or self.rng.choice(_WORDS)
        low = _int(schema.get("minLength"), 0)
        high = _int(schema.get("maxLength"), max(low, len(value)))
        if len(value) > high:
            value = value[:high]
        if len(value) < low:
            value = value + "x" * (low - len(value))
        return value

    def _take_text(self) -> str | None:
        text, self.text = self.text, None
        return text

    def _number(self, schema: dict[str, Any], hint: Any, integer: bool) -> int | float:
        low, high = _bounds(schema, integer)
        if _fits_type(hint, "integer" if integer else "number"):
            value = float(hint)
        else:
            top = high if high is not None else (low if low is not None else 0) + 100
            bottom = low if low is not None else top - 100
            value = self.rng.uniform(bottom, top)
        if low is not None:
            value = max(low, value)
        if high is not None:
            value = min(high, value)
        step = schema.get("multipleOf")
        if isinstance(step, int | float) and not isinstance(step, bool) and step > 0:
            value = round(value / step) * step
            if low is not None and value < low:
                value += step
            if high is not None and value > high:
                value -= step
        if integer:
            whole = round(value)
            if low is not None and whole < low:
                whole += 1
            if high is not None and whole > high:
                whole -= 1
            return int(whole)
        return round(value, 4) if step is None else value


_TEXT_NAMES = frozenset({"answer", "reply", "response", "text", "content", "message", "reason"})
_WORDS = ("yes", "no", "unknown", "other", "example", "none")
_FORMATS = {
    "date": "2026-01-01",
    "date-time": "2026-01-01T00:00:00Z",
    "time": "00:00:00Z",
    "email": "support@example.com",
    "uri": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _bounds(schema: dict[str, Any], integer: bool) -> tuple[float | None, float | None]:
    """The inclusive (low, high) a number must keep to; exclusive bounds moved inward."""
    nudge = 1 if integer else 1e-6

    def number(key: str) -> float | None:
        value = schema.get(key)
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return float(value) if ok else None

    low, high = number("minimum"), number("maximum")
    exclusive_low, exclusive_high = number("exclusiveMinimum"), number("exclusiveMaximum")
    if exclusive_low is not None:
        low = max(low, exclusive_low + nudge) if low is not None else exclusive_low + nudge
    if exclusive_high is not None:
        high = min(high, exclusive_high - nudge) if high is not None else exclusive_high - nudge
    return low, high


def _fits_type(value: Any, kind: str) -> bool:
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    return False
