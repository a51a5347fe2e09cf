"""The service layer: one seam to any fine-tuning service, and what tuner builds on it.

`service` defines the seam (`FineTuningService`, a Protocol) and `types` tuner's own results;
`providers/openai` implements it for OpenAI, Azure OpenAI and compatible hosts, and
`providers/together` for Together AI. On top of the seam, knowing no SDK, one folder per feature:
`jobs/`, `files/`, `chat/`, `backup/`, `migrate/` and `eval/`.

Plain async Python, no Textual. Nothing is imported here: an SDK import costs over a second, so
only a connected service imports one.
"""
