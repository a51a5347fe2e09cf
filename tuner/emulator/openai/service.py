"""The emulated service: the route table, and the job, model, chat and embeddings endpoints.

Routes are matched on the path relative to `/v1` (or Azure's `/openai` and `/openai/v1`), so
the same handlers serve the OpenAI and both Azure URL layouts; Azure's control plane goes to
`azure.Deployments`. What a model says is decided in `answers`; the knobs (latency, requests
per minute, the judge's position bias) are the emulator's `Knobs`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote

from .. import answers, chat, embeddings, recall
from ..errors import ApiError, invalid_request, model_not_found, not_found
from ..knobs import Knobs
from ..rate_limit import retry_headers
from ..structured import ResponseFormatError, parse_response_format
from ..wire import JsonResponse, Request, Response, StreamResponse
from . import azure, catalog
from .files import FilesEndpoints, list_body, page
from .job_requests import parse_job_request
from .jobs import Job, JobSimulator
from .store import State, StoredFile

Handler = Callable[..., Response]

# Pacing of streamed chat chunks, in simulated seconds (divided by speed).
STREAM_CHUNK_SECONDS = 0.03


class Service:
    """Dispatches requests to handlers; owns the job simulator and the files endpoints."""

    def __init__(
        self,
        state: State,
        knobs: Knobs | None = None,
        memory: recall.TrainingMemory | None = None,
    ) -> None:
        self.state = state
        self.knobs = knobs or Knobs()
        self.memory = memory or recall.TrainingMemory()
        # A job's training file deleted: its models keep what they learned from it.
        state.on_delete = self._keep_training_data
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
            ("POST", r"/embeddings", self.create_embeddings),
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

    def _models(self, azure_dates: bool = False) -> list[dict[str, Any]]:
        """Base, embedding and fine-tuned models, each with its `shutdown_date` (OpenAI's
        schedule, or Azure's on Azure's paths; null where none is announced)."""
        with self.state.lock:
            self.state.tick()
            models = [_base_model_json(m, azure_dates) for m in catalog.LISTED]
            models += [
                {
                    "id": m.id,
                    "object": "model",
                    "created": m.created,
                    "owned_by": "system",
                    "shutdown_date": None,
                }
                for m in embeddings.OPENAI_MODELS.values()
            ]
            for m in self.state.fine_tuned_models.values():
                job = self.state.jobs.get(m.job_id)
                base = job.spec.model if job is not None else ""
                models.append(
                    {
                        "id": m.id,
                        "object": "model",
                        "created": m.created,
                        "owned_by": m.owned_by,
                        "shutdown_date": catalog.shutdown_date(base, azure_dates),
                    }
                )
        return models

    def list_models(self, req: Request) -> JsonResponse:
        return JsonResponse({"object": "list", "data": self._models(req.azure)})

    def get_model(self, req: Request, model: str) -> JsonResponse:
        for item in self._models(req.azure):
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

    # What a model knows, and how fast it may be asked ----------------------------------

    def _recollection(self, model: str) -> recall.Recollection | None:
        """The training examples of the job that made `model` (a fine-tune or a checkpoint)
        and how far its training had got; None for a base model."""
        name, _, step = model.partition(":ckpt-step-")
        with self.state.lock:
            owner = self.state.fine_tuned_models.get(name)
            job = self.state.jobs.get(owner.job_id) if owner is not None else None
            if job is None:
                job = next((j for j in self.state.jobs.values() if j.model_name == name), None)
            if job is None:
                return None
            progress = 1.0
            if step.isdigit() and job.total_steps:
                progress = min(1.0, int(step) / job.total_steps)
            file_id = job.spec.training_file
            stored = self.state.files.get(file_id)
            path = stored.path if stored is not None else None
        examples = self.memory.examples(f"openai:{file_id}", path)
        return recall.Recollection(examples, progress) if examples is not None else None

    def _keep_training_data(self, stored: StoredFile) -> None:
        with self.state.lock:
            trained = any(job.spec.training_file == stored.id for job in self.state.jobs.values())
        if trained:
            self.memory.pin(f"openai:{stored.id}", stored.path)

    def _admit(self, req: Request, model: str) -> None:
        """Count the request against its key's and model's limit; a 429 past it."""
        key = req.headers.get("api-key") or req.headers.get("authorization", "")
        wait = self.knobs.admit("openai", key, model)
        if wait is None:
            return
        limiter = self.knobs.limiter
        assert limiter is not None
        raise ApiError(
            429,
            f"Rate limit reached for {model} in organization {catalog.ORGANIZATION_ID} on "
            f"requests per min (RPM): Limit {limiter.rpm}, Used {limiter.rpm}, Requested 1. "
            f"Please try again in {wait:.3f}s.",
            type="requests",
            code="rate_limit_exceeded",
            headers=retry_headers(wait, limiter.rpm),
        )

    # Embeddings ---------------------------------------------------------------------

    def create_embeddings(self, req: Request) -> JsonResponse:
        body = req.body()
        model = req.deployment or body.get("model")
        if not isinstance(model, str) or not model:
            raise invalid_request("Missing required parameter: 'model'.", param="model")
        if req.azure:
            deployed = self.deployments.resolve(model)
            if deployed is None and model in embeddings.OPENAI_MODELS:
                deployed = model  # base models are deployed under their own ids
            if deployed is None:
                raise azure.deployment_not_found()
            model = deployed
        embedder = embeddings.OPENAI_MODELS.get(model)
        if embedder is None:
            if not self._chat_model_exists(model):
                raise azure.deployment_not_found() if req.azure else model_not_found(model)
            raise not_an_embedding_model(model, req.azure)
        try:
            answer = embeddings.openai_body(embedder, body, model)
        except embeddings.EmbeddingRequestError as error:
            raise invalid_request(str(error), param=error.param) from None
        self._admit(req, model)
        self.knobs.pause()
        return JsonResponse(answer)

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
        if model in embeddings.OPENAI_MODELS:
            raise not_a_chat_model()
        if not self._chat_model_exists(model):
            raise azure.deployment_not_found() if req.azure else model_not_found(model)
        max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
        if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
            raise invalid_request("max_tokens must be a positive integer.", param="max_tokens")
        try:
            response_format = parse_response_format(body.get("response_format"))
        except ResponseFormatError as error:
            raise invalid_request(str(error), param=error.param) from None
        self._admit(req, model)
        speaker = answers.Speaker(model, model.startswith("ft:"), self._recollection(model))
        full = answers.answer(speaker, messages, response_format, self.knobs.position_bias)
        text, finish_reason = chat.truncate(full, max_tokens)
        prompt = chat.prompt_tokens(messages)
        completion = chat.approx_tokens(text)
        usage = _usage(prompt, completion)
        completion_id = self.state.ids.new("chatcmpl-")
        created = self.state.now()
        self.knobs.pause()
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


def _base_model_json(model: catalog.BaseModel, azure_dates: bool) -> dict[str, Any]:
    return {
        "id": model.id,
        "object": "model",
        "created": model.created,
        "owned_by": model.owned_by,
        "shutdown_date": catalog.shutdown_date(model.id, azure_dates),
    }


def not_a_chat_model() -> ApiError:
    """404 for chat with an embedding model, worded as the service words it."""
    return ApiError(
        404,
        "This is not a chat model and thus not supported in the v1/chat/completions endpoint. "
        "Did you mean to use v1/completions?",
        param="model",
    )


def not_an_embedding_model(model: str, on_azure: bool) -> ApiError:
    """400 for embeddings from a model that makes none (Azure words it its own way)."""
    if on_azure:
        return ApiError(
            400,
            f"The embeddings operation does not work with the specified model, {model}. "
            "Please choose different model and try again.",
            code="OperationNotSupported",
        )
    return ApiError(
        400,
        f"The model `{model}` does not support embeddings. Use an embedding model such as "
        "text-embedding-3-small.",
        param="model",
        code="model_not_supported",
    )


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
