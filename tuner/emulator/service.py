"""The emulated service: the route table, and the job, model and chat endpoints.

Routes are matched on the path relative to `/v1` (or Azure's `/openai` and `/openai/v1`), so
the same handlers serve the OpenAI and both Azure URL layouts; Azure's control plane goes to
`azure.Deployments`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote

from . import azure, catalog, chat
from .errors import ApiError, invalid_request, model_not_found, not_found
from .files import FilesEndpoints, list_body, page
from .job_requests import parse_job_request
from .jobs import Job, JobSimulator
from .store import State
from .wire import JsonResponse, Request, Response, StreamResponse

Handler = Callable[..., Response]

# Pacing of streamed chat chunks, in simulated seconds (divided by speed).
STREAM_CHUNK_SECONDS = 0.03


class Service:
    """Dispatches requests to handlers; owns the job simulator and the files endpoints."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.jobs = JobSimulator(state)
        self.files = FilesEndpoints(state)
        self.deployments = azure.Deployments(state)
        f = self.files
        job = r"/fine_tuning/jobs/(?P<job_id>[^/]+)"
        table: list[tuple[str, str, Handler]] = [
            ("POST", r"/files", f.create_file),
            ("GET", r"/files", f.list_files),
            ("GET", r"/files/(?P<file_id>[^/]+)", f.get_file),
            ("DELETE", r"/files/(?P<file_id>[^/]+)", f.delete_file),
            ("GET", r"/files/(?P<file_id>[^/]+)/content", f.file_content),
            ("POST", r"/uploads", f.create_upload),
            ("POST", r"/uploads/(?P<upload_id>[^/]+)/parts", f.add_part),
            ("POST", r"/uploads/(?P<upload_id>[^/]+)/complete", f.complete_upload),
            ("POST", r"/uploads/(?P<upload_id>[^/]+)/cancel", f.cancel_upload),
            ("POST", r"/fine_tuning/jobs", self.create_job),
            ("GET", r"/fine_tuning/jobs", self.list_jobs),
            ("GET", job, self.get_job),
            ("POST", job + "/cancel", self.cancel_job),
            ("POST", job + "/pause", self.pause_job),
            ("POST", job + "/resume", self.resume_job),
            ("GET", job + "/events", self.list_events),
            ("GET", job + "/checkpoints", self.list_checkpoints),
            ("GET", r"/models", self.list_models),
            ("GET", r"/models/(?P<model>[^/]+)", self.get_model),
            ("DELETE", r"/models/(?P<model>[^/]+)", self.delete_model),
            ("POST", r"/chat/completions", self.chat_completions),
        ]
        self.routes = [(m, re.compile(p + r"/?$"), h) for m, p, h in table]

    def dispatch(self, req: Request) -> Response:
        if req.arm:
            return self.deployments.dispatch(req)
        known_path = False
        for method, pattern, handler in self.routes:
            match = pattern.match(req.path)
            if match is None:
                continue
            known_path = True
            if method == req.method:
                kwargs = {k: unquote(v) for k, v in match.groupdict().items()}
                return handler(req, **kwargs)
        prefix = "/v1"
        if req.azure:
            prefix = azure.V1_PREFIX if req.azure_v1 else "/openai"
        detail = " (method not allowed)" if known_path else ""
        raise not_found(f"Invalid URL ({req.method} {prefix}{req.path}){detail}")

    # Jobs ---------------------------------------------------------------------------

    def _job(self, job_id: str) -> Job:
        job = self.state.jobs.get(job_id)
        if job is None:
            raise not_found(f"Could not find fine-tune job: {job_id}", param="fine_tuning_job_id")
        return job

    def create_job(self, req: Request) -> JsonResponse:
        with self.state.lock:
            spec = parse_job_request(req.body(), self.state)
        files = self.jobs.review(spec)  # reads and counts the files: not under the lock
        return JsonResponse(self.jobs.create(spec, files).to_json())

    def list_jobs(self, req: Request) -> JsonResponse:
        limit = req.int_arg("limit", 20, 1, 100)
        wanted = {
            key[len("metadata[") : -1]: values[-1]
            for key, values in req.query.items()
            if key.startswith("metadata[") and key.endswith("]")
        }
        with self.state.lock:
            self.state.tick()
            jobs = [
                job
                for job in reversed(self.state.jobs.values())
                if all((job.spec.metadata or {}).get(k) == v for k, v in wanted.items())
            ]
            data, has_more = page(jobs, req.arg("after"), limit)
            body = [job.to_json() for job in data]
        return JsonResponse({"object": "list", "data": body, "has_more": has_more})

    def get_job(self, req: Request, job_id: str) -> JsonResponse:
        with self.state.lock:
            self.state.tick()
            return JsonResponse(self._job(job_id).to_json())

    def _control(self, job_id: str, action: Callable[[Job], str | None]) -> JsonResponse:
        with self.state.lock:
            self.state.tick()
            job = self._job(job_id)
            refusal = action(job)
            if refusal is not None:
                raise invalid_request(refusal, param="fine_tuning_job_id")
            return JsonResponse(job.to_json())

    def cancel_job(self, req: Request, job_id: str) -> JsonResponse:
        return self._control(job_id, self.jobs.cancel)

    def pause_job(self, req: Request, job_id: str) -> JsonResponse:
        return self._control(job_id, self.jobs.pause)

    def resume_job(self, req: Request, job_id: str) -> JsonResponse:
        return self._control(job_id, self.jobs.resume)

    def list_events(self, req: Request, job_id: str) -> JsonResponse:
        limit = req.int_arg("limit", 20, 1, 1000)
        with self.state.lock:
            self.state.tick()
            events = list(reversed(self._job(job_id).events))
            data, has_more = page(events, req.arg("after"), limit)
            body = [event.to_json() for event in data]
        return JsonResponse({"object": "list", "data": body, "has_more": has_more})

    def list_checkpoints(self, req: Request, job_id: str) -> JsonResponse:
        limit = req.int_arg("limit", 10, 1, 100)
        with self.state.lock:
            self.state.tick()
            checkpoints = list(reversed(self._job(job_id).checkpoints))
            data, has_more = page(checkpoints, req.arg("after"), limit)
            body = [c.to_json() for c in data]
        return JsonResponse(list_body(body, has_more))

    # Models -------------------------------------------------------------------------

    def _models(self) -> list[dict[str, Any]]:
        with self.state.lock:
            self.state.tick()
            models = [_base_model_json(m) for m in catalog.LISTED]
            models += [
                {"id": m.id, "object": "model", "created": m.created, "owned_by": m.owned_by}
                for m in self.state.fine_tuned_models.values()
            ]
        return models

    def list_models(self, req: Request) -> JsonResponse:
        return JsonResponse({"object": "list", "data": self._models()})

    def get_model(self, req: Request, model: str) -> JsonResponse:
        for item in self._models():
            if item["id"] == model:
                return JsonResponse(item)
        raise model_not_found(model)

    def delete_model(self, req: Request, model: str) -> JsonResponse:
        with self.state.lock:
            if catalog.is_listed(model):
                raise ApiError(
                    403,
                    "You have insufficient permissions for this operation.",
                    type="invalid_request_error",
                )
            if self.state.fine_tuned_models.pop(model, None) is None:
                raise model_not_found(model)
        return JsonResponse({"id": model, "object": "model", "deleted": True})

    def _chat_model_exists(self, model: str) -> bool:
        with self.state.lock:
            self.state.tick()
            return (
                catalog.is_listed(model)
                or model in self.state.fine_tuned_models
                or model in self.state.checkpoint_models
            )

    # Chat ---------------------------------------------------------------------------

    def chat_completions(self, req: Request) -> Response:
        body = req.body()
        model = req.deployment or body.get("model")
        if not isinstance(model, str) or not model:
            raise invalid_request("Missing required parameter: 'model'.", param="model")
        if req.azure:
            # On Azure `model` names a deployment; the reply names the model it serves.
            deployed = self.deployments.resolve(model)
            if deployed is None:
                raise azure.deployment_not_found()
            model = deployed
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise invalid_request(
                "Invalid 'messages': expected a non-empty array of messages.", param="messages"
            )
        for index, message in enumerate(messages):
            if not isinstance(message, dict) or not isinstance(message.get("role"), str):
                raise invalid_request(
                    f"Invalid 'messages[{index}]': each message needs a 'role'.",
                    param=f"messages[{index}]",
                )
        temperature = body.get("temperature")
        if temperature is not None and not (
            isinstance(temperature, int | float) and 0 <= temperature <= 2
        ):
            raise invalid_request(
                f"Invalid 'temperature': {temperature!r}. Expected a number from 0 to 2.",
                param="temperature",
            )
        if body.get("n") not in (None, 1):
            raise invalid_request("The emulator supports only n=1.", param="n")
        if not self._chat_model_exists(model):
            raise azure.deployment_not_found() if req.azure else model_not_found(model)
        max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
        if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
            raise invalid_request("max_tokens must be a positive integer.", param="max_tokens")
        full = chat.reply(model, messages, fine_tuned=model.startswith("ft:"))
        text, finish_reason = chat.truncate(full, max_tokens)
        prompt = chat.prompt_tokens(messages)
        completion = chat.approx_tokens(text)
        usage = _usage(prompt, completion)
        completion_id = self.state.ids.new("chatcmpl-")
        created = self.state.now()
        if not body.get("stream"):
            return JsonResponse(
                {
                    "id": completion_id,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {
                                "role": "assistant",
                                "content": text,
                                "refusal": None,
                                "annotations": [],
                            },
                            "logprobs": None,
                            "finish_reason": finish_reason,
                        }
                    ],
                    "usage": usage,
                    "service_tier": "default",
                    "system_fingerprint": "fp_emulator",
                }
            )
        options = body.get("stream_options") or {}
        include_usage = bool(isinstance(options, dict) and options.get("include_usage"))
        head = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "service_tier": "default",
            "system_fingerprint": "fp_emulator",
        }
        events = _stream_events(head, text, finish_reason, usage if include_usage else None)
        return StreamResponse(events, self.state.clock.real_seconds(STREAM_CHUNK_SECONDS))


def _base_model_json(model: catalog.BaseModel) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": model.id,
        "object": "model",
        "created": model.created,
        "owned_by": model.owned_by,
    }
    if model.shutdown_date is not None:
        body["shutdown_date"] = model.shutdown_date
    return body


def _usage(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _stream_events(
    head: dict[str, Any], text: str, finish_reason: str, usage: dict[str, Any] | None
) -> Iterator[dict[str, Any]]:
    """The chunks of a streamed reply: role, content pieces, finish, then usage if asked."""
    extra = {"usage": None} if usage is not None else {}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return {**head, "choices": [choice], **extra}

    yield chunk({"role": "assistant", "content": "", "refusal": None})
    for piece in chat.chunks(text):
        yield chunk({"content": piece})
    yield chunk({}, finish_reason)
    if usage is not None:
        yield {**head, "choices": [], "usage": usage}
