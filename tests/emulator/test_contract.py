"""The emulator's raw JSON against the official OpenAPI schemas (openai/openai-openapi).

The spec sits in `shared/openai-openapi/` next to the repository (CI clones both side by
side). Its OpenAPI 3.0 leftovers (`nullable`, boolean `exclusiveMinimum`) are rewritten to
JSON Schema 2020-12 before validating.

Known disagreements, where the emulator follows the SDK and the service:
- `ListFilesResponse` requires string `first_id` / `last_id`; for an empty list they are
  null (as the service sends), so only non-empty lists are checked.
- `FineTuningJob.status` lacks "paused" (so does the SDK's Literal); a paused job reports
  "paused" as the service and Azure do, and is not checked here.
- `OpenAIFile.status_details` is typed as a string; the emulator omits it rather than send
  null (the SDK has it Optional).
- `Embedding.embedding` is typed as an array of numbers; with `encoding_format: "base64"` (the
  openai SDK's default) it is a base64 string, as the service sends, so only floats are checked.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import httpx2
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.helpers import finish_raw
from tuner.emulator import Emulator, Fault

from .conftest import API_KEY, chat_rows

SPEC = Path(__file__).resolve().parents[2] / ".." / "shared" / "openai-openapi" / "openapi.json"

pytestmark = pytest.mark.skipif(
    not SPEC.exists(), reason=f"OpenAPI description not found at {SPEC} (clone shared/ beside)"
)


def _to_2020_12(node: Any) -> Any:
    """Rewrite OpenAPI 3.0 keywords that JSON Schema 2020-12 reads differently."""
    if isinstance(node, list):
        return [_to_2020_12(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _to_2020_12(value) for key, value in node.items()}
    if isinstance(node.get("exclusiveMinimum"), bool) and node.pop("exclusiveMinimum"):
        node["exclusiveMinimum"] = node.pop("minimum", 0)
    all_of = node.get("allOf")
    if isinstance(all_of, list) and any(isinstance(s, dict) and s.get("nullable") for s in all_of):
        node.pop("allOf")
        parts = [{k: v for k, v in s.items() if k != "nullable"} for s in all_of]
        node = {**node, "anyOf": [{"allOf": parts}, {"type": "null"}]}
    if node.pop("nullable", False):
        node = {"anyOf": [node, {"type": "null"}]}
    return node


@cache
def _registry() -> Registry:
    spec = _to_2020_12(json.loads(SPEC.read_text()))
    resource = Resource.from_contents(spec, default_specification=DRAFT202012)
    return Registry().with_resource("urn:openapi", resource)


def check(schema_name: str, instance: Any) -> None:
    validator = Draft202012Validator(
        {"$ref": f"urn:openapi#/components/schemas/{schema_name}"}, registry=_registry()
    )
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


@pytest.fixture
def http(emu: Emulator) -> httpx2.Client:
    return httpx2.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {API_KEY}"})


def _upload(http: httpx2.Client, content: bytes, name: str = "t.jsonl") -> dict[str, Any]:
    response = http.post("/files", files={"file": (name, content)}, data={"purpose": "fine-tune"})
    assert response.status_code == 200, response.text
    return response.json()


def test_files_and_uploads(http: httpx2.Client) -> None:
    created = _upload(http, chat_rows(10))
    check("OpenAIFile", created)
    check("OpenAIFile", http.get(f"/files/{created['id']}").json())
    check("ListFilesResponse", http.get("/files").json())
    check("DeleteFileResponse", http.delete(f"/files/{created['id']}").json())
    upload = http.post(
        "/uploads",
        json={"filename": "u.jsonl", "purpose": "fine-tune", "bytes": 3, "mime_type": "text/jsonl"},
    ).json()
    check("Upload", upload)
    part = http.post(f"/uploads/{upload['id']}/parts", files={"data": ("blob", b"abc")}).json()
    check("UploadPart", part)
    done = http.post(f"/uploads/{upload['id']}/complete", json={"part_ids": [part["id"]]}).json()
    check("Upload", done)
    assert done["file"]["bytes"] == 3


def test_jobs_events_checkpoints(emu: Emulator, http: httpx2.Client) -> None:
    train = _upload(http, chat_rows(10))["id"]
    valid = _upload(http, chat_rows(10), "v.jsonl")["id"]
    body = {
        "model": "gpt-4o-mini",
        "training_file": train,
        "validation_file": valid,
        "suffix": "contract",
        "metadata": {"k": "v"},
        "integrations": [{"type": "wandb", "wandb": {"project": "p"}}],
        "method": {"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.1}}},
    }
    job = http.post("/fine_tuning/jobs", json=body).json()
    check("FineTuningJob", job)
    done = finish_raw(emu, lambda: http.get(f"/fine_tuning/jobs/{job['id']}").json())
    assert done["status"] == "succeeded"
    check("FineTuningJob", http.get(f"/fine_tuning/jobs/{job['id']}").json())
    check("ListPaginatedFineTuningJobsResponse", http.get("/fine_tuning/jobs").json())
    events = http.get(f"/fine_tuning/jobs/{job['id']}/events", params={"limit": 1000}).json()
    check("ListFineTuningJobEventsResponse", events)
    assert {e["type"] for e in events["data"]} == {"message", "metrics"}
    checkpoints = http.get(f"/fine_tuning/jobs/{job['id']}/checkpoints").json()
    check("ListFineTuningJobCheckpointsResponse", checkpoints)
    assert checkpoints["data"]
    failed = http.post(
        "/fine_tuning/jobs",
        json={"model": "gpt-4o-mini", "training_file": _upload(http, b"{}")["id"]},
    ).json()
    done = finish_raw(emu, lambda: http.get(f"/fine_tuning/jobs/{failed['id']}").json())
    assert done["status"] == "failed"
    check("FineTuningJob", http.get(f"/fine_tuning/jobs/{failed['id']}").json())
    cancelled = http.post(f"/fine_tuning/jobs/{failed['id']}/cancel")
    assert cancelled.status_code == 400
    check("ErrorResponse", cancelled.json())


def test_models(http: httpx2.Client) -> None:
    check("ListModelsResponse", http.get("/models").json())
    check("Model", http.get("/models/gpt-4.1-nano-2025-04-14").json())


def test_chat(http: httpx2.Client) -> None:
    messages = [{"role": "user", "content": "hello"}]
    plain = http.post("/chat/completions", json={"model": "gpt-4o", "messages": messages})
    check("CreateChatCompletionResponse", plain.json())
    body = {
        "model": "gpt-4o",
        "messages": messages,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    with http.stream("POST", "/chat/completions", json=body) as response:
        lines = [line for line in response.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    for line in lines[:-1]:
        check("CreateChatCompletionStreamResponse", json.loads(line[len("data: ") :]))


def test_errors(emu: Emulator, http: httpx2.Client) -> None:
    check("ErrorResponse", http.get("/files/file-nope").json())
    check("ErrorResponse", httpx2.get(f"{emu.base_url}/models").json())  # 401
    emu.faults.add(Fault(path_pattern="/models", status=429, retry_after=1))
    check("ErrorResponse", http.get("/models").json())
    bad = http.post("/chat/completions", json={"model": "nope", "messages": [{"role": "user"}]})
    check("ErrorResponse", bad.json())


def test_refusals_added_for_safety_and_catalog(emu: Emulator, http: httpx2.Client) -> None:
    """Host and Origin refusals, malformed bodies, retired and unknown models: ErrorResponse."""
    foreign = httpx2.get(f"{emu.base_url}/models", headers={"Host": "evil.example"})
    assert foreign.status_code == 421
    check("ErrorResponse", foreign.json())
    cross = http.get("/models", headers={"Origin": "http://evil.example"})
    assert cross.status_code == 403
    check("ErrorResponse", cross.json())
    nested = http.post("/chat/completions", content=b"[" * 100 + b"]" * 100)
    assert nested.status_code == 400
    check("ErrorResponse", nested.json())
    train = _upload(http, chat_rows(10))["id"]
    for model, code in (("gpt-3.5-turbo-0613", "model_retired"), ("gpt-9", "model_not_found")):
        refused = http.post("/fine_tuning/jobs", json={"model": model, "training_file": train})
        assert refused.json()["error"]["code"] == code
        check("ErrorResponse", refused.json())


def test_azure_v1(emu: Emulator) -> None:
    v1 = httpx2.Client(base_url=emu.azure_v1_base_url, headers={"api-key": API_KEY})
    check("ListModelsResponse", v1.get("/models").json())
    messages = [{"role": "user", "content": "hello"}]
    reply = v1.post("/chat/completions", json={"model": "gpt-4o-mini", "messages": messages})
    check("CreateChatCompletionResponse", reply.json())
    missing = v1.post("/chat/completions", json={"model": "ft:nope", "messages": messages})
    assert missing.status_code == 404
    check("ErrorResponse", missing.json())


def test_embeddings(http: httpx2.Client) -> None:
    body = {"model": "text-embedding-3-small", "input": ["a b", "c"], "encoding_format": "float"}
    check("CreateEmbeddingResponse", http.post("/embeddings", json=body).json())
    tokens = {"model": "text-embedding-3-large", "input": [[1, 2], [3]], "dimensions": 8}
    answer = http.post("/embeddings", json={**tokens, "encoding_format": "float"}).json()
    check("CreateEmbeddingResponse", answer)
    assert [len(d["embedding"]) for d in answer["data"]] == [8, 8]
    refused = http.post("/embeddings", json={"model": "gpt-4o", "input": "a"})
    assert refused.status_code == 400
    check("ErrorResponse", refused.json())
    check("ListModelsResponse", http.get("/models").json())


def test_structured_output_and_the_judge(http: httpx2.Client) -> None:
    schema = {
        "type": "object",
        "properties": {
            "score": {"type": "integer", "minimum": 1, "maximum": 10},
            "reason": {"type": "string"},
        },
        "required": ["score", "reason"],
        "additionalProperties": False,
    }
    fmt = {
        "type": "json_schema",
        "json_schema": {"name": "judgement", "schema": schema, "strict": True},
    }
    text = "<prompt>p</prompt><reference>the answer</reference><reply>the answer</reply>"
    body = {
        "model": "gpt-4.1",
        "messages": [{"role": "user", "content": text}],
        "response_format": fmt,
    }
    check("CreateChatCompletionRequest", body)
    answer = http.post("/chat/completions", json=body).json()
    check("CreateChatCompletionResponse", answer)
    assert json.loads(answer["choices"][0]["message"]["content"])["score"] == 10
    with http.stream("POST", "/chat/completions", json={**body, "stream": True}) as response:
        lines = [line for line in response.iter_lines() if line.startswith("data: {")]
    for line in lines:
        check("CreateChatCompletionStreamResponse", json.loads(line[len("data: ") :]))
    loose = {**fmt, "json_schema": {**fmt["json_schema"], "schema": {"type": "object"}}}
    refused = http.post("/chat/completions", json={**body, "response_format": loose})
    assert refused.status_code == 400
    check("ErrorResponse", refused.json())


def test_rate_limit() -> None:
    with Emulator(speed=1000, rpm=1) as emu:
        http = httpx2.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {API_KEY}"})
        body = {"model": "text-embedding-3-small", "input": "a", "encoding_format": "float"}
        assert http.post("/embeddings", json=body).status_code == 200
        limited = http.post("/embeddings", json=body)
        assert limited.status_code == 429 and limited.headers["Retry-After"]
        check("ErrorResponse", limited.json())
