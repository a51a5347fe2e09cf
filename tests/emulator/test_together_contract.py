"""The emulator's Together JSON against Together's official OpenAPI (togethercomputer/openapi).

The description sits in `shared/together-openapi/openapi.yaml` beside the repository. It is
OpenAPI 3.1 with 3.0 leftovers, rewritten for JSON Schema 2020-12 before validating:
- `nullable: true` (also inside `allOf`) becomes "or null";
- `oneOf` becomes `anyOf`: its branches overlap (cosine scheduler arguments also match the
  linear ones, which declare no required field), so a valid cosine job would match two;
- a `type` beside `oneOf` is dropped: `train_on_inputs` says `type: boolean` next to
  `oneOf: [boolean, "auto"]`, which would refuse the SDK's own default, "auto".

Fields the spec requires that SDK 3.x no longer declares (`Processed`, events' `hash` and
`training_offset`) are sent, so these checks hold without exceptions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.helpers import finish_raw
from tuner.emulator import Emulator

from . import together_helpers
from .conftest import API_KEY, chat_rows
from .together_helpers import BASE

emu = together_helpers.emu  # the fixture

SPEC = Path(__file__).resolve().parents[2] / ".." / "shared" / "together-openapi" / "openapi.yaml"

pytestmark = pytest.mark.skipif(
    not SPEC.exists(), reason=f"Together's OpenAPI not found at {SPEC} (clone shared/ beside)"
)


def _to_2020_12(node: Any) -> Any:
    if isinstance(node, list):
        return [_to_2020_12(item) for item in node]
    if not isinstance(node, dict):
        return node
    all_of = node.get("allOf")
    if isinstance(all_of, list) and any(isinstance(s, dict) and s.get("nullable") for s in all_of):
        # Before the members are rewritten: `allOf: [{nullable: true}, {$ref}]` is "X or null".
        parts = [{k: v for k, v in s.items() if k != "nullable"} for s in all_of]
        rest = {k: v for k, v in node.items() if k != "allOf"}
        node = {**rest, "anyOf": [{"allOf": parts}, {"type": "null"}]}
    node = {key: _to_2020_12(value) for key, value in node.items()}
    if "oneOf" in node:
        one_of = node.pop("oneOf")
        node.pop("type", None)
        if "anyOf" in node:
            node["allOf"] = [*node.get("allOf", []), {"anyOf": node.pop("anyOf")}]
        node["anyOf"] = one_of
    if node.pop("nullable", False):
        node = {"anyOf": [node, {"type": "null"}]}
    return node


@cache
def _registry() -> Registry:
    spec = _to_2020_12(yaml.safe_load(SPEC.read_text()))
    resource = Resource.from_contents(spec, default_specification=DRAFT202012)
    return Registry().with_resource("urn:together", resource)


def _validate(pointer: str, instance: Any) -> None:
    validator = Draft202012Validator({"$ref": f"urn:together#{pointer}"}, registry=_registry())
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def check(schema: str, instance: Any) -> None:
    """Validate against `#/components/schemas/<schema>`."""
    _validate(f"/components/schemas/{schema}", instance)


def check_response(path: str, method: str, status: int, instance: Any) -> None:
    """Validate against a response schema written inline under `paths`."""
    escaped = path.replace("~", "~0").replace("/", "~1")
    _validate(
        f"/paths/{escaped}/{method}/responses/{status}/content/application~1json/schema", instance
    )


@pytest.fixture
def http(emu: Emulator) -> Iterator[httpx2.Client]:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx2.Client(base_url=f"{emu.together_base_url}/v1", headers=headers) as client:
        yield client


def _upload(http: httpx2.Client, content: bytes, name: str) -> dict[str, Any]:
    """The SDK's three steps, by hand: reserve (302), PUT to the presigned URL, preprocess."""
    form = {"purpose": "fine-tune", "file_name": name, "file_type": "jsonl", "checksum": name}
    reserved = http.post("/files", data=form, files={"_": (None, "")})
    assert reserved.status_code == 302, reserved.text
    assert httpx2.put(reserved.headers["Location"], content=content).status_code == 200
    answer = http.post(f"/files/{reserved.headers['X-Together-File-Id']}/preprocess")
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_files(http: httpx2.Client) -> None:
    created = _upload(http, chat_rows(10), "t.jsonl")
    check("FileResponse", created)
    check("FileResponse", http.get(f"/files/{created['id']}").json())
    check("FileList", http.get("/files").json())
    check("FileDeleteResponse", http.delete(f"/files/{created['id']}").json())
    missing = http.get(f"/files/{created['id']}")
    assert missing.status_code == 404
    check("ErrorData", missing.json())


def test_jobs_events_checkpoints_metrics(emu: Emulator, http: httpx2.Client) -> None:
    train = _upload(http, chat_rows(20), "train.jsonl")["id"]
    valid = _upload(http, chat_rows(12), "valid.jsonl")["id"]
    nested = {
        "training_file": train,
        "validation_file": valid,
        "model": BASE,
        "n_epochs": 2,
        "n_checkpoints": 2,
        "n_evals": 2,
        "suffix": "contract",
        "lr_scheduler": {
            "lr_scheduler_type": "cosine",
            "lr_scheduler_args": {"min_lr_ratio": 0.1, "num_cycles": 0.5},
        },
        "training_type": {"type": "Lora", "lora_r": 8, "lora_alpha": 16},
        "training_method": {"method": "sft", "train_on_inputs": "auto"},
        "wandb_api_key": "wandb-test-key",
    }
    created = http.post("/fine-tunes", json=nested)
    assert created.status_code == 200, created.text
    check("FinetuneResponseTruncated", created.json())
    job_id = created.json()["id"]
    flat = {
        "training_file": train,
        "model": BASE,
        "lora": False,
        "training_method": "dpo",
        "dpo_beta": 0.3,
        "batch_size": 8,
    }
    other = http.post("/fine-tunes", json=flat).json()
    check("FinetuneResponseTruncated", other)
    assert other["training_type"] == {"type": "Full"}
    check("FinetuneResponse", http.get(f"/fine-tunes/{job_id}").json())
    done = finish_raw(emu, lambda: http.get(f"/fine-tunes/{job_id}").json())
    assert done["status"] == "completed"
    check("FinetuneResponse", done)
    check("FinetuneTruncatedList", http.get("/fine-tunes").json())
    events = http.get(f"/fine-tunes/{job_id}/events").json()
    check("FinetuneListEvents", events)
    assert {"epoch_complete", "checkpoint_save", "job_complete"} <= {
        e["type"] for e in events["data"]
    }
    check("FinetuneListCheckpoints", http.get(f"/fine-tunes/{job_id}/checkpoints").json())
    metrics = http.get(f"/fine-tunes/{job_id}/metrics").json()
    check_response("/fine-tunes/{id}/metrics", "get", 200, metrics)
    assert any("eval/loss" in row for row in metrics["metrics"])
    by_body = http.request("GET", f"/fine-tunes/{job_id}/metrics", json={"global_step_to": 2})
    assert [row["train/global_step"] for row in by_body.json()["metrics"]] == [1, 2]
    cancelled = http.post(f"/fine-tunes/{other['id']}/cancel")
    if cancelled.status_code == 200:  # still running on a busy machine
        check("FinetuneResponseTruncated", cancelled.json())
        finish_raw(emu, lambda: http.get(f"/fine-tunes/{other['id']}").json())
    check("FinetuneDeleteResponse", http.delete(f"/fine-tunes/{job_id}").json())
    refused = http.post(f"/fine-tunes/{job_id}/cancel")
    assert refused.status_code == 404
    check("ErrorData", refused.json())


def test_a_failed_job(emu: Emulator, http: httpx2.Client) -> None:
    bad = _upload(http, b'{"messages": []}\n', "bad.jsonl")["id"]
    job = http.post("/fine-tunes", json={"training_file": bad, "model": BASE}).json()
    done = finish_raw(emu, lambda: http.get(f"/fine-tunes/{job['id']}").json())
    assert done["status"] == "error"
    check("FinetuneResponse", done)


def test_prices_limits_and_models(http: httpx2.Client) -> None:
    train = _upload(http, chat_rows(20), "train.jsonl")["id"]
    body = {"training_file": train, "model": BASE, "n_epochs": 3}
    price = http.post("/fine-tunes/estimate-price", json=body).json()
    check_response("/fine-tunes/estimate-price", "post", 200, price)
    limits = http.get("/fine-tunes/models/limits", params={"model_name": BASE})
    check("FineTuneModelLimits", limits.json())
    unknown = http.get("/fine-tunes/models/limits", params={"model_name": "no/such"})
    assert unknown.status_code == 404
    check_response("/fine-tunes/models/limits", "get", 404, unknown.json())
    check_response(
        "/fine-tunes/models/supported", "get", 200, http.get("/fine-tunes/models/supported").json()
    )
    check("ModelInfoList", http.get("/models").json())


def test_chat(http: httpx2.Client) -> None:
    messages = [{"role": "user", "content": "hello"}]
    plain = http.post("/chat/completions", json={"model": BASE, "messages": messages})
    check("ChatCompletionResponse", plain.json())
    body = {"model": BASE, "messages": messages, "stream": True}
    with http.stream("POST", "/chat/completions", json=body) as response:
        lines = [line for line in response.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    check("StreamSentinel", {"data": "[DONE]"})
    for line in lines[:-1]:
        check("ChatCompletionEvent", {"data": json.loads(line[len("data: ") :])})


def test_errors(emu: Emulator, http: httpx2.Client) -> None:
    anonymous = httpx2.get(f"{emu.together_base_url}/v1/fine-tunes")
    assert anonymous.status_code == 401
    check("ErrorData", anonymous.json())
    unknown = http.post("/chat/completions", json={"model": "x/y", "messages": [{"role": "user"}]})
    assert unknown.status_code == 404
    check("ErrorData", unknown.json())
    _upload(http, chat_rows(10), "a.jsonl")
    form = {"purpose": "fine-tune", "file_name": "b.jsonl", "checksum": "a.jsonl"}
    again = http.post("/files", data=form, files={"_": (None, "")})
    assert again.status_code == 409 and again.headers["x-should-retry"] == "false"
    check("ErrorData", again.json())
    assert again.json()["file_id"]


def test_embeddings_structured_output_and_the_rate_limit(http: httpx2.Client) -> None:
    body = {"model": "BAAI/bge-base-en-v1.5", "input": ["a b", "c"]}
    _validate("/components/schemas/EmbeddingsRequest", body)
    check("EmbeddingsResponse", http.post("/embeddings", json=body).json())
    refused = http.post("/embeddings", json={"model": BASE, "input": "a"})
    assert refused.status_code == 400
    check("ErrorData", refused.json())
    schema = {
        "type": "object",
        "properties": {"winner": {"type": "string", "enum": ["A", "B", "tie"]}},
        "required": ["winner"],
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "preference", "schema": schema}}
    text = "<reference>r</reference><reply_a>r</reply_a><reply_b>x</reply_b>"
    chat = {"model": BASE, "messages": [{"role": "user", "content": text}], "response_format": fmt}
    answer = http.post("/chat/completions", json=chat).json()
    check("ChatCompletionResponse", answer)
    assert json.loads(answer["choices"][0]["message"]["content"]) == {"winner": "A"}


def test_rate_limit() -> None:
    with Emulator(speed=1000, rpm=1) as emu:
        headers = {"Authorization": f"Bearer {API_KEY}"}
        url = f"{emu.together_base_url}/v1/embeddings"
        body = {"model": "BAAI/bge-base-en-v1.5", "input": "a"}
        assert httpx2.post(url, json=body, headers=headers).status_code == 200
        limited = httpx2.post(url, json=body, headers=headers)
        assert limited.status_code == 429 and limited.headers["Retry-After"]
        check("ErrorData", limited.json())
