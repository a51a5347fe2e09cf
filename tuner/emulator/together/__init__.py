"""Together AI's fine-tuning API, spoken by the same emulator under `/together/v1`.

The official `together` SDK, built with `Together(base_url=emulator.together_base_url,
api_key=...)` (the SDK adds `/v1/...` itself), works unchanged against it: files with the
presigned-URL upload (and multipart), fine-tuning jobs with Together's statuses, typed events,
checkpoints and metrics on the emulator's compressed clock, price estimates, model limits,
`/models` and streamed chat with the trained `model_output_name`.

One module per job: `service` routes and checks the key, `files`, `fine_tunes` and `models`
answer, `job_requests` checks a create body, `jobs` simulates, `metrics` makes the loss curve,
`job_wire` writes the JSON, `pricing` and `catalog` hold the emulator's figures, `store` holds
the account.
"""

from __future__ import annotations

from .service import API_PREFIX, PREFIX, TogetherService

__all__ = ["API_PREFIX", "PREFIX", "TogetherService"]
