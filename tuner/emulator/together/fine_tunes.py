"""Together's `/fine-tunes` endpoints: jobs, events, checkpoints, metrics, prices and limits.

Lists are whole (the API has no paging here): jobs newest first, events oldest first (as the
service lists them), checkpoints newest first. A job is brought up to date on the simulated
clock before every read.
"""

from __future__ import annotations

from typing import Any

from ..wire import JsonResponse, Request
from . import catalog, job_wire, metrics, pricing
from .errors import TogetherApiError, invalid, job_not_found
from .job_requests import base_of, parse_job_request
from .jobs import TogetherJob, TogetherJobs
from .store import TogetherState


class FineTunesEndpoints:
    def __init__(self, state: TogetherState) -> None:
        self.state = state
        self.jobs = TogetherJobs(state)

    def _job(self, job_id: str) -> TogetherJob:
        self.state.tick()
        job = self.state.jobs.get(job_id)
        if job is None:
            raise job_not_found(job_id)
        return job

    # Jobs -----------------------------------------------------------------------------

    def create(self, req: Request) -> JsonResponse:
        body = req.body()
        with self.state.lock:
            job = self.jobs.create(parse_job_request(body, self.state))
            return JsonResponse(job_wire.truncated(job, for_create=True))

    def list_jobs(self, req: Request) -> JsonResponse:
        with self.state.lock:
            self.state.tick()
            jobs = sorted(self.state.jobs.values(), key=lambda j: j.created_at, reverse=True)
            return JsonResponse({"data": [job_wire.truncated(job) for job in jobs]})

    def retrieve(self, req: Request, job_id: str) -> JsonResponse:
        with self.state.lock:
            return JsonResponse(job_wire.full(self._job(job_id)))

    def cancel(self, req: Request, job_id: str) -> JsonResponse:
        with self.state.lock:
            job = self._job(job_id)
            refusal = self.jobs.cancel(job)
            if refusal is not None:
                raise invalid(refusal, "id")
            return JsonResponse(job_wire.truncated(job))

    def delete(self, req: Request, job_id: str) -> JsonResponse:
        with self.state.lock:
            job = self._job(job_id)
            if not job.terminal:
                raise invalid(
                    f"Fine-tune job {job_id} is {job.status}; cancel it before deleting it.", "id"
                )
            del self.state.jobs[job_id]
            self.state.outputs.pop(job.output_name, None)
        return JsonResponse({"message": f"Fine-tune job {job_id} deleted"})

    def list_events(self, req: Request, job_id: str) -> JsonResponse:
        with self.state.lock:
            return JsonResponse({"data": list(self._job(job_id).events)})

    def checkpoints(self, req: Request, job_id: str) -> JsonResponse:
        with self.state.lock:
            return JsonResponse({"data": list(self._job(job_id).checkpoints)})

    def metrics(self, req: Request, job_id: str) -> JsonResponse:
        """Filters come as query parameters (the SDK) or as a JSON body (the OpenAPI)."""
        query = dict(req.query)
        if isinstance(req.json, dict):
            query.update({key: [str(value)] for key, value in req.json.items()})
        with self.state.lock:
            rows = self._job(job_id).metric_rows()
        return JsonResponse({"metrics": metrics.select(rows, query)})

    # Prices and limits ----------------------------------------------------------------

    def estimate_price(self, req: Request) -> JsonResponse:
        body = req.body()
        with self.state.lock:
            training = self._processed(body.get("training_file"), "training_file")
            validation_id = body.get("validation_file") or None
            validation = None
            if validation_id:
                validation = self._processed(validation_id, "validation_file")
            model = self._model_for(body)
            if training.check_error is not None:
                return _unavailable("train_file_invalid")
            if validation is not None and validation.check_error is not None:
                return _unavailable("eval_file_invalid")
            method = (body.get("training_method") or {}).get("method", "sft")
            kind = (body.get("training_type") or {}).get("type", "Lora")
            cost = pricing.estimate(
                self.state,
                model,
                training.id,
                validation_id,
                _positive(body, "n_epochs", 1),
                _positive(body, "n_evals", 0),
                full=kind == "Full",
                dpo=method == "dpo",
            )
        return JsonResponse(
            {
                "estimation_available": True,
                "estimated_total_price": cost.dollars,
                "allowed_to_proceed": cost.dollars <= catalog.USER_LIMIT_DOLLARS,
                "user_limit": catalog.USER_LIMIT_DOLLARS,
                "estimated_train_token_count": cost.train_tokens,
                "estimated_eval_token_count": cost.eval_tokens,
            }
        )

    def limits(self, req: Request) -> JsonResponse:
        name = req.arg("model_name")
        if not name:
            raise invalid("model_name is required.", "model_name")
        with self.state.lock:
            model = base_of(self.state, name)
        if model is None:
            message = f"Model {name} is not available for fine-tuning."
            raise TogetherApiError(404, message, extra={"message": message}, code="not_found")
        return JsonResponse(model.limits_json())

    def supported(self, req: Request) -> JsonResponse:
        return JsonResponse({"models": [model.name for model in catalog.MODELS]})

    # Helpers --------------------------------------------------------------------------

    def _processed(self, file_id: Any, param: str) -> Any:
        stored = self.state.files.get(file_id) if isinstance(file_id, str) else None
        if stored is None or not stored.uploaded:
            raise invalid(f"{param} {file_id} does not exist or has not been uploaded.", param)
        self.state.check(stored)
        return stored

    def _model_for(self, body: dict[str, Any]) -> catalog.TogetherModel:
        name = body.get("model") or str(body.get("from_checkpoint") or "").split(":")[0]
        model = base_of(self.state, name) if name else None
        if model is None:
            raise invalid(f"Model {name or '(none)'} is not supported for fine-tuning.", "model")
        return model


def _positive(body: dict[str, Any], name: str, default: int) -> int:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise invalid(f"{name} must be a non-negative integer.", name)
    return value


def _unavailable(reason: str) -> JsonResponse:
    return JsonResponse({"estimation_available": False, "unavailable_reason": reason})
