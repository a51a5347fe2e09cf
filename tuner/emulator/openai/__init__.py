"""OpenAI's API on the emulator, under `/v1` and Azure's two URL layouts.

Azure OpenAI is the same API on other URLs (classic `/openai/...?api-version=` and the v1 API
under `/openai/v1`), where chat names a deployment: one route table serves all three, and
`azure` turns Azure's URLs into its paths and keeps the deployments.

One module per job: `service` holds the route table and the fine-tuning job endpoints, `models`
the model, chat and embeddings endpoints, `files` the files and uploads endpoints,
`job_requests` checks a create body, `jobs` simulates a job on the emulator's clock, `catalog`
holds the base models and their retirement dates, `ids` makes ids shaped like OpenAI's, and
`store` holds the account (why it lives here, not beside the server: see its docstring).

What the models say, the HTTP server and the request plumbing are shared with Together's
dialect and live one level up, in `tuner.emulator`.
"""
