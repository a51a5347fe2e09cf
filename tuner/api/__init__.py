"""The service layer: one seam to any fine-tuning service, and what tuner builds on it.

`service` defines the seam (`FineTuningService`, a Protocol) and `types` tuner's own results;
`openai_service` implements it for OpenAI, Azure OpenAI and compatible hosts. On top of the seam,
knowing no SDK: `follower` (each event once), `replay` and `compare` (prompt files into one or
more models), `chat_session`, `chat_models`, `transcripts`, `checked_upload`, `job_watch`.

Plain async Python, no Textual. Nothing is imported here: an SDK import costs over a second, so
only a connected service imports one.
"""
