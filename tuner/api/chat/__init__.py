"""Talking to a model: requests, sessions, replays, comparisons, transcripts."""
