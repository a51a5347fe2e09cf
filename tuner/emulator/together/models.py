"""Together's `GET /models` (a bare JSON array), OpenAI-style `/chat/completions` and
`/embeddings`.

Chat answers the catalog's base models and every completed job's `model_output_name`; any
other model gets Together's 404 `model_not_found`. What a model says is decided by the shared
`answers` (a fine-tune answers from its job's training data, as the OpenAI side's do, so a copy
trained on the same examples answers like its original; `response_format` is honoured; a judge
prompt gets the judge's verdict). Streams are Together's: every delta names its role, and the
last chunk carries `finish_reason` and `usage` before `data: [DONE]`. Embedding models are
listed with `type: "embedding"` and answer only `/embeddings`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .. import answers, chat, embeddings, recall
from ..errors import ApiError
from ..knobs import Knobs
from ..rate_limit import retry_headers
from ..structured import ResponseFormatError, parse_response_format
from ..wire import JsonResponse, Request, Response, StreamResponse
from . import catalog
from .errors import invalid, model_not_found
from .store import TogetherFile, TogetherState

# Pacing of streamed chunks, in simulated seconds (divided by speed).
STREAM_CHUNK_SECONDS = 0.03


class ModelsEndpoints:
    def __init__(
        self,
        state: TogetherState,
        knobs: Knobs | None = None,
        memory: recall.TrainingMemory | None = None,
    ) -> None:
        self.state = state
        self.knobs = knobs or Knobs()
        self.memory = memory or recall.TrainingMemory()
        # A job's training file deleted: its model keeps what it learned from it.
        state.on_delete = self._keep_training_data

    def _base_of_output(self, name: str) -> catalog.TogetherModel | None:
        for job in self.state.jobs.values():
            if job.output_name == name:
                return job.spec.model
        return None

    def list_models(self, req: Request) -> JsonResponse:
        with self.state.lock:
            self.state.tick()
            models = [_model_info(m.name, m.created, m, m.organization, m) for m in catalog.MODELS]
            models += [_embedding_info(m) for m in embeddings.TOGETHER_MODELS.values()]
            for name, created in self.state.outputs.items():
                base = self._base_of_output(name)
                if base is not None:
                    models.append(_model_info(name, created, base, catalog.ACCOUNT, None))
        return JsonResponse(models)

    def chat_completions(self, req: Request) -> Response:
        body = req.body()
        model = body.get("model")
        messages = body.get("messages")
        if not isinstance(model, str) or not model:
            raise invalid("model is required.", "model")
        if not isinstance(messages, list) or not messages:
            raise invalid("messages must be a non-empty array.", "messages")
        for index, message in enumerate(messages):
            if not isinstance(message, dict) or "role" not in message:
                raise invalid(f"messages[{index}] needs a 'role'.", f"messages[{index}]")
        temperature = body.get("temperature")
        if temperature is not None and not (
            isinstance(temperature, int | float) and 0 <= temperature <= 2
        ):
            raise invalid("temperature must be a number from 0 to 2.", "temperature")
        max_tokens = body.get("max_tokens")
        if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
            raise invalid("max_tokens must be a positive integer.", "max_tokens")
        if model in embeddings.TOGETHER_MODELS:
            raise invalid(f"Model {model} is an embedding model: it does not chat.", "model")
        try:
            response_format = parse_response_format(body.get("response_format"))
        except ResponseFormatError as error:
            raise invalid(str(error), error.param) from None
        with self.state.lock:
            self.state.tick()
            fine_tuned = model in self.state.outputs
            if not fine_tuned and model not in catalog.BY_NAME:
                raise model_not_found(model)
            completion_id = self._completion_id()
            created = int(self.state.now())
        self._admit(req, model)
        memory = self._recollection(model) if fine_tuned else None
        speaker = answers.Speaker(model, fine_tuned, memory)
        full = answers.answer(speaker, messages, response_format, self.knobs.position_bias)
        text, finish = chat.truncate(full, max_tokens)
        prompt = chat.prompt_tokens(messages)
        completion = chat.approx_tokens(text)
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        seed = int(completion_id[-8:], 16)
        head = {"id": completion_id, "created": created, "model": model}
        self.knobs.pause()
        if not body.get("stream"):
            choice = {
                "index": 0,
                "seed": seed,
                "finish_reason": finish,
                "logprobs": None,
                "message": {"role": "assistant", "content": text, "tool_calls": []},
            }
            body = {**head, "object": "chat.completion", "prompt": [], "choices": [choice]}
            return JsonResponse({**body, "usage": usage})
        events = _stream({**head, "object": "chat.completion.chunk"}, text, finish, seed, usage)
        return StreamResponse(events, self.state.clock.real_seconds(STREAM_CHUNK_SECONDS))

    def embeddings(self, req: Request) -> JsonResponse:
        body = req.body()
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise invalid("model is required.", "model")
        embedder = embeddings.TOGETHER_MODELS.get(model)
        if embedder is None:
            with self.state.lock:
                self.state.tick()
                chats = model in self.state.outputs or model in catalog.BY_NAME
            if not chats:
                raise model_not_found(model)
            raise invalid(f"Model {model} is not an embedding model.", "model")
        try:
            answer = embeddings.together_body(embedder, body)
        except embeddings.EmbeddingRequestError as error:
            raise invalid(str(error), "input") from None
        self._admit(req, model)
        self.knobs.pause()
        return JsonResponse(answer)

    def _recollection(self, model: str) -> recall.Recollection | None:
        """The training examples of the job whose output is `model`."""
        with self.state.lock:
            job = next((j for j in self.state.jobs.values() if j.output_name == model), None)
            if job is None:
                return None
            file_id = job.spec.training_file
            stored = self.state.files.get(file_id)
            path = stored.path if stored is not None else None
        examples = self.memory.examples(f"together:{file_id}", path)
        return recall.Recollection(examples) if examples is not None else None

    def _keep_training_data(self, stored: TogetherFile) -> None:
        trained = any(j.spec.training_file == stored.id for j in self.state.jobs.values())
        if trained and stored.path:
            self.memory.pin(f"together:{stored.id}", stored.path)

    def _admit(self, req: Request, model: str) -> None:
        """Count the request against its key's and model's limit; a 429 past it."""
        wait = self.knobs.admit("together", req.headers.get("authorization", ""), model)
        if wait is None:
            return
        limiter = self.knobs.limiter
        assert limiter is not None
        raise ApiError(
            429,
            f"You have reached the rate limit specific to this model {model}. The maximum rate "
            f"limit for this model is {limiter.rpm} queries per minute. Please try again in "
            f"{wait:.3f}s.",
            type="model_rate_limit",
            code="rate_limit_exceeded",
            headers=retry_headers(wait, limiter.rpm),
        )

    def _completion_id(self) -> str:
        token = self.state.ids.hex(28)
        return f"o{token[:6]}-{token[6:12]}-{token[12:]}"


def _model_info(
    name: str,
    created: int,
    base: catalog.TogetherModel,
    organization: str,
    own: catalog.TogetherModel | None,
) -> dict[str, Any]:
    price = base.inference_price()
    info: dict[str, Any] = {
        "id": name,
        "object": "model",
        "created": created,
        "type": "chat",
        "display_name": own.display_name if own else name.split("/", 1)[-1],
        "organization": organization,
        "context_length": base.context_sft,
        "pricing": {"hourly": 0, "input": price, "output": price, "base": 0, "finetune": 0},
    }
    if own is not None:
        info["link"] = own.link
        info["license"] = own.license
    return info


def _embedding_info(model: embeddings.EmbeddingModel) -> dict[str, Any]:
    return {
        "id": model.id,
        "object": "model",
        "created": model.created,
        "type": "embedding",
        "display_name": model.id.split("/", 1)[-1],
        "organization": model.id.split("/", 1)[0],
        "context_length": 512,
        "pricing": {"hourly": 0, "input": 0.02, "output": 0, "base": 0, "finetune": 0},
    }


def _stream(
    head: dict[str, Any], text: str, finish: str, seed: int, usage: dict[str, int]
) -> Iterator[dict[str, Any]]:
    def chunk(content: str, finish_reason: str | None = None) -> dict[str, Any]:
        choice = {
            "index": 0,
            "delta": {"role": "assistant", "content": content},
            "finish_reason": finish_reason,
            "logprobs": None,
            "seed": seed if finish_reason else None,
        }
        return {**head, "choices": [choice]}

    for piece in chat.chunks(text):
        yield chunk(piece)
    yield {**chunk("", finish), "usage": usage}
