"""OpenAI's `/models`, `/chat/completions` and `/embeddings`, on `/v1` and Azure's layouts.

Chat answers the catalog's listed base models, every fine-tuned model and checkpoint; on Azure
`model` names a deployment (`azure.Deployments`), and the reply names the model it serves.
What a model says is decided by the shared `answers` (a fine-tune answers from its job's
training data, kept by `recall` even after the file is deleted; `response_format` is honoured;
a judge prompt gets the judge's verdict). The knobs (latency, requests per minute, the judge's
position bias) are the emulator's `Knobs`. Embedding models are listed and answer only
`/embeddings`, with the service's own refusals for the wrong endpoint.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .. import answers, chat, embeddings, recall
from ..errors import ApiError, invalid_request, model_not_found
from ..knobs import Knobs
from ..rate_limit import retry_headers
from ..structured import ResponseFormatError, parse_response_format
from ..wire import JsonResponse, Request, Response, StreamResponse
from . import azure, catalog
from .store import State, StoredFile

# Pacing of streamed chat chunks, in simulated seconds (divided by speed).
STREAM_CHUNK_SECONDS = 0.03


class ModelsEndpoints:
    """The model, chat and embeddings endpoints; owns what fine-tunes remember (`memory`)."""

    def __init__(
        self,
        state: State,
        deployments: azure.Deployments,
        knobs: Knobs | None = None,
        memory: recall.TrainingMemory | None = None,
    ) -> None:
        self.state = state
        self.deployments = deployments
        self.knobs = knobs or Knobs()
        self.memory = memory or recall.TrainingMemory()
        # A job's training file deleted: its models keep what they learned from it.
        state.on_delete = self._keep_training_data

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
