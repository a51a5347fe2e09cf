"""The service layer: client from config, files, jobs, event following, chat, replay, transcripts.

Plain async Python on the official SDK (`AsyncOpenAI` / `AsyncAzureOpenAI`); no Textual. Nothing is
imported here: `import openai` costs over a second, so each module imports it only where needed
and screens import these modules lazily.

Modules: `errors` (ServiceError), `client` (make_client), `files`, `jobs`, `follower`
(EventFollower, CursorStore), `metrics` (MetricPoint), `chat` (stream_chat), `replay`
(PromptReplay), `transcripts`, `retry` (backoff policy).
"""
