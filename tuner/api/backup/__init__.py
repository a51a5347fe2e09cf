"""Backing up an account's fine-tuning: jobs, events, checkpoints, files."""
