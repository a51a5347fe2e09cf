"""Together's `GET /models` (a bare JSON array) and OpenAI-style `/chat/completions`.

Chat answers the catalog's base models and every completed job's `model_output_name`; any
other model gets Together's 404 `model_not_found`. Replies come from the emulator's shared
deterministic corpus (`emulator.chat`), fine-tuned names in the fine-tuned style. Streams are
Together's: every delta names its role, and the last chunk carries `finish_reason` and
`usage` before `data: [DONE]`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .. import chat
from ..wire import JsonResponse, Request, Response, StreamResponse
from . import catalog
from .errors import invalid, model_not_found
from .store import TogetherState

# Pacing of streamed chunks, in simulated seconds (divided by speed).
STREAM_CHUNK_SECONDS = 0.03


class ModelsEndpoints:
    def __init__(self, state: TogetherState) -> None:
        self.state = state

    def _base_of_output(self, name: str) -> catalog.TogetherModel | None:
        for job in self.state.jobs.values():
            if job.output_name == name:
                return job.spec.model
        return None

    def list_models(self, req: Request) -> JsonResponse:
        with self.state.lock:
            self.state.tick()
            models = [_model_info(m.name, m.created, m, m.organization, m) for m in catalog.MODELS]
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
        with self.state.lock:
            self.state.tick()
            fine_tuned = model in self.state.outputs
            if not fine_tuned and model not in catalog.BY_NAME:
                raise model_not_found(model)
            completion_id = self._completion_id()
            created = int(self.state.now())
        text, finish = chat.truncate(chat.reply(model, messages, fine_tuned), max_tokens)
        prompt = chat.prompt_tokens(messages)
        completion = chat.approx_tokens(text)
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        seed = int(completion_id[-8:], 16)
        head = {"id": completion_id, "created": created, "model": model}
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
