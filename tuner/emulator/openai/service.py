"""OpenAI's route table, and its fine-tuning job endpoints.

Routes are matched on the path relative to `/v1` (or Azure's `/openai` and `/openai/v1`), so
the same handlers serve the OpenAI and both Azure URL layouts; Azure's control plane goes to
`azure.Deployments`. The handlers live by what they serve: files and uploads in `files`,
models, chat and embeddings in `models`, and the jobs here, over the `jobs` simulator.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote

from .. import recall
from ..errors import invalid_request, not_found
from ..knobs import Knobs
from ..wire import JsonResponse, Request, Response
from . import azure
from .files import FilesEndpoints, list_body, page
from .job_requests import parse_job_request
from .jobs import Job, JobSimulator
from .models import ModelsEndpoints
from .store import State

Handler = Callable[..., Response]


class Service:
    """Dispatches requests to handlers; owns the job simulator and the other endpoints."""

    def __init__(
        self,
        state: State,
        knobs: Knobs | None = None,
        memory: recall.TrainingMemory | None = None,
    ) -> None:
        self.state = state
        self.jobs = JobSimulator(state)
        self.files = FilesEndpoints(state)
        self.deployments = azure.Deployments(state)
        self.models = ModelsEndpoints(state, self.deployments, knobs, memory)
        f, m = self.files, self.models
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
            ("GET", r"/models", m.list_models),
            ("GET", r"/models/(?P<model>[^/]+)", m.get_model),
            ("DELETE", r"/models/(?P<model>[^/]+)", m.delete_model),
            ("POST", r"/chat/completions", m.chat_completions),
            ("POST", r"/embeddings", m.create_embeddings),
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
