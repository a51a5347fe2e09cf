"""Fine-tuning jobs: the spec, the form's checks, quotes, following, metrics."""
