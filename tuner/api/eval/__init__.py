"""Evaluation against services: asking models for replies (cached, paced, retried), grading them
with judges and embeddings, recording golden answers. The pure parts (reading eval files,
offline graders, statistics, reports) are in `tuner.data.eval`."""
